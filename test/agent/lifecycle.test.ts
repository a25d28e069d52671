/**
 * The lifecycle state machine, driven through the runtime on fake time against the in-memory fake of
 * our VaultApi: LifetimeWatcher timing (Vault `api/lifetime_watcher.go`), auth backoff
 * (`command/agentproxyshared/auth/auth.go`), TTL capping (`sdk/framework/lease.go`), rotation with overlap, and every fault of the list.
 */
import { describe, expect, it } from "vitest";
import { Lifecycle } from "../../agent/lifecycle/index.js";
import { LEAD_MS } from "../../agent/rotation-policy.js";
import { HOUR, MIN, createHarness, started, type Harness } from "../support/agent-harness.js";
import { engines } from "../support/fake-vault.js";

const STS = { name: "etl", path: "aws/sts/etl", format: "aws", endpoint: "http://rgw.test:8080", region: "default", airflowConnId: "rgw_etl" } as const;
const IAM = { name: "iam", path: "aws/creds/app", format: "aws" } as const;
const KV = { name: "static", path: "secret/data/rgw", format: "kv" } as const;

/** Seconds since start of each call of an operation. */
function callTimes(h: Harness, op: Parameters<Harness["vault"]["count"]>[0], path?: string): number[] {
  return h.vault.calls.filter((c) => c.op === op && (path === undefined || c.path === path)).map((c) => (c.at - h.t0) / 1000);
}

const start = started;

function accessKey(h: Harness, name: string): string {
  const a = h.serve(name);
  if (a.status !== 200) throw new Error(a.message);
  return a.credential.credential.accessKeyId;
}

describe("start-up", () => {
  it("logs in once, fetches each credential once, writes every file and serves the endpoint", async () => {
    const h = await start(createHarness({ credentials: [STS, KV] }, (v) => {
      v.engines.set(STS.path, engines.sts(3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "RGWSTATIC", secret_key: "static-secret" })));
    }));
    expect(h.vault.count("login")).toBe(1);
    expect(h.vault.count("read", STS.path)).toBe(1);
    expect(h.vault.count("read", KV.path)).toBe(1);
    expect(h.machine.ready).toBe(true);
    expect([...h.files.keys()].sort()).toEqual(["airflow/connections.json", "aws/config", "aws/credentials", "etl.env", "etl.json", "static.env", "static.json", "status.json"]);
    const answer = h.serve("etl");
    expect(answer.status).toBe(200);
    expect(h.servedAheadS("etl")).toBeGreaterThan(15 * 60);
    expect(h.serve("nope").status).toBe(404);
    expect(JSON.parse(h.files.get("status.json") ?? "")).toMatchObject({ ready: true, phase: "running", credentials: { etl: { version: 1, written: true } } });
  });

  it("its read-only snapshot holds no secret: no Vault token, no lease id, no credential key", async () => {
    const h = await start(createHarness({ credentials: [IAM, KV] }, (v) => {
      v.engines.set(IAM.path, engines.iamUser(3600, 24 * 3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "RGWSTATIC", secret_key: "static-secret" })));
    }));
    await h.time.advance(HOUR);
    const snapshot = h.machine.snapshot(h.time.now());
    expect(snapshot.vault.authenticated).toBe(true);
    expect(snapshot.credentials.get("iam")?.version?.lease).toMatch(/./);
    const text = JSON.stringify(snapshot, (_, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
    const secrets = [...h.vault.issuedSecrets, ...h.vault.leases.keys(), ...[...h.vault.tokens.values()].map((t) => t.accessor), "static-secret"];
    expect(secrets.length).toBeGreaterThan(3);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it("requests the profile's TTL from engines that take one", async () => {
    const h = await start(createHarness({ credentials: [{ ...STS, ttl: "2h" }] }, (v) => v.engines.set(STS.path, engines.sts(7200))));
    expect(h.version("etl")?.leaseMs).toBe(2 * HOUR);
  });
});

describe("Vault token (LifetimeWatcher)", () => {
  it("renews at ⅔ of the TTL plus ⅓ of a 10–20 % grace, never inside the grace, with jitter", async () => {
    const offsets = new Set<number>();
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const h = createHarness({ credentials: [KV] }, (v) => v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" }))), seed);
      await start(h);
      await h.time.advance(HOUR);
      const [first] = callTimes(h, "renewSelf");
      expect(first).toBeGreaterThanOrEqual((2 / 3) * 3600 + 360 / 3);
      expect(first).toBeLessThan((2 / 3) * 3600 + 720 / 3);
      offsets.add(Math.round(first ?? 0));
    }
    expect(offsets.size).toBeGreaterThan(1);
  });

  it("skips the watcher's immediate renewal after login and keeps one renewal per ~43 minutes", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })))));
    await h.time.advance(10 * HOUR);
    const renewals = callTimes(h, "renewSelf");
    expect(renewals.length).toBeGreaterThanOrEqual(13);
    expect(renewals.length).toBeLessThanOrEqual(15);
    for (let i = 1; i < renewals.length; i++) expect((renewals[i] ?? 0) - (renewals[i - 1] ?? 0)).toBeGreaterThan(2400);
    expect(h.vault.count("login")).toBe(1);
  });

  it("re-logs in inside the grace when the max TTL caps the token, warning once", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => {
      v.tokenTtlS = 3600;
      v.tokenMaxS = 3600;
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    await h.time.advance(HOUR);
    const [renewal] = callTimes(h, "renewSelf");
    const [, relogin] = callTimes(h, "login");
    expect(renewal).toBeDefined();
    expect(relogin).toBeGreaterThan(renewal ?? Infinity);
    expect(relogin).toBeGreaterThanOrEqual(3600 - 720);
    expect(relogin).toBeLessThanOrEqual(3600 - 360);
    expect(callTimes(h, "renewSelf").filter((t) => t > (renewal ?? 0) && t < (relogin ?? 0))).toEqual([]);
    expect(h.logsMatching(/capped the token/)).toHaveLength(1);
    // Lease-less credentials are re-read on their own schedule only (every 5 min), never because of a login.
    const reads = callTimes(h, "read");
    for (let i = 1; i < reads.length; i++) expect((reads[i] ?? 0) - (reads[i - 1] ?? 0)).toBeCloseTo(300, 0);
  });

  it("a credential whose lease died with its token (no login possible) is no longer served, never with an Expiration in the past", async () => {
    const h = await start(createHarness({ credentials: [STS, IAM] }, (v) => {
      v.tokenTtlS = 3600;
      v.tokenMaxS = 5400;
      v.engines.set(STS.path, engines.sts(3600));
      v.engines.set(IAM.path, engines.iamUser(3600, 12 * 3600));
    }));
    // The projected JWT expired (no kubelet rotation): every later login is refused.
    h.vault.fail("login", "permission-denied", "invalid expiration time (exp) claim: token is expired", { status: 403, times: 1000 });
    for (let i = 0; i < 16; i++) {
      await h.time.advance(10 * MIN);
      for (const name of [STS.name, IAM.name]) {
        const a = h.serve(name);
        if (a.status === 200) expect(a.credential.expiration, `${name} at ${(i + 1) * 10} min`).toBeGreaterThan(h.time.now());
      }
    }
    // The token reached its 1h30m cap: the leases it created are gone, and so is what was served.
    expect(h.serve(STS.name).status).toBe(503);
    expect(h.serve(IAM.name).status).toBe(503);
  });

  it("treats 403 permission denied on renew as non-renewable: re-login inside the grace, not at once", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => {
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
      v.fail("renewSelf", "permission-denied", "1 error occurred: * permission denied", { status: 403 });
    }));
    await h.time.advance(HOUR);
    const [renewal] = callTimes(h, "renewSelf");
    const logins = callTimes(h, "login");
    expect(logins).toHaveLength(2);
    expect(logins[1]).toBeGreaterThan((renewal ?? Infinity) + 60);
    expect(logins[1]).toBeGreaterThanOrEqual(3600 - 720);
    expect(logins[1]).toBeLessThanOrEqual(3600 - 360);
    expect(callTimes(h, "renewSelf")).toHaveLength(1);
  });

  it("a new token does not re-mint credentials whose leases are still valid", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => {
      v.tokenTtlS = 3600;
      v.tokenMaxS = 3600;
      v.engines.set(STS.path, engines.sts(300));
    }));
    await h.time.advance(4 * HOUR);
    expect(h.vault.count("login")).toBeGreaterThanOrEqual(4);
    const reads = callTimes(h, "read");
    // 300 s leases rotate at ⅔ (200 s) whatever the token does; leases minted close to a token's end
    // are bounded by it, which only moves a rotation earlier when it must.
    const gaps = reads.slice(1).map((t, i) => t - (reads[i] ?? 0));
    expect(gaps.filter((g) => Math.abs(g - 200) > 0.5)).toEqual([]);
  });

  it("re-logs in at once after 'invalid token' and re-fetches the leases that died with the token", async () => {
    const h = await start(createHarness({ credentials: [STS, KV] }, (v) => {
      v.engines.set(STS.path, engines.sts(3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    const before = accessKey(h, "etl");
    await h.time.advance(2 * MIN);
    h.vault.revokeTokenOutside([...h.vault.tokens.keys()][0] ?? "");
    await h.time.advance(45 * MIN);
    expect(h.vault.count("login")).toBe(2);
    expect(accessKey(h, "etl")).not.toBe(before);
    expect(h.logsMatching(/no longer valid|died with its Vault token/).length).toBeGreaterThan(0);
  });

  it("a credential whose lease died with a revoked token is not served while its re-fetch keeps failing", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    await h.time.advance(2 * MIN);
    h.vault.revokeTokenOutside([...h.vault.tokens.keys()][0] ?? "");
    h.vault.fail("read", "server", "internal error", { status: 500, times: 1000 });
    // The token renewal at ~43 min finds the token gone; the new login works, the re-fetch does not.
    await h.time.advance(50 * MIN);
    expect(h.vault.count("login")).toBe(2);
    expect(h.serve("etl").status).toBe(503);
  });

  it("a token revoked while its renewal is in flight leads to exactly one new login", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    h.vault.delays.renewSelf = 20_000;
    while (h.vault.count("renewSelf") === 0) await h.time.advance(1_000);
    h.vault.revokeTokenOutside(h.tokenSecret());
    await h.time.advance(MIN);
    expect(h.vault.count("login")).toBe(2);
    expect(h.machine.snapshot(h.time.now()).vault.loginInFlight).toBe(false);
    expect(h.serve("etl").status).toBe(200);
    expect(h.vault.liveLeases().map((l) => l.id)).toContain(h.leaseId("etl"));
  });

  it("a lease minted by a token that died while the request was in flight is re-fetched (machine level)", () => {
    const machine = new Lifecycle({ credentials: createHarness({ credentials: [STS] }).cfg.credentials, mode: "sidecar", revokeOnExit: true, random: () => 0.5, fingerprint: (x) => x.slice(0, 4) });
    const t = Date.UTC(2026, 4, 1);
    machine.handle({ type: "start" }, t);
    const auth = { clientToken: "hvs.one", accessor: "acc1", leaseDurationS: 3600, renewable: true, policies: [], warnings: [] };
    const afterLogin = machine.handle({ type: "login-ok", gen: 1, sentAt: t, auth }, t);
    expect(afterLogin.some((e) => e.type === "fetch")).toBe(true);
    // The token is reported dead (by another call) before the fetch's answer arrives.
    const died = machine.handle({ type: "renew-token-failed", gen: 1, error: { kind: "invalid-token", message: "permission denied; invalid token" } }, t + 1000);
    expect(died.some((e) => e.type === "login")).toBe(true);
    const issued = { credential: { accessKeyId: "A", secretAccessKey: "S", sessionToken: "T" } };
    machine.handle({ type: "fetch-ok", name: "etl", tokenGen: 1, sentAt: t, secret: { issued, leaseId: "aws/sts/etl/1", leaseDurationS: 3600, renewable: false, warnings: [] } }, t + 2000);
    expect(machine.snapshot(t + 2000).credentials.get("etl")?.version?.leaseLost).toBe(true);
    expect(machine.handle({ type: "timer", key: { kind: "credential", name: "etl" } }, t + 2000).filter((e) => e.type === "fetch")).toEqual([]);
    const relogged = machine.handle({ type: "login-ok", gen: 2, sentAt: t + 3000, auth: { ...auth, clientToken: "hvs.two", accessor: "acc2" } }, t + 3000);
    expect(relogged.filter((e) => e.type === "fetch")).toHaveLength(1);
  });

  it("backs off login failures 1 s → 5 min with up to 25 % negative jitter, and a rotated SA token retries at once", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => {
      v.down = true;
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    await h.time.advance(30 * MIN);
    const logins = callTimes(h, "login");
    const gaps = logins.slice(1).map((t, i) => t - (logins[i] ?? 0));
    gaps.forEach((gap, i) => {
      const interval = Math.min(300, 2 ** i);
      expect(gap).toBeGreaterThanOrEqual(interval * 0.75 - 0.001);
      expect(gap).toBeLessThanOrEqual(interval);
    });
    expect(Math.max(...gaps)).toBeGreaterThan(200);
    expect(h.machine.ready).toBe(false);
    expect(h.serve("static")).toMatchObject({ status: 503 });
    expect(JSON.parse(h.files.get("status.json") ?? "").vault.lastError.message).toMatch(/ECONNREFUSED/);
    expect(h.logsMatching(/Vault login failed/).at(-1)?.fields["hint"]).toMatch(/reachable/);

    h.vault.down = false;
    const attempts = h.vault.count("login");
    h.jwt = "eyJhbGciOiJSUzI1NiJ9.sa-token-2.sig";
    h.runtime.dispatch({ type: "jwt-changed" });
    await h.time.advance(0);
    expect(h.vault.count("login")).toBe(attempts + 1);
    expect(h.machine.ready).toBe(true);
  });

  it("retries a 403 login (TokenReview outage) instead of giving up", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => {
      v.fail("login", "permission-denied", "permission denied", { status: 403, times: 4 });
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    await h.time.advance(MIN);
    expect(h.vault.count("login")).toBe(5);
    expect(h.machine.ready).toBe(true);
    expect(h.logsMatching(/Vault login failed/)[0]?.fields["hint"]).toMatch(/TokenReview/);
  });
});

describe("credentials", () => {
  it("keeps the served Expiration more than 15 minutes ahead for a 1 h STS credential, rotating ~every 42 min", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    let minAhead = Infinity;
    for (let i = 0; i < 24 * 60; i++) {
      await h.time.advance(MIN);
      minAhead = Math.min(minAhead, h.servedAheadS("etl"));
    }
    expect(minAhead).toBeGreaterThan(15 * 60);
    const reads = callTimes(h, "read");
    expect(reads.length).toBeGreaterThanOrEqual(32);
    expect(reads.length).toBeLessThanOrEqual(36);
    expect(h.logsMatching(/too short/)).toEqual([]);
  });

  it("overlaps rotations: the new credential is served at once, the old lease is revoked a minute after the last Expiration served for it", async () => {
    const h = await start(createHarness({ credentials: [{ ...STS, refreshInterval: "1h" }] }, (v) => v.engines.set(STS.path, engines.sts(12 * 3600))));
    const firstLease = h.leaseId("etl");
    const oldKey = accessKey(h, "etl");
    const oldServed = h.machine.snapshot(h.time.now()).credentials.get("etl")?.expiration ?? 0;
    await h.time.advance(HOUR);
    expect(accessKey(h, "etl")).not.toBe(oldKey);
    expect(h.vault.leases.get(firstLease)?.revoked).toBe(false);
    await h.time.advance(LEAD_MS + 2 * MIN);
    expect(h.vault.leases.get(firstLease)?.revoked).toBe(true);
    const revokedAt = h.vault.calls.find((c) => c.op === "revokeLease" && c.path === firstLease)?.at ?? 0;
    expect(revokedAt - oldServed).toBe(60_000);
  });

  it("renews a renewable lease until its max TTL, warns once, and replaces it ≥ 16 min before the end", async () => {
    const h = await start(createHarness({ credentials: [IAM] }, (v) => v.engines.set(IAM.path, engines.iamUser(3600, 3 * 3600))));
    const firstKey = accessKey(h, "iam");
    const firstLease = h.leaseId("iam");
    const issued = h.time.now();
    let minAhead = Infinity;
    for (let i = 0; i < 3 * 60; i++) {
      await h.time.advance(MIN);
      minAhead = Math.min(minAhead, h.servedAheadS("iam"));
    }
    expect(h.vault.count("renewLease")).toBeGreaterThanOrEqual(3);
    expect(h.logsMatching(/capped the lease/)).toHaveLength(1);
    const replacement = h.vault.calls.filter((c) => c.op === "read")[1]?.at ?? Infinity;
    expect(replacement).toBeLessThanOrEqual(issued + 3 * HOUR - LEAD_MS);
    expect(accessKey(h, "iam")).not.toBe(firstKey);
    expect(minAhead).toBeGreaterThan(15 * 60);
    expect(h.vault.calls.some((c) => c.op === "renewLease" && c.path === firstLease && c.at > replacement)).toBe(false);
  });

  it("re-fetches at once when a lease was revoked behind the agent's back", async () => {
    const h = await start(createHarness({ credentials: [IAM] }, (v) => v.engines.set(IAM.path, engines.iamUser(3600, 24 * 3600))));
    const firstKey = accessKey(h, "iam");
    h.vault.revokeLeaseOutside(h.leaseId("iam"));
    await h.time.advance(HOUR);
    expect(h.logsMatching(/lease is gone/)).toHaveLength(1);
    const renewFail = h.vault.calls.find((c) => c.op === "renewLease")?.at ?? 0;
    const refetch = h.vault.calls.filter((c) => c.op === "read")[1]?.at ?? 0;
    expect(refetch).toBe(renewFail);
    expect(accessKey(h, "iam")).not.toBe(firstKey);
  });

  it("warns once when the TTL is too short to stay 15 minutes ahead, and rotates at ⅔", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(900))));
    await h.time.advance(HOUR);
    expect(h.logsMatching(/too short/)).toHaveLength(1);
    const reads = callTimes(h, "read");
    for (let i = 1; i < reads.length; i++) expect((reads[i] ?? 0) - (reads[i - 1] ?? 0)).toBeCloseTo(600, 0);
  });

  it("rotates as often as the profile's refreshInterval asks", async () => {
    const h = await start(createHarness({ credentials: [{ ...STS, refreshInterval: "10s" }] }, (v) => v.engines.set(STS.path, engines.sts(900))));
    const keys = new Set([accessKey(h, "etl")]);
    for (let i = 0; i < 6; i++) {
      await h.time.advance(10_000);
      keys.add(accessKey(h, "etl"));
    }
    expect(keys.size).toBe(7);
  });

  it("re-reads KV every 5 min, keeps the version while unchanged, serves a change at the next read", async () => {
    let data = { access_key: "RGWKEY1", secret_key: "rgw-secret-1" };
    const h = await start(createHarness({ credentials: [KV] }, (v) => v.engines.set(KV.path, engines.kv(() => data))));
    expect(h.servedAheadS("static")).toBe((5 * MIN + LEAD_MS) / 1000);
    const envWrites = h.writes.get("static.env");
    await h.time.advance(11 * MIN);
    expect(h.vault.count("read")).toBe(3);
    expect(h.version("static")?.seq).toBe(1);
    expect(h.writes.get("static.env")).toBe(envWrites);
    data = { access_key: "RGWKEY2", secret_key: "rgw-secret-2" };
    await h.time.advance(4 * MIN);
    expect(accessKey(h, "static")).toBe("RGWKEY2");
    expect(h.version("static")?.seq).toBe(2);
    expect(h.vault.count("revokeLease")).toBe(0);
  });

  it("keeps serving the last KV version when the current one is deleted (404 with body)", async () => {
    const h = await start(createHarness({ credentials: [KV] }, (v) => v.engines.set(KV.path, engines.kv(() => ({ access_key: "K", secret_key: "S" })))));
    h.vault.fail("read", "not-found", "read secret/data/rgw: version 3 of this KV v2 secret is deleted at 2026-05-01T10:01:00Z; undelete it or write a new version", { status: 404, times: 5 });
    await h.time.advance(20 * MIN);
    expect(accessKey(h, "static")).toBe("K");
    expect(h.logsMatching(/refreshing credential failed/)[0]?.fields["error"]).toMatch(/deleted/);
  });

  it("treats a credential that is already (nearly) expired as a failed fetch instead of rotating in a loop", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(1))));
    await h.time.advance(MIN);
    expect(h.serve("etl").status).toBe(503);
    expect(h.logsMatching(/fetching credential failed/)[0]?.fields["error"]).toMatch(/expires in 1s; check the role's TTL/);
    expect(h.vault.count("read")).toBeLessThanOrEqual(8);
  });

  it("rejects a response in the wrong format with the field names, never the values, and keeps retrying", async () => {
    const h = await start(createHarness({ credentials: [{ ...STS, format: "minio" }, KV] }, (v) => {
      v.engines.set(STS.path, engines.sts(3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    expect(h.serve("static").status).toBe(200);
    expect(h.serve("etl").status).toBe(503);
    const line = h.logsMatching(/fetching credential failed/)[0];
    expect(line?.fields["error"]).toMatch(/fields present: access_key, secret_key, security_token, session_token, ttl/);
    expect(line?.fields["hint"]).toMatch(/format/);
    await h.time.advance(MIN);
    expect(h.vault.count("read", STS.path)).toBeGreaterThan(3);
  });
});

describe("faults", () => {
  it("Vault down mid-run: serves the last credential until it expires, never deletes files, recovers", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    const key = accessKey(h, "etl");
    const json = h.files.get("etl.json");
    h.vault.down = true;
    for (let i = 0; i < 58; i++) {
      await h.time.advance(MIN);
      expect(accessKey(h, "etl")).toBe(key);
    }
    expect(h.servedAheadS("etl")).toBeLessThanOrEqual(2 * 60);
    expect(JSON.parse(h.files.get("status.json") ?? "").credentials.etl.lastError.message).toMatch(/ECONNREFUSED/);
    await h.time.advance(3 * MIN);
    expect(h.serve("etl")).toMatchObject({ status: 503, message: expect.stringMatching(/expired/) as unknown });
    expect(JSON.parse(h.files.get("etl.json") ?? "{}").AccessKeyId).toBe(JSON.parse(json ?? "").AccessKeyId);
    h.vault.down = false;
    await h.time.advance(6 * MIN);
    expect(h.serve("etl").status).toBe(200);
    expect(accessKey(h, "etl")).not.toBe(key);
  });

  it("after a 10-minute outage that began at a rotation, retries within ¼ of the remaining validity, not after a 5-minute backoff", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600)), seed));
      const key = accessKey(h, "etl");
      // Vault goes away just before the planned replacement (≈ 42–44 min) and for 12 minutes.
      await h.time.advance(40 * MIN);
      h.vault.down = true;
      await h.time.advance(12 * MIN);
      expect(accessKey(h, "etl")).toBe(key);
      h.vault.down = false;
      // ≈ 8 min of validity left: the next attempt comes within 2 min (the renew backoff alone: up to
      // 7.5), and a credential minted with the old token before the new login is replaced at once
      // after it (bound by that token's end, not a short TTL to rotate at ⅔).
      await h.time.advance(2 * MIN + 5_000);
      expect(accessKey(h, "etl"), `seed ${seed}`).not.toBe(key);
      expect(h.servedAheadS("etl")).toBeGreaterThan(15 * 60);
    }
  });

  it("Vault sealed (503) during a rotation: backs off 10 s → 5 min ±50 % and succeeds once unsealed", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    h.vault.fail("read", "sealed", "Vault is sealed (HTTP 503)", { status: 503, times: 3 });
    await h.time.advance(HOUR);
    const reads = callTimes(h, "read");
    expect(reads[2]! - reads[1]!).toBeGreaterThanOrEqual(5);
    expect(reads[2]! - reads[1]!).toBeLessThan(15);
    expect(reads[3]! - reads[2]!).toBeGreaterThanOrEqual(10);
    expect(reads[3]! - reads[2]!).toBeLessThan(30);
    expect(h.version("etl")?.seq).toBe(2);
  });

  it("429 with Retry-After: the next attempt waits at least that long", async () => {
    const h = await start(createHarness({ credentials: [STS] }, (v) => {
      v.engines.set(STS.path, engines.sts(3600));
      v.fail("read", "rate-limited", "lease count quota exceeded (HTTP 429)", { status: 429, retryAfterMs: 120_000 });
    }));
    await h.time.advance(5 * MIN);
    const reads = callTimes(h, "read");
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(120);
    expect(h.machine.ready).toBe(true);
  });

  it("slow responses: other work proceeds, and a lease's end counts from when it was requested", async () => {
    const h = await start(createHarness({ credentials: [STS, KV] }, (v) => {
      v.delays.read = 0;
      v.engines.set(STS.path, engines.sts(3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "a", secret_key: "b" })));
    }));
    h.vault.delays.read = 40_000;
    await h.time.advance(HOUR);
    const c = h.version("etl");
    const sent = h.vault.calls.filter((x) => x.op === "read" && x.path === STS.path).at(-1)?.at ?? 0;
    expect(c?.issuedAt).toBe(sent);
    expect(c?.leaseEnd).toBe(sent + HOUR);
    expect(h.vault.count("renewSelf")).toBe(1);
  });

  it("write errors: the endpoint serves from memory, readiness waits, status reports, writes are retried", async () => {
    const h = createHarness({ credentials: [STS] }, (v) => v.engines.set(STS.path, engines.sts(3600)));
    h.failWrites = "cannot write /var/run/secrets/airflow-vault/etl.json: EACCES";
    await start(h);
    expect(h.serve("etl").status).toBe(200);
    expect(h.machine.ready).toBe(false);
    expect(h.machine.snapshot(h.time.now()).files.lastError?.message).toMatch(/EACCES/);
    await h.time.advance(10_000);
    expect(h.logsMatching(/writing credential files failed/).length).toBeGreaterThan(2);
    h.failWrites = undefined;
    await h.time.advance(40_000);
    expect(h.machine.ready).toBe(true);
    expect(h.files.has("etl.json")).toBe(true);
  });

  it("SIGTERM mid-renew: abandons the renewal, revokes every lease, then the token, exits 0, leaves no timer", async () => {
    const h = await start(createHarness({ credentials: [IAM, STS] }, (v) => {
      v.engines.set(IAM.path, engines.iamUser(3600, 24 * 3600));
      v.engines.set(STS.path, engines.sts(3600));
    }));
    h.vault.delays.renewLease = 60_000;
    await h.time.advance(45 * MIN);
    expect(h.vault.count("renewLease")).toBe(1);
    h.runtime.dispatch({ type: "stop", reason: "SIGTERM" });
    await h.time.advance(0);
    expect(h.exitCode).toBe(0);
    const revokes = h.vault.calls.filter((c) => c.op === "revokeLease" || c.op === "revokeSelf").map((c) => c.op);
    expect(revokes).toEqual(["revokeLease", "revokeLease", "revokeSelf"]);
    expect(h.vault.liveLeases()).toEqual([]);
    expect(h.vault.liveTokens()).toEqual([]);
    expect(h.runtime.armedTimers).toBe(0);
    expect(h.time.timers).toBe(0);
  });

  it("revokeOnExit false keeps leases and token", async () => {
    const h = await start(createHarness({ credentials: [STS], revokeOnExit: false }, (v) => v.engines.set(STS.path, engines.sts(3600))));
    h.runtime.dispatch({ type: "stop", reason: "SIGTERM" });
    await h.time.advance(0);
    expect(h.exitCode).toBe(0);
    expect(h.vault.count("revokeLease") + h.vault.count("revokeSelf")).toBe(0);
  });

  it("init mode: logs in, fetches, writes, exits 0 — no endpoint token, renewal or revocation", async () => {
    const h = await start(createHarness({ credentials: [IAM], mode: "init" }, (v) => v.engines.set(IAM.path, engines.iamUser(3600, 24 * 3600))));
    expect(h.exitCode).toBe(0);
    expect(h.files.has("iam.json")).toBe(true);
    await h.time.advance(2 * HOUR);
    expect(h.vault.calls.map((c) => c.op)).toEqual(["login", "read"]);
    expect(h.time.timers).toBe(0);
  });

  it("never puts an issued secret in a log line", async () => {
    const h = await start(createHarness({ credentials: [STS, IAM, KV] }, (v) => {
      v.engines.set(STS.path, engines.sts(1800));
      v.engines.set(IAM.path, engines.iamUser(3600, 4 * 3600));
      v.engines.set(KV.path, engines.kv(() => ({ access_key: "KVKEY", secret_key: "kv-secret-value" })));
    }));
    await h.time.advance(6 * HOUR);
    h.runtime.dispatch({ type: "stop", reason: "SIGTERM" });
    await h.time.advance(0);
    const text = JSON.stringify(h.logs);
    const leaked = [...h.vault.issuedSecrets, h.jwt, "kv-secret-value", ...[...h.vault.leases.keys()]].filter((s) => s.length > 4 && text.includes(s));
    expect(leaked).toEqual([]);
    expect(h.logs.length).toBeGreaterThan(20);
  });
});
