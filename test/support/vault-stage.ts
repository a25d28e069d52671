/**
 * A stage for the agent against the Vault simulator, set up through Vault's own API: Kubernetes auth
 * (issuer + TokenReview), a role for the pod's service account, the AWS engine (STS and IAM-user roles
 * on the simulated AWS account), KV v2, and a policy. Also a projected-token file the test can rotate
 * like the kubelet does, and a Clock & Timers adapter over the simulator's clock.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, Timers } from "../../agent/clock.js";
import { startKubernetesAuthStack, startVaultSim, type KubernetesAuthStack, type VaultSim } from "../../sim/vault/index.js";
import type { SimClock } from "../../sim/vault/time/clock.js";

export interface StageOptions {
  /** Sim clock speed (0 = frozen); default real time. */
  readonly scale?: number;
  readonly tokenTtl?: string;
  readonly tokenMaxTtl?: string;
  /** STS credential TTL asked by the role (`default_sts_ttl`). */
  readonly stsTtl?: string;
  /** IAM-user leases (`aws/config/lease`). */
  readonly iamLease?: string;
  readonly iamLeaseMax?: string;
  /** Grant `sys/leases/revoke` (default true). */
  readonly grantRevoke?: boolean;
}

export interface VaultStage {
  readonly vault: VaultSim;
  readonly k8s: KubernetesAuthStack;
  readonly dir: string;
  readonly tokenFile: string;
  readonly outputDir: string;
  /** Issues a fresh projected token (default life 1 h) and swaps it in like the kubelet's atomic writer. */
  rotateJwt(expirationSeconds?: number): Promise<string>;
  /** Root-token call to the Vault API. */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export const STAGE_POD = { namespace: "airflow", serviceAccount: "airflow-worker", podName: "etl-load-7f9c2" } as const;

export async function startVaultStage(options: StageOptions = {}): Promise<VaultStage> {
  const vault = await startVaultSim({ clock: { scale: options.scale ?? 1 }, compat: { fakeStsMinDurationSeconds: 0 } });
  const k8s = await startKubernetesAuthStack({ vault });
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${vault.address}/v1/${path}`, {
      method,
      headers: { "X-Vault-Token": vault.rootToken, "X-Vault-Request": "true", "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };
  const grant = options.grantRevoke ?? true;
  await api("PUT", "sys/policies/acl/airflow-agent", {
    policy: [
      'path "aws/sts/etl" { capabilities = ["read", "update"] }',
      'path "aws/creds/app" { capabilities = ["read"] }',
      'path "secret/data/rgw" { capabilities = ["read"] }',
      'path "minio/sts/etl" { capabilities = ["read"] }',
      ...(grant ? ['path "sys/leases/revoke" { capabilities = ["update"] }'] : []),
    ].join("\n"),
  });
  await api("POST", "auth/kubernetes/role/airflow", {
    bound_service_account_names: STAGE_POD.serviceAccount,
    bound_service_account_namespaces: STAGE_POD.namespace,
    audience: "vault",
    token_policies: "airflow-agent",
    token_ttl: options.tokenTtl ?? "1h",
    token_max_ttl: options.tokenMaxTtl ?? "24h",
  });
  await api("POST", "sys/mounts/aws", { type: "aws" });
  await api("POST", "aws/config/root", { access_key: "AKIAROOTEXAMPLE", secret_key: "root-secret", region: "us-east-1" });
  await api("POST", "aws/config/lease", { lease: options.iamLease ?? "1h", lease_max: options.iamLeaseMax ?? "24h" });
  await api("POST", "aws/roles/etl", {
    credential_type: "assumed_role",
    role_arns: "arn:aws:iam::123456789012:role/etl",
    default_sts_ttl: options.stsTtl ?? "1h",
    max_sts_ttl: "12h",
  });
  await api("POST", "aws/roles/app", {
    credential_type: "iam_user",
    policy_document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
  });
  await api("POST", "secret/data/rgw", { data: { access_key: "RGWSTATICKEY1", secret_key: "rgw-static-secret-1" } });
  // The MinIO plugin fork (jayxiong1/vault-plugin-secrets-minio): no Vault lease, expiry as a date string in `ttl`.
  await api("POST", "sys/mounts/minio", { type: "minio" });
  await api("POST", "minio/config/root", { endpoint: "minio.test:9000", accessKeyId: "minioadmin", secretAccessKey: "minioadmin-secret" });
  await api("POST", "minio/roles/etl", { credential_type: "sts", policy_name: "readwrite", max_sts_ttl: "12h" });

  const dir = mkdtempSync(join(tmpdir(), "avi-stage-"));
  const tokenDir = join(dir, "sa");
  mkdirSync(tokenDir);
  let generation = 0;
  const rotateJwt = async (expirationSeconds?: number): Promise<string> => {
    const jwt = await k8s.issuer.issue({ ...STAGE_POD, audiences: ["vault"], ...(expirationSeconds === undefined ? {} : { expirationSeconds }) });
    const data = join(tokenDir, `..data_${++generation}`);
    mkdirSync(data);
    writeFileSync(join(data, "token"), jwt);
    const link = join(tokenDir, "..data_tmp");
    const { symlinkSync } = await import("node:fs");
    symlinkSync(data, link);
    renameSync(link, join(tokenDir, "..data"));
    return jwt;
  };
  await rotateJwt();
  const { symlinkSync } = await import("node:fs");
  symlinkSync("..data/token", join(tokenDir, "token"));
  return {
    vault,
    k8s,
    dir,
    tokenFile: join(tokenDir, "token"),
    outputDir: join(dir, "out"),
    rotateJwt,
    api,
    stop: async () => {
      await k8s.stop();
      await vault.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An agent config (input form) for this stage: the pod of STAGE_POD, ephemeral loopback ports, the
 * stage's token file and output directory; `extra` overrides anything.
 */
export function stageAgentConfig(stage: VaultStage, credentials: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    mode: "sidecar",
    vault: { address: stage.vault.address, role: "airflow", tokenFile: stage.tokenFile },
    outputDir: stage.outputDir,
    endpoint: { port: 0 },
    health: { host: "127.0.0.1", port: 0 },
    credentials,
    context: { namespace: STAGE_POD.namespace, serviceAccount: STAGE_POD.serviceAccount },
    ...extra,
  };
}

/** The agent's Clock & Timers on the simulator's clock, so both agree on TTLs at any speed. */
export function simTime(clock: SimClock): Clock & Timers {
  return { now: () => clock.now(), at: (at, fn) => clock.schedule(at, fn) };
}
