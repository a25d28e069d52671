// Contract tests for Vault's HTTP layer around the logical router, read in hashicorp/vault (main, the
// 1.19/1.20 line; the route list has been the same since 1.0 apart from `sys/ha-status`):
// - http/handler.go, `injectDataIntoTopRoutes` and `handler()` (`for _, path := range injectDataIntoTopRoutes
//   { mux.Handle(path, handleRequestForwarding(core, handleLogicalWithInjector(core))) }`), with
//   sdk/logical/response.go `HTTPSysInjector.MarshalJSON` (data keys first, then the envelope);
// - http/sys_health.go `handleSysHealth` (GET, HEAD, else 405), http/sys_seal.go `handleSysSealStatus`
//   (`r.Method != "GET"` → 405), `handleSysSeal` (update only), `handleSysUnseal` (PUT, POST),
//   http/sys_leader.go `handleSysLeader` (GET only), http/sys_init.go `handleSysInit` (GET, PUT, POST):
//   every refusal is `respondError(w, http.StatusMethodNotAllowed, nil)` → 405 `{"errors":[]}`.
import { beforeAll, expect, it } from "vitest";
import { describeContract } from "../support/target.js";

describeContract("http/handler.go injectDataIntoTopRoutes: data copied to the top level", (t) => {
  let kv = "";
  let auth = "";
  const policy = `top-${Math.random().toString(36).slice(2, 8)}`;
  beforeAll(async () => {
    kv = await t().mount("secret", "kv", { options: { version: "2" } });
    auth = await t().mount("auth", "kubernetes");
    await t().request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
  });

  it("GET sys/mounts/<kv>/tune has options.version and the TTLs at the top level (MariaDB's hashicorp_key_management reads them there)", async () => {
    const res = await t().request("GET", `/v1/sys/mounts/${kv}/tune`);
    expect(res.status).toBe(200);
    expect(res.body.data.options).toEqual({ version: "2" });
    expect(res.body.options).toEqual({ version: "2" });
    expect(res.body.default_lease_ttl).toBe(res.body.data.default_lease_ttl);
    expect(res.body.max_lease_ttl).toBe(res.body.data.max_lease_ttl);
    expect(res.body.request_id).toEqual(expect.any(String));
  });

  it("GET sys/mounts/<p> (the subtree pattern /v1/sys/mounts/) and GET sys/mounts", async () => {
    const one = await t().request("GET", `/v1/sys/mounts/${kv}`);
    expect(one.status).toBe(200);
    expect(one.body.type).toBe("kv");
    expect(one.body.options).toEqual({ version: "2" });
    const all = await t().request("GET", "/v1/sys/mounts");
    expect(all.body[`${kv}/`]).toEqual(all.body.data[`${kv}/`]);
  });

  it("GET sys/auth/<p>/tune and sys/auth", async () => {
    const tune = await t().request("GET", `/v1/sys/auth/${auth}/tune`);
    expect(tune.status).toBe(200);
    expect(tune.body.default_lease_ttl).toBe(tune.body.data.default_lease_ttl);
    const all = await t().request("GET", "/v1/sys/auth");
    expect(all.body[`${auth}/`].type).toBe("kubernetes");
  });

  it("GET sys/policy and sys/policy/<name> (the legacy routes) have their data at the top level", async () => {
    const one = await t().request("GET", `/v1/sys/policy/${policy}`);
    expect(one.status).toBe(200);
    expect(one.body.name).toBe(policy);
    expect(one.body.rules).toBe(one.body.data.rules);
    const list = await t().request("GET", "/v1/sys/policy");
    expect(list.body.policies).toContain(policy);
    expect(list.body.keys).toEqual(list.body.data.keys);
  });

  it("sys/capabilities-self and sys/capabilities answer at the top level too", async () => {
    const self = await t().request("POST", "/v1/sys/capabilities-self", { body: { paths: ["secret/x"] } });
    expect(self.status).toBe(200);
    expect(self.body.capabilities).toEqual(["root"]);
    expect(self.body["secret/x"]).toEqual(["root"]);
    const token = await t().request("POST", "/v1/auth/token/create", { body: { policies: [policy], ttl: "5m" } });
    const other = await t().request("POST", "/v1/sys/capabilities", { body: { token: token.body.auth.client_token, paths: ["secret/x"] } });
    expect(other.body.capabilities).toEqual(["read"]);
  });

  it("sys/config/auditing/request-headers[/<h>] answer at the top level", async () => {
    const header = `X-Top-${Math.random().toString(36).slice(2, 8)}`;
    expect((await t().request("PUT", `/v1/sys/config/auditing/request-headers/${header}`, { body: { hmac: true } })).status).toBe(204);
    try {
      const one = await t().request("GET", `/v1/sys/config/auditing/request-headers/${header}`);
      expect(Object.values(one.body).some((v) => typeof v === "object" && v !== null && (v as { hmac?: unknown }).hmac === true)).toBe(true);
      const all = await t().request("GET", "/v1/sys/config/auditing/request-headers");
      expect(all.body.headers).toEqual(all.body.data.headers);
    } finally {
      await t().request("DELETE", `/v1/sys/config/auditing/request-headers/${header}`);
    }
  });

  it("routes outside the list keep data only under `data` (sys/policies/acl/<n>, auth/token/lookup-self, the KV mount itself)", async () => {
    const acl = await t().request("GET", `/v1/sys/policies/acl/${policy}`);
    expect(acl.body.data.policy).toContain("secret/*");
    expect(acl.body).not.toHaveProperty("policy");
    expect(acl.body).not.toHaveProperty("name");
    const self = await t().request("GET", "/v1/auth/token/lookup-self");
    expect(self.body).not.toHaveProperty("policies");
    expect((await t().request("POST", `/v1/${kv}/data/a`, { body: { data: { k: "v" } } })).status).toBe(200);
    const read = await t().request("GET", `/v1/${kv}/data/a`);
    expect(read.body).not.toHaveProperty("metadata");
  });

});

describeContract("http/sys_*.go: the non-logical sys handlers' method rules", (t) => {
  it.each([
    ["PUT", "/v1/sys/seal-status"],
    ["POST", "/v1/sys/seal-status"],
    ["DELETE", "/v1/sys/seal-status"],
    ["PUT", "/v1/sys/leader"],
    ["POST", "/v1/sys/leader"],
    ["DELETE", "/v1/sys/leader"],
    ["PUT", "/v1/sys/health"],
    ["POST", "/v1/sys/health"],
    ["DELETE", "/v1/sys/health"],
    ["DELETE", "/v1/sys/init"],
    ["GET", "/v1/sys/seal"],
    ["DELETE", "/v1/sys/seal"],
    ["GET", "/v1/sys/unseal"],
    ["DELETE", "/v1/sys/unseal"],
  ])("%s %s → 405 {\"errors\":[]}", async (method, path) => {
    const res = await t().request(method, path, { token: null });
    expect(res.status).toBe(405);
    expect(res.text).toBe('{"errors":[]}\n');
  });

  it("the methods they do serve still work (GET seal-status, leader, health, init; HEAD health)", async () => {
    for (const path of ["/v1/sys/seal-status", "/v1/sys/leader", "/v1/sys/health", "/v1/sys/init"]) {
      expect((await t().request("GET", path, { token: null })).status).toBe(200);
    }
    const head = await t().request("HEAD", "/v1/sys/health", { token: null });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
  });

  it("the 405 comes before the token check: a bad token on PUT sys/seal-status is still 405", async () => {
    const res = await t().request("PUT", "/v1/sys/seal-status", { token: "s.not-a-token" });
    expect(res.status).toBe(405);
  });
});
