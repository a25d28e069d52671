// Response shapes of the third-party MinIO plugins, as the simulator serves
// them (`minio` = jayxiong1 fork, `minio-legacy` = kula).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

let sim: VaultSim;
const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: WireJson }> => {
  const res = await sim.inject({ method, path, body, headers: { "X-Vault-Token": sim.rootToken } });
  return { status: res.status, body: res.body === "" ? undefined : res.json() };
};
const DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

beforeAll(async () => {
  sim = await startVaultSim({ clock: { scale: 0, start: Date.parse("2025-03-01T12:00:00Z") } });
  await call("POST", "/v1/sys/mounts/minio", { type: "minio" });
  await call("POST", "/v1/minio/config/root", { endpoint: "minio:9000", accessKeyId: "admin", secretAccessKey: "adminsecret", useSSL: false });
  await call("POST", "/v1/minio/roles/static", { policy_name: "readwrite", credential_type: "static", user_name_prefix: "etl-" });
  await call("POST", "/v1/minio/roles/sts", { policy_name: "readwrite", credential_type: "sts", max_sts_ttl: "1h" });
  await call("POST", "/v1/sys/mounts/minio-legacy", { type: "minio-legacy" });
  await call("POST", "/v1/minio-legacy/config", { endpoint: "minio:9000", accessKeyId: "admin", secretAccessKey: "adminsecret", useSSL: false });
  await call("POST", "/v1/minio-legacy/roles/app", { policy: "readwrite", user_name_prefix: "vault-", default_ttl: "30m", max_ttl: "1h" });
});
afterAll(async () => {
  await sim.stop();
});

describe("jayxiong1/vault-plugin-secrets-minio (mounted as `minio`)", () => {
  it("static: accessKeyId, secretAccessKey, policy_name, ttl as a date string, userAccountStatus; no lease", async () => {
    const res = await call("GET", "/v1/minio/creds/static");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data).sort()).toEqual(["accessKeyId", "policy_name", "secretAccessKey", "ttl", "userAccountStatus"]);
    expect(res.body.data.accessKeyId).toMatch(/^etl-/);
    expect(res.body.data.ttl).toMatch(DATE);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0 });
  });

  it("sts: accessKeyId, secretAccessKey, sessionToken, ttl date = now + ttl (default 900 s), capped at max_sts_ttl", async () => {
    const res = await call("POST", "/v1/minio/sts/sts", {});
    expect(Object.keys(res.body.data).sort()).toEqual(["accessKeyId", "secretAccessKey", "sessionToken", "ttl"]);
    expect(res.body.data.ttl).toBe("2025-03-01 12:15:00");
    const capped = await call("GET", "/v1/minio/sts/sts?ttl=5h");
    expect(capped.body.data.ttl).toBe("2025-03-01 13:00:00");
    expect(capped.body.lease_id).toBe("");
  });
});

describe("kula/vault-plugin-secrets-minio (mounted as `minio-legacy`)", () => {
  it("keys/<role>: accessKeyId (prefix + request id), secretAccessKey, accountStatus, policy; leased, not renewable", async () => {
    const res = await call("GET", "/v1/minio-legacy/keys/app");
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ accountStatus: "enabled", policy: "readwrite" });
    expect(res.body.data.accessKeyId).toBe(`vault-${res.body.request_id}`);
    expect(res.body).toMatchObject({ renewable: false, lease_duration: 1800 });
    expect(res.body.lease_id).toMatch(/^minio-legacy\/keys\/app\//);
    const renew = await call("PUT", "/v1/sys/leases/renew", { lease_id: res.body.lease_id });
    expect(renew.body).toEqual({ errors: ["lease is not renewable"] });
  });

  it("the ttl parameter (passed as the period) wins over default_ttl, capped at max_ttl", async () => {
    expect((await call("GET", "/v1/minio-legacy/keys/app?ttl=10m")).body.lease_duration).toBe(600);
    expect((await call("GET", "/v1/minio-legacy/keys/app?ttl=5h")).body.lease_duration).toBe(3600);
  });

  it("revoking the lease removes the MinIO user", async () => {
    const res = await call("GET", "/v1/minio-legacy/keys/app");
    await call("PUT", "/v1/sys/leases/revoke", { lease_id: res.body.lease_id, sync: true });
    expect(sim.controls.minioUsers().find((u) => u.accessKeyId === res.body.data.accessKeyId)?.deletedAt).toBeDefined();
  });

  it("an unknown role → 500 error fetching role: role not found", async () => {
    const res = await call("GET", "/v1/minio-legacy/keys/nope");
    expect(res.status).toBe(500);
    expect(res.body.errors[0]).toContain("error fetching role: role not found");
  });
});
