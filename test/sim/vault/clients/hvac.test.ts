/**
 * A real Vault client nobody here wrote, against sim/vault: Debian's python3-hvac (0.11.2, run with
 * /usr/bin/python3) through every call the agent relies on — health and seal status, Kubernetes auth
 * configure / role / login with a projected token from sim/apiserver, token lookup/renew/revoke-self,
 * KV v1 and v2, the AWS engine's iam_user / assumed_role / federation_token, lease lookup / renew /
 * revoke — and hvac's error classes for 400, 403, 404, 429 and 503. The driver
 * (hvac_driver.py) records what hvac returned or raised; this file decides whether that is right.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createServiceAccountIssuer, startTokenReviewServer, type ServiceAccountIssuer, type TokenReviewServer } from "../../../../sim/apiserver/authn/index.js";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import { describeWithTools } from "../../../support/tools.js";

const PYTHON = "/usr/bin/python3";
const DRIVER = join(import.meta.dirname, "hvac_driver.py");


type StepResult = { ok: unknown } | { error: string; message: string };
type Results = Record<string, StepResult>;

let sim: VaultSim;
let issuer: ServiceAccountIssuer;
let tokenReview: TokenReviewServer;
let base: Record<string, unknown>;

/** Run the driver (asynchronously: the simulator answers from this process's event loop). */
async function drive(phase: string): Promise<Results> {
  const child = spawn(PYTHON, [DRIVER], { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent" }, timeout: 60_000 });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(JSON.stringify({ ...base, phase }));
  const code = await new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve));
  if (code !== 0) throw new Error(`hvac driver (${phase}) exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout) as Results;
}
const ok = (r: Results, step: string): unknown => {
  const s = r[step];
  if (s === undefined || !("ok" in s)) throw new Error(`step ${step}: ${JSON.stringify(s)}`);
  return s.ok;
};
const raised = (r: Results, step: string): { error: string; message: string } => {
  const s = r[step];
  if (s === undefined || !("error" in s)) throw new Error(`step ${step} did not raise: ${JSON.stringify(s)}`);
  return s;
};

describeWithTools(["hvac"], "python3-hvac against sim/vault", () => {
  let main: Results;
  beforeAll(async () => {
    sim = await startVaultSim({});
    issuer = await createServiceAccountIssuer({ clock: sim.clock });
    tokenReview = await startTokenReviewServer({ issuer, authDelegators: ["vault/vault-auth"] });
    const h = { "X-Vault-Token": sim.rootToken };
    // Mounts are enabled over the plain API; hvac configures and uses them.
    await sim.inject({ method: "POST", path: "/v1/sys/auth/k8s", headers: h, body: { type: "kubernetes" } });
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/kv1", headers: h, body: { type: "kv", options: { version: "1" } } });
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/kv2", headers: h, body: { type: "kv", options: { version: "2" } } });
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/aws", headers: h, body: { type: "aws" } });
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/private", headers: h, body: { type: "kv", options: { version: "1" } } });
    base = {
      addr: sim.address,
      root_token: sim.rootToken,
      k8s_mount: "k8s",
      kv1_mount: "kv1",
      kv2_mount: "kv2",
      aws_mount: "aws",
      forbidden_mount: "private",
      k8s_host: tokenReview.url,
      k8s_ca: tokenReview.caPem,
      reviewer_jwt: await issuer.issueLegacy({ namespace: "vault", serviceAccount: "vault-auth" }),
      namespace: "airflow",
      sa: "etl-worker",
      pod_jwt: await issuer.issue({ namespace: "airflow", serviceAccount: "etl-worker", podName: "etl-1", audiences: ["vault"] }),
      other_jwt: await issuer.issue({ namespace: "airflow", serviceAccount: "someone-else", podName: "x-1", audiences: ["vault"] }),
      policy: ['path "kv1/team/*" { capabilities = ["read"] }', 'path "kv2/data/team/*" { capabilities = ["read"] }', 'path "aws/creds/*" { capabilities = ["read"] }', 'path "aws/sts/*" { capabilities = ["read", "update"] }', 'path "sys/leases/revoke" { capabilities = ["update"] }'].join("\n"),
      aws_policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
    };
    main = await drive("main");
  }, 60_000);
  afterAll(async () => {
    await tokenReview?.stop();
    await sim?.stop();
  });

  it("health (GET) and seal status parse; the root token authenticates", () => {
    expect(ok(main, "is_authenticated")).toBe(true);
    expect(ok(main, "health")).toMatchObject({ initialized: true, sealed: false, standby: false });
    expect(ok(main, "health_standbyok")).toMatchObject({ sealed: false });
    expect(ok(main, "seal_status")).toMatchObject({ sealed: false, t: 1, n: 1, type: "shamir" });
  });

  it("Kubernetes auth: hvac configures the mount and role, then logs in with a projected pod token", () => {
    expect(ok(main, "k8s_configure")).toEqual({ status_code: 204 });
    // A role without `audience` is written with Vault's 200 + warning (hvac hands back the body).
    expect(ok(main, "k8s_role")).toMatchObject({ data: null, warnings: [expect.stringContaining("does not have an audience configured")] });
    expect(ok(main, "k8s_read_role")).toEqual(["etl"]);
    expect(ok(main, "k8s_login")).toEqual({ policies: ["default", "etl"], renewable: true, lease_duration: 3600, token_type: "service" });
    expect(ok(main, "pod_authenticated")).toBe(true);
  });

  it("token self-operations: lookup-self, renew-self with an increment, revoke-self (then 403)", () => {
    expect(ok(main, "lookup_self")).toMatchObject({ policies: ["default", "etl"], renewable: true, meta: { role: "etl", service_account_namespace: "airflow", service_account_name: "etl-worker" } });
    expect(ok(main, "renew_self")).toBe(1800);
    expect(ok(main, "revoke_self")).toEqual({ status_code: 204 });
    expect(raised(main, "after_revoke_self").error).toBe("Forbidden");
  });

  it("KV v1 and v2: write as root, read as the pod (v2 latest and an older version)", () => {
    expect(ok(main, "kv1_write")).toEqual({ status_code: 204 });
    expect(ok(main, "kv1_read")).toEqual({ access_key: "AK1", secret_key: "SK1" });
    expect(ok(main, "kv2_write")).toBe(1);
    expect(ok(main, "kv2_write_again")).toBe(2);
    expect(ok(main, "kv2_read")).toEqual({ data: { access_key: "AK3", secret_key: "SK3" }, version: 2 });
    expect(ok(main, "kv2_read_v1")).toEqual({ access_key: "AK2", secret_key: "SK2" });
    // hvac returns sys/mounts/<p>/tune as sent; Vault copies data to the top level there.
    expect(ok(main, "kv2_mount_tune")).toMatchObject({ options: { version: "2" }, data: { options: { version: "2" } } });
  });

  it("AWS engine: config/root and roles written by hvac; iam_user, assumed_role and federation_token minted by the pod", () => {
    for (const s of ["aws_config_root", "aws_role_iam_user", "aws_role_assumed", "aws_role_federation"]) expect(ok(main, s)).toEqual({ status_code: 204 });
    expect(ok(main, "aws_iam_user")).toMatchObject({ lease_id: expect.stringMatching(/^aws\/creds\/user\//), renewable: true, access_key: expect.stringMatching(/^AKIA/), has_secret: true, has_token: false });
    expect(ok(main, "aws_assumed_role")).toMatchObject({ lease_id: expect.stringMatching(/^aws\/sts\/assumed\//), renewable: false, lease_duration: expect.any(Number), access_key: expect.stringMatching(/^ASIA/), has_token: true });
    expect(ok(main, "aws_federation_token")).toMatchObject({ lease_id: expect.stringMatching(/^aws\/sts\/fed\//), renewable: false, access_key: expect.stringMatching(/^ASIA/), has_token: true });
  });

  it("leases: lookup, renew (renewable iam_user), renew of an STS lease refused, revoke (204), then gone", () => {
    expect(ok(main, "lease_lookup")).toMatchObject({ id: expect.stringMatching(/^aws\/creds\/user\//), renewable: true });
    expect(ok(main, "lease_renew")).toMatchObject({ renewable: true, lease_duration: 600 });
    expect(raised(main, "lease_renew_sts")).toMatchObject({ error: "InvalidRequest", message: expect.stringContaining("lease is not renewable") });
    // hvac's revoke_lease sends no `sync`: Vault revokes synchronously and answers 204.
    expect(ok(main, "lease_revoke")).toEqual({ status_code: 204 });
    expect(raised(main, "lease_lookup_revoked")).toMatchObject({ error: "InvalidRequest", message: expect.stringContaining("invalid lease") });
    expect(raised(main, "lease_renew_revoked")).toMatchObject({ error: "InvalidRequest", message: expect.stringContaining("lease not found") });
  });

  it("error classes: 404 InvalidPath, 403 Forbidden, 400 InvalidRequest on bad logins", () => {
    expect(raised(main, "err_missing_kv").error).toBe("InvalidPath");
    expect(raised(main, "err_forbidden").error).toBe("Forbidden");
    expect(raised(main, "err_bad_role")).toMatchObject({ error: "InvalidRequest", message: expect.stringContaining('invalid role name "nope"') });
    expect(raised(main, "err_wrong_sa")).toMatchObject({ error: "Forbidden", message: expect.stringContaining("service account name not authorized") });
    expect(raised(main, "err_bad_token").error).toBe("Forbidden");
  });

  it("429 with Retry-After → RateLimitExceeded", async () => {
    sim.controls.addFault({ path: "kv1/*", action: { type: "rate-limit", retryAfterSeconds: 2 } });
    try {
      expect(raised(await drive("rate-limited"), "err_rate_limited").error).toBe("RateLimitExceeded");
    } finally {
      sim.controls.clearFaults();
    }
  });

  it("sealed: is_sealed, health 503 body, and VaultDown on any other call", async () => {
    sim.controls.seal();
    try {
      const r = await drive("sealed");
      expect(ok(r, "sealed_is_sealed")).toBe(true);
      // hvac's health call never raises: it hands back the 503 and its body.
      expect(ok(r, "sealed_health")).toMatchObject({ status_code: 503, json: { sealed: true, initialized: true } });
      expect(raised(r, "err_sealed")).toMatchObject({ error: "VaultDown", message: expect.stringContaining("Vault is sealed") });
    } finally {
      sim.controls.unseal();
    }
  });
});
