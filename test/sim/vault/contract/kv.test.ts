// Contract tests for KV v1 and v2 response shapes (hashicorp/vault-plugin-secrets-kv `passthrough.go`,
// `path_data.go`).
import { beforeAll, expect, it } from "vitest";
import { describeContract } from "../support/target.js";

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describeContract("KV v2 (path_data.go)", (t) => {
  let kv = "";
  beforeAll(async () => {
    kv = await t().mount("secret", "kv", { options: { version: "2" } });
  });

  it("write → 200 with the version metadata", async () => {
    const res = await t().request("POST", `/v1/${kv}/data/rgw/etl`, { body: { data: { access_key: "A", secret_key: "S" } } });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ custom_metadata: null, deletion_time: "", destroyed: false, version: 1 });
    expect(res.body.data.created_time).toMatch(RFC3339);
    expect(res.body.mount_type).toBe("kv");
  });

  it("read → data.data and data.metadata; lease_id empty, not renewable", async () => {
    await t().request("POST", `/v1/${kv}/data/shape`, { body: { data: { username: "u", password: "p" } } });
    const res = await t().request("GET", `/v1/${kv}/data/shape`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0, wrap_info: null, warnings: null, auth: null });
    expect(res.body.data.data).toEqual({ username: "u", password: "p" });
    expect(Object.keys(res.body.data.metadata).sort()).toEqual(["created_time", "custom_metadata", "deletion_time", "destroyed", "version"]);
  });

  it("?version=N reads an older version; a version that does not exist → 404 {\"errors\":[]}", async () => {
    await t().request("POST", `/v1/${kv}/data/ver`, { body: { data: { v: 1 } } });
    await t().request("POST", `/v1/${kv}/data/ver`, { body: { data: { v: 2 } } });
    expect((await t().request("GET", `/v1/${kv}/data/ver?version=1`)).body.data.data).toEqual({ v: 1 });
    expect((await t().request("GET", `/v1/${kv}/data/ver`)).body.data.metadata.version).toBe(2);
    const missing = await t().request("GET", `/v1/${kv}/data/ver?version=7`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('{"errors":[]}\n');
  });

  it("a path never written → 404 {\"errors\":[]}", async () => {
    const res = await t().request("GET", `/v1/${kv}/data/never/written`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [] });
  });

  it("soft-deleted latest version → 404 WITH the envelope: data.data null, deletion_time set", async () => {
    await t().request("POST", `/v1/${kv}/data/soft`, { body: { data: { v: 1 } } });
    expect((await t().request("DELETE", `/v1/${kv}/data/soft`)).status).toBe(204);
    const res = await t().request("GET", `/v1/${kv}/data/soft`);
    expect(res.status).toBe(404);
    expect(res.body.data.data).toBeNull();
    expect(res.body.data.metadata).toMatchObject({ destroyed: false, version: 1 });
    expect(res.body.data.metadata.deletion_time).toMatch(RFC3339);
    expect(res.body).toHaveProperty("request_id");
  });

  it("undelete brings a soft-deleted version back", async () => {
    await t().request("POST", `/v1/${kv}/data/undel`, { body: { data: { v: 1 } } });
    await t().request("DELETE", `/v1/${kv}/data/undel`);
    expect((await t().request("POST", `/v1/${kv}/undelete/undel`, { body: { versions: [1] } })).status).toBe(204);
    const res = await t().request("GET", `/v1/${kv}/data/undel`);
    expect(res.status).toBe(200);
    expect(res.body.data.metadata.deletion_time).toBe("");
  });

  it("destroyed version → 404 with the envelope: data.data null, destroyed true", async () => {
    await t().request("POST", `/v1/${kv}/data/gone`, { body: { data: { v: 1 } } });
    expect((await t().request("PUT", `/v1/${kv}/destroy/gone`, { body: { versions: [1] } })).status).toBe(204);
    const res = await t().request("GET", `/v1/${kv}/data/gone`);
    expect(res.status).toBe(404);
    expect(res.body.data).toMatchObject({ data: null, metadata: { destroyed: true, version: 1 } });
  });

  it("delete/<path> soft-deletes chosen versions", async () => {
    await t().request("POST", `/v1/${kv}/data/multi`, { body: { data: { v: 1 } } });
    await t().request("POST", `/v1/${kv}/data/multi`, { body: { data: { v: 2 } } });
    await t().request("POST", `/v1/${kv}/delete/multi`, { body: { versions: [1] } });
    expect((await t().request("GET", `/v1/${kv}/data/multi?version=1`)).status).toBe(404);
    expect((await t().request("GET", `/v1/${kv}/data/multi`)).status).toBe(200);
  });

  it("check-and-set: a wrong cas → 400; the right one writes the next version", async () => {
    await t().request("POST", `/v1/${kv}/data/cas`, { body: { data: { v: 1 } } });
    const wrong = await t().request("POST", `/v1/${kv}/data/cas`, { body: { options: { cas: 0 }, data: { v: 2 } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0]).toContain("check-and-set parameter did not match the current version");
    const right = await t().request("POST", `/v1/${kv}/data/cas`, { body: { options: { cas: 1 }, data: { v: 2 } } });
    expect(right.status).toBe(200);
    expect(right.body.data.version).toBe(2);
  });

  it("cas_required on the key: a write without cas → 400", async () => {
    await t().request("POST", `/v1/${kv}/metadata/casreq`, { body: { cas_required: true } });
    const res = await t().request("POST", `/v1/${kv}/data/casreq`, { body: { data: { v: 1 } } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toContain("check-and-set parameter required for this call");
  });

  it("PATCH (merge-patch+json) merges into the latest version and writes a new one", async () => {
    await t().request("POST", `/v1/${kv}/data/patched`, { body: { data: { a: "1", b: "2" } } });
    const res = await t().request("PATCH", `/v1/${kv}/data/patched`, { body: { data: { b: null, c: "3" } }, headers: { "Content-Type": "application/merge-patch+json" } });
    expect(res.status).toBe(200);
    expect(res.body.data.version).toBe(2);
    expect((await t().request("GET", `/v1/${kv}/data/patched`)).body.data.data).toEqual({ a: "1", c: "3" });
  });

  it("metadata read lists versions; LIST metadata/<prefix>/ lists keys and folders", async () => {
    await t().request("POST", `/v1/${kv}/data/team/a`, { body: { data: { v: 1 } } });
    await t().request("POST", `/v1/${kv}/data/team/a`, { body: { data: { v: 2 } } });
    await t().request("POST", `/v1/${kv}/data/team/sub/b`, { body: { data: { v: 1 } } });
    const meta = await t().request("GET", `/v1/${kv}/metadata/team/a`);
    expect(meta.body.data).toMatchObject({ current_version: 2, oldest_version: 1, max_versions: 0, cas_required: false, delete_version_after: "0s" });
    expect(Object.keys(meta.body.data.versions)).toEqual(["1", "2"]);
    const list = await t().request("LIST", `/v1/${kv}/metadata/team/`);
    expect(list.body.data.keys).toEqual(["a", "sub/"]);
  });
});

describeContract("KV v1 (passthrough.go)", (t) => {
  let kv = "";
  beforeAll(async () => {
    kv = await t().mount("secret", "kv", { options: { version: "1" } });
  });

  it("read → data is the stored map; lease_id empty; not renewable; lease_duration = mount default (768h)", async () => {
    expect((await t().request("POST", `/v1/${kv}/creds`, { body: { access_key: "A", secret_key: "S" } })).status).toBe(204);
    const res = await t().request("GET", `/v1/${kv}/creds`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 2764800, data: { access_key: "A", secret_key: "S" }, mount_type: "kv" });
  });

  it("a stored ttl key sets lease_duration (still no lease)", async () => {
    await t().request("POST", `/v1/${kv}/withttl`, { body: { a: "b", ttl: "30m" } });
    const res = await t().request("GET", `/v1/${kv}/withttl`);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 1800 });
    expect(res.body.data.ttl).toBe("30m");
  });

  it("missing → 404 {\"errors\":[]}", async () => {
    const res = await t().request("GET", `/v1/${kv}/absent`);
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"errors":[]}\n');
  });
});
