// Contract tests for sys/leases (hashicorp/vault `vault/logical_system.go`, `vault/expiration.go`) that any Vault can run, using STS leases
// minted through a loopback `sts_endpoint`. Renewable (iam_user) leases need the simulated AWS account:
// sim-only/leases-renewable.test.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeSts, type FakeSts } from "../support/fake-sts-server.js";
import { describeContract } from "../support/target.js";

describeContract("logical_system.go sys/leases with a non-renewable (STS) lease", (t) => {
  let sts: FakeSts;
  let mount = "";
  beforeAll(async () => {
    sts = await startFakeSts();
    mount = await t().mount("secret", "aws");
    await t().request("POST", `/v1/${mount}/config/root`, { body: { access_key: "AKIAROOTKEYFORTESTS0", secret_key: "x".repeat(40), region: "us-east-1", sts_endpoint: sts.url } });
    await t().request("POST", `/v1/${mount}/roles/app`, { body: { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/App" } });
  });
  afterAll(async () => {
    await sts.stop();
  });
  const mint = async (): Promise<string> => (await t().request("GET", `/v1/${mount}/sts/app`)).body.lease_id as string;

  it("renew without lease_id → 400 lease_id must be specified", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/renew", { body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease_id must be specified"] });
  });

  it("renew of an unknown lease → 400 lease not found", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/renew", { body: { lease_id: `${mount}/sts/app/doesnotexist` } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease not found"] });
  });

  it("renew of a non-renewable secret → 400 lease is not renewable", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/renew", { body: { lease_id: await mint(), increment: 3600 } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease is not renewable"] });
  });

  it("renew of a revoked lease → 400 lease not found", async () => {
    const leaseId = await mint();
    await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: leaseId, sync: true } });
    const res = await t().request("PUT", "/v1/sys/leases/renew", { body: { lease_id: leaseId } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease not found"] });
  });

  // hashicorp/vault vault/logical_system_paths.go, path `(leases/)?revoke` + OptionalParamRegex("url_lease_id"):
  // field "sync" {Type: framework.TypeBool, Default: true}; vault/logical_system.go handleRevoke: sync →
  // expiration.Revoke, `return nil, nil` (204); else LazyRevoke → RespondWithStatusCode(nil, nil, 202).
  it("revoke without `sync` is synchronous (the field defaults to true) → 204", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: await mint() } });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
  });

  it("revoke with sync=false (what `vault lease revoke` sends) → 202 Accepted with an empty body", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: await mint(), sync: false } });
    expect(res.status).toBe(202);
    expect(res.text).toBe("");
  });

  it("revoke with sync=true → 204", async () => {
    const res = await t().request("POST", "/v1/sys/leases/revoke", { body: { lease_id: await mint(), sync: true } });
    expect(res.status).toBe(204);
  });

  it("revoke is idempotent: an unknown lease is not an error", async () => {
    const leaseId = await mint();
    expect((await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: leaseId } })).status).toBe(204);
    expect((await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: leaseId } })).status).toBe(204);
    expect((await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: "never/existed/x", sync: false } })).status).toBe(202);
  });

  // Same file, path `(leases/)?revoke-prefix/(?P<prefix>.+)`: "sync" {TypeBool, Default: true}.
  it("revoke-prefix follows the same `sync` rule: 204 by default, 202 with sync=false", async () => {
    await mint();
    expect((await t().request("PUT", `/v1/sys/leases/revoke-prefix/${mount}/sts/app`, { body: {} })).status).toBe(204);
    await mint();
    const res = await t().request("PUT", `/v1/sys/leases/revoke-prefix/${mount}/sts/app`, { body: { sync: false } });
    expect(res.status).toBe(202);
    expect(res.text).toBe("");
  });

  it("revoke without lease_id → 400 lease_id must be specified", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/revoke", { body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease_id must be specified"] });
  });

  it("the lease ID may be a URL suffix (sys/leases/revoke/<id>)", async () => {
    const leaseId = await mint();
    expect((await t().request("PUT", `/v1/sys/leases/revoke/${leaseId}`, { body: { sync: true } })).status).toBe(204);
    expect((await t().request("PUT", "/v1/sys/leases/lookup", { body: { lease_id: leaseId } })).status).toBe(400);
  });

  it("lookup → id, issue_time, expire_time, last_renewal (null before any renewal), renewable, ttl", async () => {
    const leaseId = await mint();
    const res = await t().request("PUT", "/v1/sys/leases/lookup", { body: { lease_id: leaseId } });
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(Object.keys(d).sort()).toEqual(["expire_time", "id", "issue_time", "last_renewal", "renewable", "ttl"]);
    expect(d).toMatchObject({ id: leaseId, last_renewal: null, renewable: false });
    expect(d).not.toHaveProperty("last_renewal_time");
    expect(d.ttl).toBeGreaterThan(3590);
    expect(d.ttl).toBeLessThanOrEqual(3600);
    expect(Date.parse(d.expire_time) - Date.parse(d.issue_time)).toBeGreaterThan(3590_000);
  });

  it("lookup of an unknown lease → 400 invalid lease", async () => {
    const res = await t().request("PUT", "/v1/sys/leases/lookup", { body: { lease_id: `${mount}/sts/app/nope` } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["invalid lease"] });
  });

  it("lease endpoints need a token with the capability: default policy renews/looks up but cannot revoke", async () => {
    const token = (await t().request("POST", "/v1/auth/token/create", { body: { policies: ["default"], ttl: "10m" } })).body.auth.client_token as string;
    const leaseId = await mint();
    expect((await t().request("PUT", "/v1/sys/leases/lookup", { token, body: { lease_id: leaseId } })).status).toBe(200);
    expect((await t().request("PUT", "/v1/sys/leases/renew", { token, body: { lease_id: leaseId } })).status).toBe(400);
    expect((await t().request("PUT", "/v1/sys/leases/revoke", { token, body: { lease_id: leaseId } })).status).toBe(403);
  });
}, { callsBack: true });
