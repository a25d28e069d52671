// The simulator's clock drives every TTL, and expiry is enforced both lazily and by a sweep that fires at
// each deadline (`vault/expiration.go`: revocation cascade, lease expiry, the engine's revocation side effects).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSimClock, startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

describe("sim clock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("scale 0 freezes time; advance() jumps it", () => {
    const clock = createSimClock({ start: 1_000_000, scale: 0 });
    expect(clock.now()).toBe(1_000_000);
    clock.advance(90_000);
    expect(clock.now()).toBe(1_090_000);
    clock.dispose();
  });

  it("advance() fires due timers in deadline order, each seeing now() equal to its deadline", () => {
    const clock = createSimClock({ start: 0, scale: 0 });
    const seen: [string, number][] = [];
    clock.schedule(3000, () => seen.push(["c", clock.now()]));
    clock.schedule(1000, () => seen.push(["a", clock.now()]));
    clock.schedule(2000, () => {
      seen.push(["b", clock.now()]);
      clock.schedule(2500, () => seen.push(["b2", clock.now()]));
    });
    const cancel = clock.schedule(1500, () => seen.push(["cancelled", clock.now()]));
    cancel();
    clock.advance(2999);
    expect(seen).toEqual([["a", 1000], ["b", 2000], ["b2", 2500]]);
    clock.advance(1);
    expect(seen.at(-1)).toEqual(["c", 3000]);
    expect(clock.pendingTimers).toBe(0);
    clock.dispose();
  });

  it("with scale 60 a real second is a sim minute, and timers fire on the real timer", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const clock = createSimClock({ start: 0, scale: 60 });
    const fired: number[] = [];
    clock.schedule(120_000, () => fired.push(clock.now()));
    vi.advanceTimersByTime(1000);
    expect(clock.now()).toBe(60_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([120_000]);
    clock.setScale(0);
    vi.advanceTimersByTime(10_000);
    expect(clock.now()).toBe(120_000);
    clock.dispose();
  });

  it("rejects a negative advance and a negative scale with a clear message", () => {
    const clock = createSimClock({ scale: 0 });
    expect(() => clock.advance(-1)).toThrow(/non-negative/);
    expect(() => clock.setScale(-2)).toThrow(/≥ 0/);
    clock.dispose();
  });
});

describe("expiry sweep and cascades", () => {
  let sim: VaultSim;
  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: WireJson }> => {
    const res = await sim.inject({ method, path, body, headers: { "X-Vault-Token": token ?? sim.rootToken } });
    return { status: res.status, body: res.body === "" ? undefined : res.json() };
  };
  beforeEach(async () => {
    sim = await startVaultSim({ clock: { scale: 0, start: Date.parse("2025-01-01T00:00:00Z") } });
    await call("POST", "/v1/sys/mounts/aws", { type: "aws" });
    await call("POST", "/v1/aws/config/lease", { lease: "2h", lease_max: "4h" });
    await call("POST", "/v1/aws/roles/user", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" });
    await call("PUT", "/v1/sys/policies/acl/creds", { policy: 'path "aws/creds/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }' });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it("an iam_user lease dies at its deadline with nobody touching it: the IAM user is deleted at that instant", async () => {
    const issued = sim.clock.now();
    await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("1h59m59s");
    expect(sim.controls.iamUsers()[0]?.deletedAt).toBeUndefined();
    sim.controls.advance(1);
    await sim.controls.settled();
    expect(sim.controls.iamUsers()[0]?.deletedAt).toBe(issued + 2 * 3600_000);
  });

  it("a token that expires takes its leases and child tokens with it (cascade), at the token's deadline", async () => {
    const parent = (await call("POST", "/v1/auth/token/create", { policies: ["creds"], ttl: "30m" })).body.auth;
    const child = (await call("POST", "/v1/auth/token/create", { ttl: "20m" }, parent.client_token)).body.auth;
    const creds = await call("GET", "/v1/aws/creds/user", undefined, parent.client_token);
    expect(creds.status).toBe(200);
    sim.controls.advance("20m");
    expect(sim.controls.events({ accessor: child.accessor }).map((e) => e.type)).toEqual(["token.created", "token.expired"]);
    expect(sim.controls.leases().some((l) => l.leaseId === creds.body.lease_id)).toBe(true);
    sim.controls.advance("10m");
    await sim.controls.settled();
    expect(sim.controls.leases().some((l) => l.leaseId === creds.body.lease_id)).toBe(false);
    const ended = sim.controls.leases({ includeEnded: true }).find((l) => l.leaseId === creds.body.lease_id);
    expect(ended).toMatchObject({ state: "revoked", endReason: "token expired" });
    expect(sim.controls.iamUsers()[0]?.deletedAt).toBe(Date.parse("2025-01-01T00:30:00Z"));
    expect(sim.controls.tokens({ includeRevoked: true }).find((t) => t.accessor === parent.accessor)).toMatchObject({ revoked: true, revokeReason: "expired" });
  });

  it("orphan tokens survive their creator's revocation", async () => {
    const parent = (await call("POST", "/v1/auth/token/create", { policies: ["creds"], ttl: "30m" })).body.auth;
    const orphan = (await call("POST", "/v1/auth/token/create", { policies: ["default"], ttl: "1h", no_parent: true })).body.auth;
    await call("POST", "/v1/auth/token/revoke-self", undefined, parent.client_token);
    expect((await call("GET", "/v1/auth/token/lookup-self", undefined, orphan.client_token)).status).toBe(200);
  });

  it("a periodic token lives as long as it is renewed within each period", async () => {
    const token = (await call("POST", "/v1/auth/token/create", { policies: ["default"], period: "10m" })).body.auth.client_token as string;
    for (let i = 0; i < 12; i++) {
      sim.controls.advance("9m");
      expect((await call("POST", "/v1/auth/token/renew-self", {}, token)).body.auth.lease_duration).toBe(600);
    }
    sim.controls.advance("10m");
    expect((await call("GET", "/v1/auth/token/lookup-self", undefined, token)).status).toBe(403);
  });

  it("a batch token expires (lazily) at its TTL and its leases are capped to it", async () => {
    const batch = (await call("POST", "/v1/auth/token/create", { policies: ["creds"], type: "batch", ttl: "20m" })).body.auth.client_token as string;
    const creds = await call("GET", "/v1/aws/creds/user", undefined, batch);
    expect(creds.body.lease_duration).toBe(1200);
    sim.controls.advance("20m");
    expect((await call("GET", "/v1/auth/token/lookup-self", undefined, batch)).status).toBe(403);
  });

  it("KV timestamps and lookup times come from the sim clock", async () => {
    sim.controls.advance("36h");
    const res = await call("POST", "/v1/secret/data/t", { data: { a: 1 } });
    expect(res.body.data.created_time).toBe("2025-01-02T12:00:00Z");
    const look = await call("GET", "/v1/auth/token/lookup-self");
    expect(look.body.data.creation_time).toBe(Date.parse("2025-01-01T00:00:00Z") / 1000);
  });
});
