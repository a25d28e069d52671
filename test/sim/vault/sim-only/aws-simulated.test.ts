// Vault's AWS engine credentials (api-docs/secret/aws) against the simulated AWS account (no sts_endpoint): credential shapes of
// every STS type, AWS's duration limits, and AWS failures mapped to Vault's errors (400 / 502).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

let sim: VaultSim;
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: WireJson }> => {
  const res = await sim.inject({ method, path, body, headers: { "X-Vault-Token": sim.rootToken } });
  return { status: res.status, body: res.body === "" ? undefined : res.json() };
};

// STS reports expirations at whole seconds: start on a whole second so TTLs come out exact.
const START = Date.parse("2025-03-01T12:00:00Z");

beforeAll(async () => {
  sim = await startVaultSim({ clock: { scale: 0, start: START } });
  await call("POST", "/v1/sys/mounts/aws", { type: "aws" });
  await call("POST", "/v1/aws/roles/assumed", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/path/App" });
  await call("POST", "/v1/aws/roles/fed", { credential_type: "federation_token" });
  await call("POST", "/v1/aws/roles/sess", { credential_type: "session_token" });
});
afterAll(async () => {
  await sim.stop();
});

describe("AWS engine: simulated STS credentials", () => {
  it("assumed_role: ASIA key, 40-char secret, long session token in both keys, assumed-role ARN, ttl = lease_duration", async () => {
    const offSecond = await startVaultSim({ clock: { scale: 0, start: START + 400 } });
    try {
      const h = { "X-Vault-Token": offSecond.rootToken };
      await offSecond.inject({ method: "POST", path: "/v1/sys/mounts/aws", headers: h, body: { type: "aws" } });
      await offSecond.inject({ method: "POST", path: "/v1/aws/roles/a", headers: h, body: { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/App" } });
      // Mid-second, the whole-second STS expiry leaves 3599 s (STS expirations are whole seconds).
      expect(((await offSecond.inject({ method: "GET", path: "/v1/aws/sts/a", headers: h })).json() as WireJson).lease_duration).toBe(3599);
    } finally {
      await offSecond.stop();
    }
    const res = await call("GET", "/v1/aws/sts/assumed?ttl=2h");
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(d.access_key).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(d.secret_key).toHaveLength(40);
    expect(d.session_token.length).toBeGreaterThan(300);
    expect(d.security_token).toBe(d.session_token);
    expect(d.arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/App\/vault-/);
    expect(d.ttl).toBe(7200);
    expect(res.body).toMatchObject({ renewable: false, lease_duration: 7200 });
  });

  it("federation_token and session_token shapes", async () => {
    const fed = await call("GET", "/v1/aws/creds/fed");
    expect(Object.keys(fed.body.data).sort()).toEqual(["access_key", "secret_key", "security_token", "session_token", "ttl"]);
    const sess = await call("GET", "/v1/aws/creds/sess");
    expect(Object.keys(sess.body.data).sort()).toEqual(["access_key", "secret_key", "security_token", "session_token"]);
    expect(sess.body.renewable).toBe(false);
  });

  it("the lease ends at the STS expiry (sweep), without any client touching it", async () => {
    const res = await call("GET", "/v1/aws/sts/assumed?ttl=900");
    sim.controls.advance(899);
    expect(sim.controls.leases().some((l) => l.leaseId === res.body.lease_id)).toBe(true);
    sim.controls.advance(1);
    expect(sim.controls.leases().some((l) => l.leaseId === res.body.lease_id)).toBe(false);
    expect(sim.controls.events({ leaseId: res.body.lease_id }).map((e) => e.type)).toEqual(["lease.created", "lease.expired"]);
  });

  it("a ttl below AWS's 900 s minimum → 400 Error assuming role: ValidationError …", async () => {
    const res = await call("GET", "/v1/aws/sts/assumed?ttl=60");
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/^Error assuming role: ValidationError: 1 validation error detected: Value '60' at 'durationSeconds'/);
  });

  it("an AWS failure creating STS keys → 400 Error generating STS keys: …", async () => {
    sim.controls.failAws("AccessDenied", "not authorized to perform sts:GetSessionToken", 403);
    const res = await call("GET", "/v1/aws/creds/sess");
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/^Error generating STS keys: AccessDenied: not authorized/);
  });

  it("AWS throttling → 502", async () => {
    sim.controls.failAws("Throttling", "Rate exceeded", 400);
    const res = await call("GET", "/v1/aws/sts/assumed");
    expect(res.status).toBe(502);
    expect(res.body.errors[0]).toContain("Error assuming role: Throttling: Rate exceeded");
  });

  it("an IAM failure → 400 Error creating IAM user: …", async () => {
    await call("POST", "/v1/aws/roles/user", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" });
    sim.controls.failAws("LimitExceeded", "Cannot exceed quota for UsersPerAccount", 409);
    const res = await call("GET", "/v1/aws/creds/user");
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/^Error creating IAM user: LimitExceeded/);
  });
});

describe("AWS engine with a short-TTL compat setting", () => {
  it("fakeStsMinDurationSeconds: 0 lets tests mint 60-second STS credentials", async () => {
    const quick = await startVaultSim({ clock: { scale: 0, start: START }, compat: { fakeStsMinDurationSeconds: 0 } });
    try {
      const h = { "X-Vault-Token": quick.rootToken };
      await quick.inject({ method: "POST", path: "/v1/sys/mounts/aws", headers: h, body: { type: "aws" } });
      await quick.inject({ method: "POST", path: "/v1/aws/roles/a", headers: h, body: { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/App" } });
      const res = await quick.inject({ method: "GET", path: "/v1/aws/sts/a?ttl=60", headers: h });
      expect(res.status).toBe(200);
      expect((res.json() as WireJson).lease_duration).toBe(60);
    } finally {
      await quick.stop();
    }
  });
});
