// Test-only fault injection (/sim/ controls, never /v1/): errors, rate limits with Retry-After, dropped
// and hung connections, latency — by method and path glob, for a count or a span of sim time.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";

let sim: VaultSim;
beforeEach(async () => {
  sim = await startVaultSim({ clock: { scale: 0 } });
});
afterEach(async () => {
  vi.useRealTimers();
  await sim.stop();
});

const renew = (): Promise<Response> =>
  fetch(`${sim.address}/v1/sys/leases/renew`, { method: "PUT", headers: { "X-Vault-Token": sim.rootToken }, body: JSON.stringify({ lease_id: "x/y/z" }) });

describe("fault rules", () => {
  it('"the next 3 requests to sys/leases/renew fail with 503", then the real answer comes back', async () => {
    sim.controls.addFault({ method: "PUT", path: "sys/leases/renew", action: { type: "error", status: 503, body: { errors: ["Vault is sealed"] } }, count: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await renew()).status);
    expect(statuses).toEqual([503, 503, 503, 400]);
    expect(sim.controls.faults()).toEqual([]);
  });

  it("matches by method and glob; other paths and methods pass", async () => {
    sim.controls.addFault({ method: "GET", path: "auth/token/*", action: { type: "error", status: 500 } });
    const headers = { "X-Vault-Token": sim.rootToken };
    expect((await fetch(`${sim.address}/v1/auth/token/lookup-self`, { headers })).status).toBe(500);
    expect((await fetch(`${sim.address}/v1/auth/token/lookup-self`, { method: "POST", headers })).status).toBe(200);
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });

  it("an error's body, status and headers are sent as given; default body {\"errors\":[]}", async () => {
    sim.controls.addFault({ path: "sys/health", action: { type: "error", status: 500, body: "upstream exploded", headers: { "x-test": "1" } }, count: 1 });
    const custom = await fetch(`${sim.address}/v1/sys/health`);
    expect(custom.status).toBe(500);
    expect(await custom.text()).toBe("upstream exploded");
    expect(custom.headers.get("x-test")).toBe("1");
    sim.controls.addFault({ path: "sys/health", action: { type: "error", status: 502 }, count: 1 });
    expect(await (await fetch(`${sim.address}/v1/sys/health`)).text()).toBe('{"errors":[]}\n');
  });

  it("forSeconds counts sim time: an outage of 10 simulated minutes", async () => {
    sim.controls.addFault({ path: "*", action: { type: "error", status: 503 }, forSeconds: 600 });
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(503);
    sim.controls.advance("9m59s");
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(503);
    sim.controls.advance(1);
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });

  it("skip lets the first N matching requests through", async () => {
    sim.controls.addFault({ path: "sys/health", action: { type: "error", status: 500 }, skip: 2, count: 1 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${sim.address}/v1/sys/health`)).status);
    expect(statuses).toEqual([200, 200, 500, 200]);
  });

  it("rate-limit answers 429 rate limit quota exceeded with Retry-After and X-Ratelimit-* headers", async () => {
    sim.controls.addFault({ path: "auth/*/login", action: { type: "rate-limit", retryAfterSeconds: 7, limit: 20 }, count: 1 });
    const res = await fetch(`${sim.address}/v1/auth/kubernetes/login`, { method: "POST", body: "{}" });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ errors: ['request path "auth/kubernetes/login": rate limit quota exceeded'] });
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("x-ratelimit-limit")).toBe("20");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("drop cuts the connection without an answer; the request log says dropped", async () => {
    sim.controls.addFault({ path: "sys/health", action: { type: "drop" }, count: 1 });
    await expect(fetch(`${sim.address}/v1/sys/health`)).rejects.toThrow();
    expect(sim.requestLog.entries({ path: "sys/health" }).at(-1)?.status).toBe("dropped");
  });

  it("hang never answers: the client's own timeout ends it", async () => {
    sim.controls.addFault({ path: "sys/health", action: { type: "hang" }, count: 1 });
    await expect(fetch(`${sim.address}/v1/sys/health`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    expect(sim.requestLog.entries({ path: "sys/health" }).at(-1)?.status).toBe("hung");
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });

  it('when: "after" lets Vault act (credentials minted, lease registered) and then loses the response', async () => {
    const h = { "X-Vault-Token": sim.rootToken };
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/aws", headers: h, body: { type: "aws" } });
    await sim.inject({ method: "POST", path: "/v1/aws/roles/u", headers: h, body: { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" } });
    sim.controls.addFault({ path: "aws/creds/*", action: { type: "drop" }, when: "after", count: 1 });
    await expect(fetch(`${sim.address}/v1/aws/creds/u`, { headers: h })).rejects.toThrow();
    expect(sim.controls.leases().filter((l) => l.path === "aws/creds/u")).toHaveLength(1);
    expect(sim.controls.iamUsers()).toHaveLength(1);
  });

  it("latency delays the answer by real milliseconds, then Vault answers normally", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    sim.controls.addFault({ path: "sys/health", action: { type: "latency", ms: 250 }, count: 1 });
    let done = false;
    const pending = sim.inject({ method: "GET", path: "/v1/sys/health" }).then((r) => {
      done = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
  });

  it("removeFault and clearFaults end rules early", async () => {
    const rule = sim.controls.addFault({ path: "*", action: { type: "error", status: 500 } });
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(500);
    expect(sim.controls.removeFault(rule.id)).toBe(true);
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
    sim.controls.addFault({ path: "*", action: { type: "error", status: 500 } });
    sim.controls.clearFaults();
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });
});
