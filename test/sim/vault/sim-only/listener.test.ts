// The simulator's listener: loopback only, the LIST verb Node's HTTP parser refuses (Vault's `http/logical.go` accepts it),
// optional TLS, clean stop, and the in-process inject() path.
import https from "node:https";
import net from "node:net";
import { describe, expect, it, vi } from "vitest";
import { createTestCertificateAuthority } from "../../../../sim/tls/certificate-authority.js";
import { parseListenAddress, startVaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.on("data", (c: Buffer) => (out += c.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

describe("listen address", () => {
  it.each(["0.0.0.0:8200", "[::]:8200", "10.1.2.3:8200", "vault.example.com:8200"])("refuses non-loopback %s, naming the fix", async (listen) => {
    await expect(startVaultSim({ listen })).rejects.toThrow(/loopback only \(127\.0\.0\.1, ::1 or localhost\)/);
  });

  it.each([
    ["127.0.0.1:0", { host: "127.0.0.1", port: 0 }],
    ["localhost:8200", { host: "localhost", port: 8200 }],
    ["[::1]:9", { host: "::1", port: 9 }],
  ])("parses %s", (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it("refuses malformed addresses with an example", () => {
    expect(() => parseListenAddress("8200")).toThrow(/use host:port, e\.g\. 127\.0\.0\.1:8200/);
    expect(() => parseListenAddress("127.0.0.1:99999")).toThrow(/out of range/);
  });
});

describe("the LIST verb on the wire", () => {
  it("is answered although Node's HTTP parser does not know it", async () => {
    const sim = await startVaultSim({ clock: { scale: 0 } });
    try {
      const h = { "X-Vault-Token": sim.rootToken };
      await sim.inject({ method: "POST", path: "/v1/secret/data/dir/a", headers: h, body: { data: { v: 1 } } });
      const port = Number(new URL(sim.address).port);
      const reply = await rawRequest(port, `LIST /v1/secret/metadata/dir HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${sim.rootToken}\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(reply).toContain("cache-control: no-store");
      expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)).data.keys).toEqual(["a"]);
      const unknown = await rawRequest(port, "BREW /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(unknown).toMatch(/^HTTP\/1\.1 405 /);
      expect(sim.requestLog.entries({ method: "LIST" })).toHaveLength(1);
    } finally {
      await sim.stop();
    }
  });
});

describe("TLS", () => {
  it("serves HTTPS that verifies against the given CA (and not without it)", async () => {
    const ca = await createTestCertificateAuthority();
    const serving = await ca.issueServing();
    const sim = await startVaultSim({ tls: serving });
    const get = (caPem?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        https.get(`${sim.address}/v1/sys/health`, caPem === undefined ? {} : { ca: caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on("error", reject);
      });
    try {
      expect(sim.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(ca.caPem)).toBe(200);
      await expect(get()).rejects.toThrow(/self-signed|unable to verify|certificate/);
    } finally {
      await sim.stop();
    }
  });
});

describe("stop()", () => {
  it("closes idle keep-alive and hung connections, and the port stops answering", async () => {
    const sim = await startVaultSim();
    sim.controls.addFault({ path: "sys/leader", action: { type: "hang" } });
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
    const hung = fetch(`${sim.address}/v1/sys/leader`).catch((err: unknown) => err);
    await vi.waitFor(() => expect(sim.requestLog.entries({ path: "sys/leader" })).toHaveLength(1));
    await sim.stop();
    expect(await hung).toBeInstanceOf(Error);
    await expect(fetch(`${sim.address}/v1/sys/health`)).rejects.toThrow();
  });
});

describe("inject()", () => {
  it("answers in-process through the same pipeline (faults, request log)", async () => {
    const sim = await startVaultSim({ clock: { scale: 0 } });
    try {
      sim.controls.addFault({ path: "sys/health", action: { type: "drop" }, count: 1 });
      const dropped = await sim.inject({ method: "GET", path: "/v1/sys/health" });
      expect(dropped).toMatchObject({ status: 0, fault: "dropped" });
      const res = await sim.inject({ method: "GET", path: "/v1/auth/token/lookup-self", headers: { "x-vault-token": sim.rootToken } });
      expect(res.status).toBe(200);
      expect((res.json() as WireJson).data.policies).toEqual(["root"]);
      expect(sim.requestLog.entries().map((e) => e.status)).toEqual(["dropped", 200]);
    } finally {
      await sim.stop();
    }
  });
});
