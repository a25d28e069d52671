/**
 * The webhook's TLS policy and connection limits (issue 11, item 6), on the real HTTPS server:
 * SHA-1/CBC suites refused, a silent connection closed after the handshake timeout instead of ~125 s,
 * an idle keep-alive connection (the API server's) still usable after the headers timeout, and a cap
 * on connections.
 */
import { connect as netConnect } from "node:net";
import { connect, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HANDSHAKE_TIMEOUT_MS, HEADERS_TIMEOUT_MS, MAX_CONNECTIONS } from "../../webhook/connection-limits.js";
import { KEEP_ALIVE_TIMEOUT_MS } from "../../webhook/server.js";
import { serviceDnsName } from "../../sim/apiserver/admission/webhook-client.js";
import { SERVICE, startWebhookEnv, type WebhookEnv } from "../support/webhook-env.js";

let env: WebhookEnv;
beforeAll(async () => {
  env = await startWebhookEnv();
});
afterAll(async () => {
  await env.close();
});

function handshake(options: { ciphers?: string; maxVersion?: "TLSv1.2" | "TLSv1.3" }): Promise<TLSSocket | Error> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: env.port, servername: serviceDnsName(SERVICE), ca: env.ca.caPem, ...options });
    socket.on("secureConnect", () => resolve(socket));
    socket.on("error", (err) => resolve(err));
  });
}

/** One request on an open TLS socket; resolves with the status line. */
function request(socket: TLSSocket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const onData = (chunk: Buffer): void => {
      data += chunk.toString("latin1");
      if (data.includes("\r\n\r\n") && /content-length: (\d+)/i.test(data)) {
        socket.off("data", onData);
        resolve(data.split("\r\n")[0] ?? "");
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

describe("webhook TLS and connection limits", () => {
  it("refuses TLS 1.2 SHA-1/CBC suites and accepts the ECDHE GCM ones and TLS 1.3", async () => {
    const weak = await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:AES128-SHA:AES256-SHA256" });
    expect(weak).toBeInstanceOf(Error);
    for (const options of [{ maxVersion: "TLSv1.2" as const, ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256" }, {}]) {
      const ok = await handshake(options);
      expect(ok).not.toBeInstanceOf(Error);
      (ok as TLSSocket).destroy();
    }
  });

  it("has a connection cap and short handshake/headers timeouts, and keeps the long keep-alive", () => {
    expect(env.server.app.server.maxConnections).toBe(MAX_CONNECTIONS);
    expect(env.server.app.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(env.server.app.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
  });

  it("closes a connection that never handshakes, while an idle keep-alive connection stays usable", async () => {
    const silent = netConnect({ host: "127.0.0.1", port: env.port });
    const t0 = Date.now();
    const closed = new Promise<number>((resolve) => silent.on("close", () => resolve(Date.now() - t0)));
    silent.on("error", () => undefined);

    const keepAlive = (await handshake({})) as TLSSocket;
    expect(await request(keepAlive, "/healthz")).toMatch(/ 200 /);
    const elapsed = await closed;
    expect(elapsed).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(HANDSHAKE_TIMEOUT_MS + 15_000);
    // Idle for longer than the headers timeout: the API server may reuse it.
    await new Promise((r) => setTimeout(r, HEADERS_TIMEOUT_MS - Math.min(elapsed, HEADERS_TIMEOUT_MS) + 1_000));
    expect(await request(keepAlive, "/healthz")).toMatch(/ 200 /);
    keepAlive.destroy();
  }, 60_000);
});
