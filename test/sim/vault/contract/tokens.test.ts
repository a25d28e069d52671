// Contract tests for the token self-endpoints (hashicorp/vault `vault/token_store.go`) and the TTL
// arithmetic of `sdk/framework/lease.go` CalculateTTL.
// Time moves with target.advance(): the simulator's frozen clock jumps; a real Vault really waits, so
// durations that must elapse are kept to a few seconds and exact remainders are matched within 2 s.
import { expect, it } from "vitest";
import { describeContract, ttlCapWarning, type VaultTarget, type WireJson } from "../support/target.js";

async function createToken(t: VaultTarget, body: Record<string, unknown>): Promise<{ token: string; accessor: string; leaseDuration: number; body: WireJson }> {
  const res = await t.request("POST", "/v1/auth/token/create", { body: { policies: ["default"], ...body } });
  if (res.status !== 200) throw new Error(`token create: ${res.status} ${res.text}`);
  return { token: res.body.auth.client_token, accessor: res.body.auth.accessor, leaseDuration: res.body.auth.lease_duration, body: res.body };
}

const near = (value: number, expected: number, slack = 2): void => {
  expect(value).toBeLessThanOrEqual(expected);
  expect(value).toBeGreaterThanOrEqual(expected - slack);
};

describeContract("token_store.go lookup-self", (t) => {
  it("returns the token's data with expire_time, issue_time, ttl and no last_renewal before a renewal", async () => {
    const { token, accessor } = await createToken(t(), { ttl: "1h", meta: { team: "a" } });
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token });
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(d).toMatchObject({ accessor, creation_ttl: 3600, explicit_max_ttl: 0, id: token, meta: { team: "a" }, num_uses: 0, orphan: false, path: "auth/token/create", policies: ["default"], renewable: true, type: "service" });
    near(d.ttl, 3600);
    expect(typeof d.expire_time).toBe("string");
    expect(typeof d.issue_time).toBe("string");
    expect(Number.isInteger(d.creation_time)).toBe(true);
    expect(d).not.toHaveProperty("last_renewal");
    expect(d).not.toHaveProperty("last_renewal_time");
    expect(res.body.mount_type).toBe("token");
  });

  it("a root token has expire_time null and ttl 0", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self");
    expect(res.body.data).toMatchObject({ expire_time: null, ttl: 0, policies: ["root"], path: "auth/token/root", display_name: "root", creation_ttl: 0 });
  });

  it("after a renewal it shows last_renewal_time (unix) and last_renewal (RFC 3339)", async () => {
    const { token } = await createToken(t(), { ttl: "1h" });
    await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "30m" } });
    const d = (await t().request("GET", "/v1/auth/token/lookup-self", { token })).body.data;
    expect(Number.isInteger(d.last_renewal_time)).toBe(true);
    expect(d.last_renewal).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(d.last_renewal) / 1000).toBeCloseTo(d.last_renewal_time, -1);
    near(d.ttl, 1800);
  });

  it("a periodic token shows period", async () => {
    const { token } = await createToken(t(), { period: "15m" });
    const d = (await t().request("GET", "/v1/auth/token/lookup-self", { token })).body.data;
    expect(d.period).toBe(900);
    near(d.ttl, 900);
  });
});

describeContract("use-limited tokens", (t) => {
  it("num_uses counts every request; the token is gone after the last use", async () => {
    const { token } = await createToken(t(), { ttl: "1h", num_uses: 2 });
    expect((await t().request("GET", "/v1/auth/token/lookup-self", { token })).body.data.num_uses).toBe(1);
    expect((await t().request("GET", "/v1/auth/token/lookup-self", { token })).status).toBe(200);
    expect((await t().request("GET", "/v1/auth/token/lookup-self", { token })).status).toBe(403);
  });
});

describeContract("token_store.go renew-self", (t) => {
  it("answers 200 with an auth-only envelope: the same token, the new lease_duration, data null", async () => {
    const { token, accessor } = await createToken(t(), { ttl: "1h" });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "20m" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0, data: null, warnings: null });
    expect(res.body.auth).toMatchObject({ client_token: token, accessor, lease_duration: 1200, renewable: true, token_type: "service" });
  });

  it("PUT works the same as POST, and increment may be integer seconds", async () => {
    const { token } = await createToken(t(), { ttl: "1h" });
    const res = await t().request("PUT", "/v1/auth/token/renew-self", { token, body: { increment: 600 } });
    expect(res.body.auth.lease_duration).toBe(600);
  });

  it("a non-renewable token → 400 lease is not renewable", async () => {
    const { token } = await createToken(t(), { ttl: "1h", renewable: false });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease is not renewable"] });
  });

  it("a root token (no TTL) → 400 lease is not renewable", async () => {
    const { token } = await createToken(t(), { policies: ["root"] });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["lease is not renewable"] });
  });

  it("a batch token → 400 batch tokens cannot be renewed", async () => {
    const { token } = await createToken(t(), { type: "batch", ttl: "1h" });
    expect(token).toMatch(/^hvb\./);
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["batch tokens cannot be renewed"] });
  });

  it("an expired token → 403 permission denied + invalid token", async () => {
    const { token } = await createToken(t(), { ttl: "2s" });
    await t().advance(3);
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toContain("permission denied");
    expect(res.body.errors[0]).toContain("invalid token");
  });
});

describeContract("framework.CalculateTTL: TTL math on renewal", (t) => {
  it("without increment the TTL is the backend TTL (the token's own TTL)", async () => {
    const { token } = await createToken(t(), { ttl: "10m" });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.body.auth.lease_duration).toBe(600);
  });

  it("the increment counts from now, not from the previous expiry", async () => {
    const { token } = await createToken(t(), { ttl: "1h" });
    await t().advance(2);
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "10m" } });
    expect(res.body.auth.lease_duration).toBe(600);
    near((await t().request("GET", "/v1/auth/token/lookup-self", { token })).body.data.ttl, 600);
  });

  it("past the max TTL the TTL is capped to the time remaining, with the warning", async () => {
    const { token } = await createToken(t(), { ttl: "5m", explicit_max_ttl: "10m" });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "1h" } });
    expect(res.status).toBe(200);
    near(res.body.auth.lease_duration, 600);
    expect(res.body.warnings).toHaveLength(1);
    expect(res.body.warnings[0]).toMatch(ttlCapWarning("1h", ["10m", "9m5\\ds"]));
  });

  it("the cap shrinks as the deadline approaches (remaining printed in Go form)", async () => {
    const { token } = await createToken(t(), { ttl: "30s", explicit_max_ttl: "62s" });
    await t().advance(2);
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "1h" } });
    near(res.body.auth.lease_duration, 60);
    expect(res.body.warnings[0]).toMatch(ttlCapWarning("1h", ["1m", "5\\ds"]));
  });

  it("periodic: TTL = period and the increment is ignored; renewable past any nominal max", async () => {
    const { token } = await createToken(t(), { period: "20m" });
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: { increment: "5h" } });
    expect(res.body.auth.lease_duration).toBe(1200);
    expect(res.body.warnings).toBeNull();
  });

  it("periodic with an explicit max below the period: the period is capped with the period warning", async () => {
    const { token, leaseDuration } = await createToken(t(), { period: "1h", explicit_max_ttl: "30m" });
    expect(leaseDuration).toBe(1800);
    const res = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(res.body.warnings?.[0]).toBe('period of "1h" exceeded the effective max_ttl of "30m"; period value is capped accordingly');
    near(res.body.auth.lease_duration, 1800);
  });

  it("at the max TTL deadline the token is gone: 403", async () => {
    const { token } = await createToken(t(), { ttl: "2s", explicit_max_ttl: "2s" });
    await t().advance(3);
    expect((await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} })).status).toBe(403);
  });
});

describeContract("token_store.go revoke-self", (t) => {
  it("answers 204 and the token is unusable afterwards (403)", async () => {
    const { token } = await createToken(t(), { ttl: "1h" });
    const res = await t().request("POST", "/v1/auth/token/revoke-self", { token });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await t().request("GET", "/v1/auth/token/lookup-self", { token })).status).toBe(403);
  });

  it("revokes child tokens too", async () => {
    const policy = t().unique("child-maker");
    await t().request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: 'path "auth/token/create" { capabilities = ["update"] }' } });
    const parent = await createToken(t(), { ttl: "1h", policies: [policy] });
    const child = await t().request("POST", "/v1/auth/token/create", { token: parent.token, body: { ttl: "30m" } });
    expect(child.status).toBe(200);
    await t().request("POST", "/v1/auth/token/revoke-self", { token: parent.token });
    expect((await t().request("GET", "/v1/auth/token/lookup-self", { token: child.body.auth.client_token })).status).toBe(403);
  });
});
