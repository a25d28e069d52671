/**
 * Certificate rotation under load: the serving cert/key files are replaced (cert first, key second, so
 * the server briefly sees a mismatched pair) while admission requests stream over keep-alive and fresh
 * connections. Zero requests may fail; new connections must get the new certificate; connections
 * opened before a rotation keep working.
 */
import { X509Certificate } from "node:crypto";
import { Agent, request } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { serviceDnsName } from "../../sim/apiserver/admission/webhook-client.js";
import { buildPodReview } from "../../sim/apiserver/admission/review.js";
import { af3WorkerPod, annotate } from "../support/fixtures.js";
import { SERVICE, startWebhookEnv, type WebhookEnv } from "../support/webhook-env.js";

let env: WebhookEnv;
beforeAll(async () => {
  env = await startWebhookEnv();
});
afterAll(async () => {
  await env.close();
});

const ROTATIONS = 3;
const body = JSON.stringify(buildPodReview(annotate(af3WorkerPod()), { namespace: "airflow" }));

const serialOf = new WeakMap<TLSSocket, string>();

/** One POST; resolves with the serial of the certificate the connection was established with. */
function call(agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const req = request(
      {
        host: "127.0.0.1",
        port: env.port,
        servername: serviceDnsName(SERVICE),
        ca: env.ca.caPem,
        agent,
        method: "POST",
        path: "/mutate?timeout=10s",
        headers: { "content-type": "application/json" },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          const serial = socket === undefined ? undefined : serialOf.get(socket);
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
          else if (serial === undefined) reject(new Error("no peer certificate"));
          else resolve(serial.toLowerCase());
        });
      },
    );
    req.on("socket", (s) => {
      const tlsSocket = s as TLSSocket;
      socket = tlsSocket;
      if (serialOf.has(tlsSocket)) return; // a reused keep-alive connection
      const record = (): void => void serialOf.set(tlsSocket, tlsSocket.getPeerCertificate().serialNumber);
      // A TLS session can be established before the request gets the socket.
      if (tlsSocket.getPeerCertificate()?.serialNumber !== undefined) record();
      else tlsSocket.once("secureConnect", record);
    });
    req.on("error", reject);
    req.end(body);
  });
}

it("replaces the serving certificate with zero failed requests", async () => {
  // No TLS session resumption (Go's client has no session cache either): a resumed session would
  // skip the certificate, and every new connection must show which certificate it was served.
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 2, maxCachedSessions: 0 });
  const fresh = new Agent({ keepAlive: false, maxCachedSessions: 0 });
  const failures: string[] = [];
  const freshSerials = new Set<string>();
  const keepAliveSerials: string[] = [];
  let admissions = 0;
  let running = true;

  const loop = async (agent: Agent, seen: (serial: string) => void): Promise<void> => {
    while (running) {
      try {
        seen(await call(agent));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const harnessLoop = async (): Promise<void> => {
    while (running) {
      const outcome = await env.harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
      if (!outcome.allowed) failures.push(outcome.message);
      admissions++;
    }
  };
  const loops = [
    loop(keepAlive, (s) => keepAliveSerials.push(s)),
    loop(keepAlive, (s) => keepAliveSerials.push(s)),
    loop(fresh, (s) => freshSerials.add(s)),
    harnessLoop(),
  ];

  try {
    const initialSerial = await call(fresh);
    const issued: string[] = [];
    for (let i = 0; i < ROTATIONS; i++) {
      const next = await env.ca.issueServing([serviceDnsName(SERVICE)]);
      issued.push(new X509Certificate(next.certPem).serialNumber.toLowerCase().replace(/^0+/, ""));
      await env.replaceFile(env.certFile, next.certPem); // mismatched with the old key for a moment
      await env.replaceFile(env.keyFile, next.keyPem);
      const want = issued[issued.length - 1] ?? "";
      await vi.waitFor(() => expect([...freshSerials].map((s) => s.replace(/^0+/, ""))).toContain(want), { timeout: 10_000, interval: 10 });
    }
    const before = keepAliveSerials.length;
    await vi.waitFor(() => expect(keepAliveSerials.length).toBeGreaterThan(before + 20), { timeout: 10_000, interval: 10 });
    running = false;
    await Promise.all(loops);

    expect(failures).toEqual([]);
    expect(admissions).toBeGreaterThan(10);
    // Keep-alive connections opened with the first certificate carried on across all rotations.
    expect(keepAliveSerials.slice(before)).toContain(initialSerial);
    const metrics = (await env.server.app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(new RegExp(`avi_webhook_config_reloads_total\\{source="tls",result="success"\\} ${ROTATIONS + 1}`));
  } finally {
    running = false;
    await Promise.all(loops);
    keepAlive.destroy();
    fresh.destroy();
  }
});
