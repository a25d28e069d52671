// sys/leases (`vault/logical_system.go`) and AWS iam_user credentials with renewable leases from the simulated AWS account
// (a real Vault would need AWS IAM), plus the lease cases only the simulator can stage.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

let sim: VaultSim;
const call = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: WireJson }> => {
  const res = await sim.inject({ method, path, body, headers: { "X-Vault-Token": token ?? sim.rootToken } });
  return { status: res.status, body: res.body === "" ? undefined : res.json() };
};

async function setUp(compat = {}): Promise<void> {
  sim = await startVaultSim({ clock: { scale: 0 }, compat });
  await call("POST", "/v1/sys/mounts/aws", { type: "aws" });
  await call("POST", "/v1/aws/config/lease", { lease: "1h", lease_max: "3h" });
  await call("POST", "/v1/aws/roles/user", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" });
}
afterEach(async () => {
  await sim.stop();
});

describe("iam_user credentials (simulated AWS account)", () => {
  beforeEach(() => setUp());

  it("AKIA key, 40-char secret, security_token and session_token null; renewable lease of config/lease's lease", async () => {
    const res = await call("GET", "/v1/aws/creds/user");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ access_key: expect.stringMatching(/^AKIA[A-Z2-7]{16}$/), secret_key: expect.stringMatching(/^[A-Za-z0-9+/]{40}$/), security_token: null, session_token: null });
    expect(res.body).toMatchObject({ renewable: true, lease_duration: 3600, mount_type: "aws" });
    expect(res.body.lease_id).toMatch(/^aws\/creds\/user\/[A-Za-z0-9]{24}$/);
  });

  it("without config/lease the lease is the mount default (768h)", async () => {
    await call("POST", "/v1/sys/mounts/aws2", { type: "aws" });
    await call("POST", "/v1/aws2/roles/user", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" });
    expect((await call("GET", "/v1/aws2/creds/user")).body.lease_duration).toBe(2764800);
  });

  it("the IAM user exists while the lease lives and is deleted when the lease is revoked", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    const user = sim.controls.iamUsers().find((u) => u.accessKeyId === creds.body.data.access_key);
    expect(user?.userName).toMatch(/^vault-root-user-\d+-[A-Za-z0-9]+$/);
    expect(user?.deletedAt).toBeUndefined();
    expect((await call("PUT", "/v1/sys/leases/revoke", { lease_id: creds.body.lease_id, sync: false })).status).toBe(202);
    await sim.controls.settled();
    expect(sim.controls.iamUsers().find((u) => u.accessKeyId === creds.body.data.access_key)?.deletedAt).toBeDefined();
  });
});

describe("renewing a renewable lease", () => {
  beforeEach(() => setUp());

  it("answers 200 with the full envelope: lease_id, renewable true, lease_duration, data null", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("10m");
    const res = await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id, increment: 1800 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: creds.body.lease_id, renewable: true, lease_duration: 1800, data: null, wrap_info: null, warnings: null, auth: null });
  });

  it("without increment the TTL is config/lease's lease; increment may be a duration string", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    expect((await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id })).body.lease_duration).toBe(3600);
    expect((await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id, increment: "15m" })).body.lease_duration).toBe(900);
  });

  it("capped by lease_max counted from the lease's issue time, with the warning", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    const renew = (increment: string) => call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id, increment });
    sim.controls.advance("50m");
    expect((await renew("1h")).body.warnings).toBeNull();
    sim.controls.advance("50m");
    expect((await renew("1h")).body.warnings).toBeNull();
    sim.controls.advance("50m");
    expect((await renew("1h")).body.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "30m"; TTL value is capped accordingly']);
    sim.controls.advance("20m");
    const res = await renew("1h");
    expect(res.status).toBe(200);
    expect(res.body.lease_duration).toBe(600);
    expect(res.body.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "10m"; TTL value is capped accordingly']);
    sim.controls.advance("9m58s");
    const later = await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id, increment: "1h" });
    expect(later.body.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "2s"; TTL value is capped accordingly']);
  });

  it("lookup shows last_renewal after a renewal", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("5m");
    await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id });
    const look = await call("PUT", "/v1/sys/leases/lookup", { lease_id: creds.body.lease_id });
    expect(look.body.data.last_renewal).toBe(new Date(sim.clock.now()).toISOString().replace(/\.000Z$/, "Z").replace(/(\.\d*?)0+Z$/, "$1Z"));
    expect(look.body.data).toMatchObject({ renewable: true, ttl: 3600 });
  });

  it("the lease ID may be a URL suffix; the body wins over the suffix", async () => {
    const a = await call("GET", "/v1/aws/creds/user");
    const b = await call("GET", "/v1/aws/creds/user");
    const suffix = await call("PUT", `/v1/sys/leases/renew/${a.body.lease_id}`, { increment: 60 });
    expect(suffix.body.lease_id).toBe(a.body.lease_id);
    const both = await call("PUT", `/v1/sys/leases/renew/${a.body.lease_id}`, { lease_id: b.body.lease_id, increment: 60 });
    expect(both.body.lease_id).toBe(b.body.lease_id);
  });

  it("a token's lease given to sys/leases/renew → 403 tokens cannot be renewed through this endpoint", async () => {
    const token = (await call("POST", "/v1/auth/token/create", { policies: ["default"], ttl: "1h" })).body.auth;
    const tokenLease = sim.controls.leases().find((l) => l.kind === "auth" && l.tokenAccessor === token.accessor);
    expect(tokenLease).toBeDefined();
    const res = await call("PUT", "/v1/sys/leases/renew", { lease_id: tokenLease!.leaseId });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["tokens cannot be renewed through this endpoint"] });
  });

  it("an expired lease reads as not found once its expiry revocation ran", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("1h");
    const res = await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease not found"] });
  });
});

describe("lease expired (compat: expiredLeaseRetentionSeconds)", () => {
  beforeEach(() => setUp({ expiredLeaseRetentionSeconds: 30 }));

  it("inside the retention window an expired lease answers 400 lease expired, then lease not found", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("1h");
    expect((await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id })).body).toEqual({ errors: ["lease expired"] });
    sim.controls.advance(31);
    expect((await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id })).body).toEqual({ errors: ["lease not found"] });
  });
});

describe("lease expired on access when the sweep is off (lazy expiry)", () => {
  beforeEach(async () => {
    sim = await startVaultSim({ clock: { scale: 0 }, sweep: false });
    await call("POST", "/v1/sys/mounts/aws", { type: "aws" });
    await call("POST", "/v1/aws/config/lease", { lease: "1h", lease_max: "3h" });
    await call("POST", "/v1/aws/roles/user", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" });
  });

  it("the first access after the deadline answers lease expired and revokes it (IAM user deleted)", async () => {
    const creds = await call("GET", "/v1/aws/creds/user");
    sim.controls.advance("2h");
    expect(sim.controls.iamUsers()[0]?.deletedAt).toBeUndefined();
    const res = await call("PUT", "/v1/sys/leases/renew", { lease_id: creds.body.lease_id });
    expect(res.body).toEqual({ errors: ["lease expired"] });
    await sim.controls.settled();
    expect(sim.controls.iamUsers()[0]?.deletedAt).toBeDefined();
  });
});
