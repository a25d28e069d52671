// Setup through Vault's own API (the scope: the same scripts configure the simulator and a real
// Vault): sys/mounts, sys/auth, tune, sys/policies/acl, capabilities, audited request headers.
import { expect, it } from "vitest";
import { describeContract } from "../support/target.js";

describeContract("setup API: sys/mounts and sys/auth", (t) => {
  it("enabling a secrets engine lists it with type, accessor and config; the same path twice → 400", async () => {
    const path = t().unique("kv");
    expect((await t().request("POST", `/v1/sys/mounts/${path}`, { body: { type: "kv", options: { version: "2" }, description: "d" } })).status).toBe(204);
    t().track("secret", path);
    const list = await t().request("GET", "/v1/sys/mounts");
    expect(list.body.data[`${path}/`]).toMatchObject({ type: "kv", description: "d", options: { version: "2" }, config: { default_lease_ttl: 0, max_lease_ttl: 0 } });
    expect(list.body.data[`${path}/`].accessor).toMatch(/^kv_[0-9a-f]{8}$/);
    const again = await t().request("POST", `/v1/sys/mounts/${path}`, { body: { type: "kv" } });
    expect(again.status).toBe(400);
    expect(again.body.errors[0]).toContain(`path is already in use at ${path}/`);
  });

  it("kv-v2 is kv with version 2; an unknown type → 400", async () => {
    const path = t().unique("kvv2");
    await t().request("POST", `/v1/sys/mounts/${path}`, { body: { type: "kv-v2" } });
    t().track("secret", path);
    expect((await t().request("GET", "/v1/sys/mounts")).body.data[`${path}/`]).toMatchObject({ type: "kv", options: { version: "2" } });
    const bad = await t().request("POST", `/v1/sys/mounts/${t().unique("x")}`, { body: { type: "no-such-engine" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatch(/no-such-engine/);
  });

  it("auth methods list under sys/auth without the auth/ prefix; disabling removes them", async () => {
    const path = t().unique("k8s");
    expect((await t().request("POST", `/v1/sys/auth/${path}`, { body: { type: "kubernetes" } })).status).toBe(204);
    const list = await t().request("GET", "/v1/sys/auth");
    expect(list.body.data[`${path}/`]).toMatchObject({ type: "kubernetes" });
    expect(list.body.data["token/"]).toMatchObject({ type: "token" });
    expect((await t().request("DELETE", `/v1/sys/auth/${path}`)).status).toBe(204);
    expect((await t().request("GET", "/v1/sys/auth")).body.data).not.toHaveProperty(`${path}/`);
  });

  it("tune sets and reads default/max lease TTLs", async () => {
    const path = await t().mount("secret", "kv", { options: { version: "1" } });
    expect((await t().request("POST", `/v1/sys/mounts/${path}/tune`, { body: { default_lease_ttl: "1h", max_lease_ttl: "24h" } })).status).toBe(204);
    const tuned = await t().request("GET", `/v1/sys/mounts/${path}/tune`);
    expect(tuned.body.data).toMatchObject({ default_lease_ttl: 3600, max_lease_ttl: 86400 });
    await t().request("POST", `/v1/${path}/k`, { body: { a: "b" } });
    expect((await t().request("GET", `/v1/${path}/k`)).body.lease_duration).toBe(3600);
  });

  it("mount management needs a privileged token", async () => {
    const token = (await t().request("POST", "/v1/auth/token/create", { body: { policies: ["default"] } })).body.auth.client_token as string;
    expect((await t().request("POST", `/v1/sys/mounts/${t().unique("x")}`, { token, body: { type: "kv" } })).status).toBe(403);
  });
});

describeContract("setup API: sys/policies/acl and capabilities", (t) => {
  it("write (204), read back {name, policy}, list, delete; names are lower-cased", async () => {
    const name = t().unique("Policy");
    const text = 'path "secret/data/x" {\n  capabilities = ["read"]\n}\n';
    expect((await t().request("PUT", `/v1/sys/policies/acl/${name}`, { body: { policy: text } })).status).toBe(204);
    const read = await t().request("GET", `/v1/sys/policies/acl/${name}`);
    expect(read.body.data).toEqual({ name: name.toLowerCase(), policy: text });
    expect((await t().request("LIST", "/v1/sys/policies/acl")).body.data.keys).toEqual(expect.arrayContaining(["default", "root", name.toLowerCase()]));
    expect((await t().request("DELETE", `/v1/sys/policies/acl/${name}`)).status).toBe(204);
    expect((await t().request("GET", `/v1/sys/policies/acl/${name}`)).status).toBe(404);
  });

  it("a policy that does not parse → 400 failed to parse policy", async () => {
    const res = await t().request("PUT", `/v1/sys/policies/acl/${t().unique("bad")}`, { body: { policy: 'path "x" { capabilities = ["read"' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/^failed to parse policy/);
  });

  it("root cannot be changed, default cannot be deleted", async () => {
    expect((await t().request("PUT", "/v1/sys/policies/acl/root", { body: { policy: 'path "*" { capabilities = ["read"] }' } })).status).toBe(400);
    expect((await t().request("DELETE", "/v1/sys/policies/acl/default")).status).toBe(400);
  });

  it("sys/capabilities-self reports the caller's capabilities per path", async () => {
    const name = t().unique("caps");
    await t().request("PUT", `/v1/sys/policies/acl/${name}`, { body: { policy: 'path "secret/data/c/*" { capabilities = ["read", "list"] }' } });
    const token = (await t().request("POST", "/v1/auth/token/create", { body: { policies: [name] } })).body.auth.client_token as string;
    const res = await t().request("POST", "/v1/sys/capabilities-self", { token, body: { paths: ["secret/data/c/k", "secret/data/other"] } });
    expect(res.status).toBe(200);
    expect(res.body.data["secret/data/c/k"]).toEqual(["list", "read"]);
    expect(res.body.data["secret/data/other"]).toEqual(["deny"]);
  });
});

describeContract("setup API: audited request headers", (t) => {
  it("sys/config/auditing/request-headers/<name> stores the header (canonical name) and the hmac flag", async () => {
    expect((await t().request("PUT", "/v1/sys/config/auditing/request-headers/x-airflow-dag-id", { body: { hmac: false } })).status).toBe(204);
    const one = await t().request("GET", "/v1/sys/config/auditing/request-headers/X-Airflow-Dag-Id");
    expect(one.body.data).toEqual({ "X-Airflow-Dag-Id": { hmac: false } });
    const all = await t().request("GET", "/v1/sys/config/auditing/request-headers");
    expect(all.body.data.headers["X-Airflow-Dag-Id"]).toEqual({ hmac: false });
    expect((await t().request("DELETE", "/v1/sys/config/auditing/request-headers/x-airflow-dag-id")).status).toBe(204);
  });
});
