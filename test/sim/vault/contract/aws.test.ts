// Contract tests for Vault's AWS secrets engine (developer.hashicorp.com/vault/api-docs/secret/aws;
// `session_token` since 1.16, hashicorp/vault#23690) that any Vault can run: the STS
// credential types go to a loopback STS endpoint through `sts_endpoint`. The simulated AWS account
// (iam_user without an IAM endpoint, fault injection) is covered in sim-only/aws-simulated.test.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeSts, type FakeSts } from "../support/fake-sts-server.js";
import { describeContract, type VaultTarget } from "../support/target.js";

const ROOT_KEYS = { access_key: "AKIAROOTKEYFORTESTS0", secret_key: "root-secret-key-for-tests-0000000000000" };
const ROLE_ARN = "arn:aws:iam::123456789012:role/App";

describeContract("AWS engine (api-docs/secret/aws) with sts_endpoint", (t) => {
  let sts: FakeSts;
  let mount = "";
  beforeAll(async () => {
    sts = await startFakeSts();
    mount = await t().mount("secret", "aws");
    const res = await t().request("POST", `/v1/${mount}/config/root`, { body: { ...ROOT_KEYS, region: "us-east-1", sts_endpoint: sts.url, sts_region: "eu-west-1" } });
    expect(res.status).toBe(204);
  });
  afterAll(async () => {
    await sts.stop();
  });
  const role = (name: string, body: Record<string, unknown>) => t().request("POST", `/v1/${mount}/roles/${name}`, { body });

  it("config/root reads back without secret_key", async () => {
    const res = await t().request("GET", `/v1/${mount}/config/root`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ access_key: ROOT_KEYS.access_key, region: "us-east-1", sts_endpoint: sts.url });
    expect(res.body.data).not.toHaveProperty("secret_key");
  });

  it("config/lease needs lease and lease_max, and reads back in Go duration form", async () => {
    const missing = await t().request("POST", `/v1/${mount}/config/lease`, { body: { lease_max: "12h" } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ errors: ["'lease' is a required parameter"] });
    const missingMax = await t().request("POST", `/v1/${mount}/config/lease`, { body: { lease: "30m" } });
    expect(missingMax.status).toBe(400);
    expect(missingMax.body).toEqual({ errors: ["'lease_max' is a required parameter"] });
    expect((await t().request("POST", `/v1/${mount}/config/lease`, { body: { lease: "30m", lease_max: "12h" } })).status).toBe(204);
    expect((await t().request("GET", `/v1/${mount}/config/lease`)).body.data).toEqual({ lease: "30m0s", lease_max: "12h0m0s" });
  });

  it("a missing role → 400 Role \"x\" not found", async () => {
    const res = await t().request("GET", `/v1/${mount}/sts/absent`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['Role "absent" not found'] });
  });

  it("assumed_role: AssumeRole signed with the root keys (SigV4, STS region), the default ttl 3600", async () => {
    await role("app", { credential_type: "assumed_role", role_arns: ROLE_ARN });
    const before = sts.calls.length;
    const res = await t().request("GET", `/v1/${mount}/sts/app`);
    expect(res.status).toBe(200);
    const call = sts.calls.slice(before).find((c) => c.action === "AssumeRole");
    expect(call).toBeDefined();
    expect(call!.params).toMatchObject({ Version: "2011-06-15", RoleArn: ROLE_ARN, DurationSeconds: "3600" });
    expect(call!.params.RoleSessionName).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(call!.auth).toMatchObject({ accessKeyId: ROOT_KEYS.access_key, region: "eu-west-1", service: "sts" });
    expect(call!.auth!.signedHeaders).toContain("host");
    expect(call!.auth!.signedHeaders).toContain("x-amz-date");
    expect(call!.amzDate).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it("assumed_role data: both security_token and session_token, arn, ttl; non-renewable lease ≈ ttl", async () => {
    await role("app", { credential_type: "assumed_role", role_arns: ROLE_ARN });
    const res = await t().request("POST", `/v1/${mount}/sts/app`, { body: { ttl: "1h" } });
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(Object.keys(d).sort()).toEqual(["access_key", "arn", "secret_key", "security_token", "session_token", "ttl"]);
    expect(d.security_token).toBe(d.session_token);
    expect(d.arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/App\//);
    expect(res.body.renewable).toBe(false);
    expect(res.body.lease_id).toMatch(new RegExp(`^${mount}/sts/app/.+`));
    expect(res.body.lease_duration).toBeGreaterThanOrEqual(3595);
    expect(res.body.lease_duration).toBeLessThanOrEqual(3600);
    expect(Math.abs(d.ttl - res.body.lease_duration)).toBeLessThanOrEqual(1);
    expect(res.body.mount_type).toBe("aws");
  });

  it("creds/ and sts/ are the same for STS roles; role_session_name passes through", async () => {
    await role("app", { credential_type: "assumed_role", role_arns: ROLE_ARN });
    const res = await t().request("POST", `/v1/${mount}/creds/app`, { body: { role_session_name: "airflow-task-1" } });
    expect(res.status).toBe(200);
    expect(sts.calls.at(-1)?.params.RoleSessionName).toBe("airflow-task-1");
    expect(res.body.data.arn).toBe("arn:aws:sts::123456789012:assumed-role/App/airflow-task-1");
  });

  it("ttl falls back to default_sts_ttl and is silently capped to max_sts_ttl", async () => {
    await role("capped", { credential_type: "assumed_role", role_arns: ROLE_ARN, default_sts_ttl: "20m", max_sts_ttl: "30m" });
    await t().request("GET", `/v1/${mount}/sts/capped`);
    expect(sts.calls.at(-1)?.params.DurationSeconds).toBe("1200");
    const res = await t().request("GET", `/v1/${mount}/sts/capped?ttl=2h`);
    expect(res.status).toBe(200);
    expect(res.body.warnings).toBeNull();
    expect(sts.calls.at(-1)?.params.DurationSeconds).toBe("1800");
  });

  it("role_arn is required when the role allows several; one outside the list is refused", async () => {
    await role("multi", { credential_type: "assumed_role", role_arns: [ROLE_ARN, "arn:aws:iam::123456789012:role/Other"] });
    const none = await t().request("GET", `/v1/${mount}/sts/multi`);
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ errors: ["did not supply a role_arn parameter and unable to determine one"] });
    const outside = await t().request("GET", `/v1/${mount}/sts/multi?role_arn=arn:aws:iam::123456789012:role/Nope`);
    expect(outside.status).toBe(400);
    expect(outside.body).toEqual({ errors: ['role_arn "arn:aws:iam::123456789012:role/Nope" not in allowed role arns for Vault role "multi"'] });
    const chosen = await t().request("GET", `/v1/${mount}/sts/multi?role_arn=arn:aws:iam::123456789012:role/Other`);
    expect(chosen.status).toBe(200);
    expect(sts.calls.at(-1)?.params.RoleArn).toBe("arn:aws:iam::123456789012:role/Other");
  });

  it("federation_token: GetFederationToken; both token keys, no arn", async () => {
    await role("fed", { credential_type: "federation_token", policy_document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) });
    const res = await t().request("GET", `/v1/${mount}/sts/fed?ttl=900`);
    expect(res.status).toBe(200);
    expect(sts.calls.at(-1)?.action).toBe("GetFederationToken");
    expect(sts.calls.at(-1)?.params.DurationSeconds).toBe("900");
    expect(res.body.data).not.toHaveProperty("arn");
    expect(res.body.data.security_token).toBe(res.body.data.session_token);
    expect(res.body.renewable).toBe(false);
  });

  it("session_token: GetSessionToken; access_key, secret_key, session_token (+ security_token)", async () => {
    await role("sess", { credential_type: "session_token" });
    const res = await t().request("GET", `/v1/${mount}/creds/sess`);
    expect(res.status).toBe(200);
    expect(sts.calls.at(-1)?.action).toBe("GetSessionToken");
    expect(res.body.data).toMatchObject({ access_key: expect.any(String), secret_key: expect.any(String), session_token: expect.any(String) });
    expect(res.body.data.security_token).toBe(res.body.data.session_token);
    expect(res.body.renewable).toBe(false);
  });

  it("renewing an STS lease → 400 lease is not renewable; revoking it is a no-op 204", async () => {
    await role("app", { credential_type: "assumed_role", role_arns: ROLE_ARN });
    const creds = await t().request("GET", `/v1/${mount}/sts/app`);
    const renew = await t().request("PUT", "/v1/sys/leases/renew", { body: { lease_id: creds.body.lease_id } });
    expect(renew.status).toBe(400);
    expect(renew.body).toEqual({ errors: ["lease is not renewable"] });
    expect((await t().request("PUT", "/v1/sys/leases/revoke", { body: { lease_id: creds.body.lease_id } })).status).toBe(204);
  });

  it("an STS error → 400 Error assuming role: <AWS error>", async () => {
    await role("app", { credential_type: "assumed_role", role_arns: ROLE_ARN });
    sts.failNext(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/vault is not authorized to perform: sts:AssumeRole");
    const res = await t().request("GET", `/v1/${mount}/sts/app`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0]).toMatch(/^Error assuming role: /);
    expect(res.body.errors[0]).toContain("AccessDenied");
    expect(res.body.errors[0]).toContain("is not authorized to perform: sts:AssumeRole");
  });

  it("STS throttling → 502 (upstream rate limited); max_retries 0 means no SDK retry", async () => {
    const noRetry = await t().mount("secret", "aws");
    await t().request("POST", `/v1/${noRetry}/config/root`, { body: { ...ROOT_KEYS, region: "us-east-1", sts_endpoint: sts.url, max_retries: 0 } });
    await t().request("POST", `/v1/${noRetry}/roles/app`, { body: { credential_type: "assumed_role", role_arns: ROLE_ARN } });
    sts.failNext(400, "Throttling", "Rate exceeded");
    const res = await t().request("GET", `/v1/${noRetry}/sts/app`);
    expect(res.status).toBe(502);
    expect(res.body.errors[0]).toContain("Throttling");
  });

  it("role validation: credential_type required; role_arns only for assumed_role; default_sts_ttl ≤ max_sts_ttl", async () => {
    expect((await role("bad", { role_arns: ROLE_ARN })).status).toBe(400);
    const arns = await role("bad", { credential_type: "iam_user", role_arns: ROLE_ARN, policy_arns: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    expect(arns.status).toBe(400);
    expect(arns.body).toEqual({ errors: ["cannot supply role_arns when credential_type isn't assumed_role"] });
    const ttls = await role("bad", { credential_type: "assumed_role", role_arns: ROLE_ARN, default_sts_ttl: "2h", max_sts_ttl: "1h" });
    expect(ttls.status).toBe(400);
  });

  it("roles read back; LIST roles names them", async () => {
    await role("readback", { credential_type: "assumed_role", role_arns: ROLE_ARN, default_sts_ttl: 900, max_sts_ttl: "1h" });
    const res = await t().request("GET", `/v1/${mount}/roles/readback`);
    expect(res.body.data).toMatchObject({ credential_type: "assumed_role", role_arns: [ROLE_ARN], default_sts_ttl: 900, max_sts_ttl: 3600 });
    expect((await t().request("LIST", `/v1/${mount}/roles`)).body.data.keys).toContain("readback");
  });
}, { callsBack: true });

describeContract("token_store.go revoke-self takes the token's leases with it", (t) => {
  let sts: FakeSts;
  let mount = "";
  beforeAll(async () => {
    sts = await startFakeSts();
    mount = await t().mount("secret", "aws");
    await t().request("POST", `/v1/${mount}/config/root`, { body: { ...ROOT_KEYS, region: "us-east-1", sts_endpoint: sts.url } });
    await t().request("POST", `/v1/${mount}/roles/app`, { body: { credential_type: "assumed_role", role_arns: ROLE_ARN } });
  });
  afterAll(async () => {
    await sts.stop();
  });

  async function tokenWithCreds(target: VaultTarget): Promise<{ token: string; leaseId: string }> {
    const policy = target.unique("sts-reader");
    await target.request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: `path "${mount}/sts/*" { capabilities = ["read"] }` } });
    const token = (await target.request("POST", "/v1/auth/token/create", { body: { policies: [policy], ttl: "1h" } })).body.auth.client_token as string;
    const creds = await target.request("GET", `/v1/${mount}/sts/app`, { token });
    expect(creds.status).toBe(200);
    return { token, leaseId: creds.body.lease_id };
  }

  it("after revoke-self the lease is gone (lookup → 400 invalid lease)", async () => {
    const { token, leaseId } = await tokenWithCreds(t());
    expect((await t().request("PUT", "/v1/sys/leases/lookup", { body: { lease_id: leaseId } })).status).toBe(200);
    expect((await t().request("POST", "/v1/auth/token/revoke-self", { token })).status).toBe(204);
    const look = await t().request("PUT", "/v1/sys/leases/lookup", { body: { lease_id: leaseId } });
    expect(look.status).toBe(400);
    expect(look.body).toEqual({ errors: ["invalid lease"] });
  });
}, { callsBack: true });
