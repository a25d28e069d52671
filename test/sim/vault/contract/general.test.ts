// Contract tests for Vault's general HTTP contract (hashicorp/vault `http/handler.go`, `http/logical.go`,
// `sdk/logical/response_util.go`, `sdk/logical/translate_response.go`), run against the simulator and,
// when AVI_REAL_VAULT_ADDR/AVI_REAL_VAULT_TOKEN are set, against a real Vault.
import { expect, it } from "vitest";
import { describeContract } from "../support/target.js";

describeContract("http/logical.go buildLogicalRequestNoAuth: URL and method → operation", (t) => {
  it("GET ?list=true and the LIST verb both list (trailing slash added)", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    await t().request("POST", `/v1/${mount}/dir/a`, { body: { k: "v" } });
    await t().request("POST", `/v1/${mount}/dir/sub/b`, { body: { k: "v" } });
    const viaGet = await t().request("GET", `/v1/${mount}/dir?list=true`);
    expect(viaGet.status).toBe(200);
    expect(viaGet.body.data.keys).toEqual(["a", "sub/"]);
    const viaList = await t().request("LIST", `/v1/${mount}/dir`);
    expect(viaList.status).toBe(200);
    expect(viaList.body.data.keys).toEqual(["a", "sub/"]);
  });

  it("a list value that is not a bool is 400 with an empty errors array", async () => {
    const res = await t().request("GET", "/v1/secret/metadata/x?list=maybe");
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"errors":[]}\n');
  });

  it("POST and PUT are the same update operation", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    expect((await t().request("POST", `/v1/${mount}/p`, { body: { v: "1" } })).status).toBe(204);
    expect((await t().request("PUT", `/v1/${mount}/p`, { body: { v: "2" } })).status).toBe(204);
    expect((await t().request("GET", `/v1/${mount}/p`)).body.data).toEqual({ v: "2" });
  });

  it("bad JSON is 400 error parsing JSON", async () => {
    const res = await t().request("POST", "/v1/auth/token/lookup-self", { body: "{not json" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["error parsing JSON"] });
  });

  it("a form-encoded body is accepted", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const res = await t().request("POST", `/v1/${mount}/form`, { body: "user=alice&role=dev", headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(204);
    expect((await t().request("GET", `/v1/${mount}/form`)).body.data).toEqual({ user: "alice", role: "dev" });
  });

  it("an empty body is fine", async () => {
    const res = await t().request("POST", "/v1/auth/token/lookup-self", { body: "" });
    expect(res.status).toBe(200);
  });

  it("PATCH without application/merge-patch+json is 415 naming the content type", async () => {
    const res = await t().request("PATCH", "/v1/secret/data/x", { body: { data: {} }, headers: { "Content-Type": "application/json" } });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: ["PATCH requires Content-Type of application/merge-patch+json, provided application/json"] });
  });

  it("an unknown HTTP method is 405 with an empty errors array", async () => {
    const res = await t().request("PROPFIND", "/v1/secret/data/x");
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ errors: [] });
  });

  it("a path outside /v1/ is 404 with an empty errors array", async () => {
    const res = await t().request("GET", "/v2/sys/health");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [] });
  });

  it("DELETE takes its data from the query string", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "2" } });
    await t().request("POST", `/v1/${mount}/data/q`, { body: { data: { v: 1 } } });
    await t().request("POST", `/v1/${mount}/data/q`, { body: { data: { v: 2 } } });
    expect((await t().request("DELETE", `/v1/${mount}/data/q`)).status).toBe(204);
    const v1 = await t().request("GET", `/v1/${mount}/data/q?version=1`);
    expect(v1.status).toBe(200);
    expect(v1.body.data.data).toEqual({ v: 1 });
  });

  it("a body over 32 MiB is 413", async () => {
    const res = await t().request("POST", "/v1/auth/token/lookup-self", { body: `{"pad":"${"x".repeat(32 * 1024 * 1024 + 16)}"}` });
    expect(res.status).toBe(413);
  });
});

describeContract("http/handler.go: request headers", (t) => {
  it("X-Vault-Token wins over Authorization: Bearer", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { headers: { Authorization: "Bearer not-a-token" } });
    expect(res.status).toBe(200);
    expect(res.body.data.policies).toEqual(["root"]);
  });

  it("Authorization: Bearer alone is accepted", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token: null, headers: { Authorization: `Bearer ${t().rootToken}` } });
    expect(res.status).toBe(200);
  });

  it("an Authorization value without the Bearer scheme is ignored (no token → 403)", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token: null, headers: { Authorization: `Token ${t().rootToken}` } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["1 error occurred:\n\t* permission denied\n\n"] });
  });

  it("a negative X-Vault-Wrap-TTL is 400", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { headers: { "X-Vault-Wrap-TTL": "-10" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative"] });
  });

  it("X-Vault-Wrap-TTL wraps the response: only wrap_info, unwrapped once with sys/wrapping/unwrap", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    await t().request("POST", `/v1/${mount}/w`, { body: { secret: "s3" } });
    const wrapped = await t().request("GET", `/v1/${mount}/w`, { headers: { "X-Vault-Wrap-TTL": "60s" } });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body.data).toBeNull();
    expect(wrapped.body.auth).toBeNull();
    expect(wrapped.body.wrap_info).toMatchObject({ ttl: 60, creation_path: `${mount}/w` });
    expect(typeof wrapped.body.wrap_info.token).toBe("string");
    const unwrapped = await t().request("POST", "/v1/sys/wrapping/unwrap", { token: wrapped.body.wrap_info.token });
    expect(unwrapped.status).toBe(200);
    expect(unwrapped.body.data).toEqual({ secret: "s3" });
    // A second unwrap fails: the single-use token is gone (403 as a client token; 400 if Vault answers from the unwrap handler).
    const again = await t().request("POST", "/v1/sys/wrapping/unwrap", { token: wrapped.body.wrap_info.token });
    expect([400, 403]).toContain(again.status);
  });
});

describeContract("http/handler.go wrapGenericHandler: response headers", (t) => {
  it("Cache-Control: no-store is on every response (200, 204, 4xx, outside /v1/)", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const responses = [
      await t().request("GET", "/v1/sys/health"),
      await t().request("POST", `/v1/${mount}/x`, { body: { a: "b" } }),
      await t().request("GET", "/v1/auth/token/lookup-self", { token: "bogus" }),
      await t().request("GET", `/v1/${mount}/missing`),
      await t().request("GET", "/nope"),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 204, 403, 404, 404]);
    for (const r of responses) expect(r.headers.get("cache-control")).toBe("no-store");
  });

  it("Content-Type is application/json on JSON bodies and on 204", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const noBody = await t().request("POST", `/v1/${mount}/x`, { body: { a: "b" } });
    expect(noBody.status).toBe(204);
    expect(noBody.text).toBe("");
    expect(noBody.headers.get("content-type")).toBe("application/json");
    expect((await t().request("GET", `/v1/${mount}/x`)).headers.get("content-type")).toBe("application/json");
  });
});

describeContract("sdk/logical/translate_response.go: success envelope", (t) => {
  it("every key is present; absent objects are null; lease_duration is an integer; mount_type names the engine", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    await t().request("POST", `/v1/${mount}/e`, { body: { a: "b" } });
    const res = await t().request("GET", `/v1/${mount}/e`);
    expect(Object.keys(res.body).slice(0, 8)).toEqual(["request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"]);
    expect(res.body.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, wrap_info: null, warnings: null, auth: null, mount_type: "kv" });
    expect(Number.isInteger(res.body.lease_duration)).toBe(true);
  });

  it("a nil response is 204 with an empty body", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const res = await t().request("DELETE", `/v1/${mount}/none`);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
  });

  it("auth always has its fixed fields; token_policies present, identity_policies omitted when empty; hvs. tokens, 24-char accessors", async () => {
    const res = await t().request("POST", "/v1/auth/token/create", { body: { policies: ["default"], ttl: "1h" } });
    expect(res.status).toBe(200);
    expect(res.body.data).toBeNull();
    const auth = res.body.auth;
    for (const key of ["client_token", "accessor", "policies", "metadata", "lease_duration", "renewable", "entity_id", "token_type", "orphan"]) expect(auth).toHaveProperty(key);
    expect(auth).not.toHaveProperty("identity_policies");
    expect(auth.token_policies).toEqual(["default"]);
    expect(auth.client_token).toMatch(/^hvs\.[A-Za-z0-9_-]{80,}$/);
    expect(auth.accessor).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(auth.token_type).toBe("service");
    expect(auth.lease_duration).toBe(3600);
    expect(res.body.mount_type).toBe("token");
  });

  it("warnings is an array of strings when set (role written without an audience)", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const res = await t().request("POST", `/v1/auth/${mount}/role/r`, { body: { bound_service_account_names: "a", bound_service_account_namespaces: "b" } });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.warnings)).toBe(true);
    expect(res.body.warnings[0]).toMatch(/^Role r does not have an audience configured/);
  });
});

describeContract("sdk/logical/response_util.go RespondError: error body", (t) => {
  it("errors is an array of at most one string with a trailing newline after the JSON", async () => {
    const res = await t().request("POST", "/v1/aws-missing/x", { token: "bogus" });
    expect(res.text.endsWith("}\n")).toBe(true);
    expect(res.body.errors).toHaveLength(1);
  });

  it("a read of a missing item is 404 with {\"errors\":[]}", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const res = await t().request("GET", `/v1/${mount}/missing`);
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"errors":[]}\n');
  });

  it("an empty LIST is 404 with {\"errors\":[]}", async () => {
    const mount = await t().mount("secret", "kv", { options: { version: "1" } });
    const res = await t().request("LIST", `/v1/${mount}/nothing`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [] });
  });

  it("a backend error response is the plain message (no multierror)", async () => {
    const mount = await t().mount("secret", "aws");
    const res = await t().request("GET", `/v1/${mount}/creds/nope`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['Role "nope" not found'] });
  });

  it("a Go error on an authenticated non-login request is go-multierror text", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token: null });
    expect(res.body.errors[0]).toBe("1 error occurred:\n\t* permission denied\n\n");
  });
});

describeContract("sdk/logical/response_util.go RespondErrorCommon: status codes", (t) => {
  it("403 for a bad token carries both permission denied and invalid token", async () => {
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token: "hvs.not-a-real-token" });
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toContain("permission denied");
    expect(res.body.errors[0]).toContain("invalid token");
    expect(res.body.errors[0]).toMatch(/^2 errors occurred:\n\t\* .+\n\t\* .+\n\n$/);
  });

  it("403 for a revoked token carries both messages", async () => {
    const created = await t().request("POST", "/v1/auth/token/create", { body: { policies: ["default"] } });
    const token = created.body.auth.client_token as string;
    expect((await t().request("POST", "/v1/auth/token/revoke-self", { token })).status).toBe(204);
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token });
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toContain("permission denied");
    expect(res.body.errors[0]).toContain("invalid token");
  });

  it("403 on an ACL deny: the token has no capability on the path", async () => {
    const policy = t().unique("p");
    await t().request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: 'path "secret/data/allowed" { capabilities = ["read"] }' } });
    const created = await t().request("POST", "/v1/auth/token/create", { body: { policies: [policy] } });
    const token = created.body.auth.client_token as string;
    await t().request("POST", "/v1/secret/data/allowed", { body: { data: { a: 1 } } });
    expect((await t().request("GET", "/v1/secret/data/allowed", { token })).status).toBe(200);
    const denied = await t().request("GET", "/v1/secret/data/other", { token });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ errors: ["1 error occurred:\n\t* permission denied\n\n"] });
    const write = await t().request("POST", "/v1/secret/data/allowed", { token, body: { data: { a: 2 } } });
    expect(write.status).toBe(403);
  });

  it("ACL globs and + segments; the most specific rule wins and deny overrides", async () => {
    const policy = t().unique("glob");
    const text = [
      'path "secret/data/team/*" { capabilities = ["read"] }',
      'path "secret/data/team/+/private" { capabilities = ["deny"] }',
      'path "secret/data/team/a/special" { capabilities = ["read", "create", "update"] }',
    ].join("\n");
    expect((await t().request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: text } })).status).toBe(204);
    const token = (await t().request("POST", "/v1/auth/token/create", { body: { policies: [policy] } })).body.auth.client_token as string;
    for (const p of ["team/a/x", "team/a/private", "team/a/special"]) await t().request("POST", `/v1/secret/data/${p}`, { body: { data: { v: 1 } } });
    expect((await t().request("GET", "/v1/secret/data/team/a/x", { token })).status).toBe(200);
    expect((await t().request("GET", "/v1/secret/data/team/a/private", { token })).status).toBe(403);
    expect((await t().request("POST", "/v1/secret/data/team/a/special", { token, body: { data: { v: 2 } } })).status).toBe(200);
    expect((await t().request("POST", "/v1/secret/data/team/a/x", { token, body: { data: { v: 2 } } })).status).toBe(403);
  });

  it("create vs update: the existence check decides which capability a write needs", async () => {
    const policy = t().unique("create-only");
    await t().request("PUT", `/v1/sys/policies/acl/${policy}`, { body: { policy: 'path "secret/data/co/*" { capabilities = ["create"] }' } });
    const token = (await t().request("POST", "/v1/auth/token/create", { body: { policies: [policy] } })).body.auth.client_token as string;
    const name = t().unique("k");
    expect((await t().request("POST", `/v1/secret/data/co/${name}`, { token, body: { data: { v: 1 } } })).status).toBe(200);
    expect((await t().request("POST", `/v1/secret/data/co/${name}`, { token, body: { data: { v: 2 } } })).status).toBe(403);
  });

  it("405 unsupported operation on a path that does not take the method", async () => {
    const res = await t().request("DELETE", "/v1/auth/token/lookup-self");
    expect(res.status).toBe(405);
    expect(res.body.errors[0]).toContain("unsupported operation");
  });

  it("404 for a path no mount serves (authenticated: needs a capability first)", async () => {
    const res = await t().request("GET", `/v1/${t().unique("nomount")}/x`);
    expect(res.status).toBe(404);
  });
});
