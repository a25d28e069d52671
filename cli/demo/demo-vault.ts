/**
 * What a platform team configures in Vault for the demo, through Vault's HTTP API only (so the same
 * calls work on sim/vault and on a real Vault at VAULT_ADDR): an AWS secrets engine whose STS is Ceph RGW
 * (or, on the simulator without Ceph, its built-in fake STS), a policy, and the Kubernetes-auth role the
 * pod's service account logs in with. Mount names carry `-demo` so a real Vault's own mounts are untouched.
 */
export const DEMO_AWS_MOUNT = "aws-demo";
export const DEMO_AUTH_MOUNT = "kubernetes-demo";
export const DEMO_POLICY = "avi-demo";
export const DEMO_VAULT_ROLE = "airflow";
export const DEMO_AWS_ROLE = "minio-etl";

export type VaultApi = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** Where the AWS engine gets its STS credentials. */
export type StsSource =
  | { readonly kind: "rgw"; readonly endpoint: string; readonly region: string; readonly accessKey: string; readonly secretKey: string; readonly roleArn: string }
  | { readonly kind: "simulated" };

export interface PodIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export async function configureDemoVault(api: VaultApi, sts: StsSource, pod: PodIdentity): Promise<void> {
  await api("POST", `sys/mounts/${DEMO_AWS_MOUNT}`, { type: "aws" });
  if (sts.kind === "rgw") {
    await api("POST", `${DEMO_AWS_MOUNT}/config/root`, { access_key: sts.accessKey, secret_key: sts.secretKey, region: sts.region, sts_endpoint: sts.endpoint, iam_endpoint: sts.endpoint });
    await api("POST", `${DEMO_AWS_MOUNT}/roles/${DEMO_AWS_ROLE}`, { credential_type: "assumed_role", role_arns: sts.roleArn });
  } else {
    // sim/vault's AWS engine without sts_endpoint mints AWS-shaped STS credentials itself (no network).
    await api("POST", `${DEMO_AWS_MOUNT}/config/root`, { access_key: "AKIAAVIDEMOROOT00000", secret_key: "avi-demo-root-secret-not-a-real-key-0000", region: "us-east-1" });
    await api("POST", `${DEMO_AWS_MOUNT}/roles/${DEMO_AWS_ROLE}`, { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/airflow-etl" });
  }
  await api("PUT", `sys/policies/acl/${DEMO_POLICY}`, {
    policy: `path "${DEMO_AWS_MOUNT}/sts/${DEMO_AWS_ROLE}" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }`,
  });
  await api("POST", `auth/${DEMO_AUTH_MOUNT}/role/${DEMO_VAULT_ROLE}`, {
    bound_service_account_names: pod.serviceAccount,
    bound_service_account_namespaces: pod.namespace,
    audience: "vault",
    token_policies: DEMO_POLICY,
    token_ttl: "1h",
  });
}

/** Removes what the demo added to a Vault it does not own (best effort, every step tried). */
export async function removeDemoConfig(api: VaultApi): Promise<string[]> {
  const problems: string[] = [];
  for (const [method, path] of [
    ["DELETE", `sys/mounts/${DEMO_AWS_MOUNT}`],
    ["DELETE", `sys/auth/${DEMO_AUTH_MOUNT}`],
    ["DELETE", `sys/policies/acl/${DEMO_POLICY}`],
  ] as const) {
    try {
      await api(method, path);
    } catch (err) {
      problems.push(`${method} ${path}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** True when the Vault at `address` is sim/vault (its `/sim/` controls answer), i.e. it has a fake STS. */
export async function isVaultSimulator(address: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(`${address}/sim/state`, { headers: { "X-Vault-Token": token } });
    return res.status === 200;
  } catch {
    return false;
  }
}
