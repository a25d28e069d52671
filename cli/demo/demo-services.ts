/**
 * What the demo starts before the pod: Ceph RGW when it can (and why not otherwise), then Vault (the
 * in-process simulator, or the one at VAULT_ADDR) with the API-server simulator and the built webhook, and
 * the demo's Vault configuration. Every start pushes its stop onto the demo's cleanup stack right away.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { startPodPipeline, startPodPipelineOn, type PodPipeline, type VaultPodPipeline, type VaultTarget } from "../../sim/pipeline/index.js";
import { CEPH_APT_PACKAGES, cephPackagesPresent, startCephRgw, type CephRgw } from "../../test/e2e/ceph/ceph-rgw.js";
import { UsageError } from "../command.js";
import type { CleanupStack } from "./cleanup-stack.js";
import { CEPH_STARTING, cephUp, externalVault, storageSkipped, vaultConfigured, type DemoPrinter, type StorageSkip } from "./demo-output.js";
import { PYTHON } from "./demo-pod.js";
import { configureDemoVault, DEMO_AUTH_MOUNT, DEMO_AWS_MOUNT, DEMO_AWS_ROLE, DEMO_VAULT_ROLE, isVaultSimulator, removeDemoConfig, type StsSource } from "./demo-vault.js";
import type { Interruption } from "./interruption.js";

/** The credential the sample pod asks for (its `airflow-vault.io/credentials`). */
export const CREDENTIAL = DEMO_AWS_ROLE;
export const NAMESPACE = "airflow";
const SERVICE_ACCOUNT = "airflow-worker";
/** RGW's shortest STS session; under botocore's 15-min advisory window, so boto3 asks the endpoint per request. */
const STS_TTL = "15m";

/** What the orchestration steps share: where to print, what to stop at the end, what a signal interrupts. */
export interface DemoContext {
  readonly root: string;
  readonly out: DemoPrinter;
  readonly cleanup: CleanupStack;
  readonly interruption: Interruption;
}

/** The Vault at VAULT_ADDR/VAULT_TOKEN, if set; a usage error when the token is missing. */
export function externalVaultFromEnv(env: NodeJS.ProcessEnv): VaultTarget | undefined {
  const address = env["VAULT_ADDR"];
  if (address === undefined || address === "") return undefined;
  const rootToken = env["VAULT_TOKEN"] ?? "";
  if (rootToken === "") throw new UsageError("VAULT_ADDR is set but VAULT_TOKEN is not: the demo configures Vault (mounts, a policy, a role) and needs a token that may; or unset VAULT_ADDR to use the simulator");
  return { address: address.replace(/\/+$/, ""), rootToken };
}

/** Why Ceph RGW cannot run here, checked in the order a user fixes them; undefined when it can. */
export function storageSkip(wanted: boolean, s3Loop: string, probe = { cephPackagesPresent, boto3Present, exists: existsSync }): StorageSkip | undefined {
  if (!wanted) return { kind: "disabled" };
  if (!probe.cephPackagesPresent()) return { kind: "no-packages", packages: CEPH_APT_PACKAGES };
  if (!probe.boto3Present()) return { kind: "no-boto3", python: PYTHON };
  if (!probe.exists(s3Loop)) return { kind: "no-task-program", path: s3Loop };
  return undefined;
}

function boto3Present(): boolean {
  return spawnSync(PYTHON, ["-c", "import boto3"], { stdio: "ignore" }).status === 0;
}

/** Step 1: a throwaway Ceph RGW, or the reason there is none (the demo then skips only the S3 writes). */
export async function startObjectStorage(ctx: DemoContext, wanted: boolean, s3Loop: string): Promise<CephRgw | undefined> {
  const skip = storageSkip(wanted, s3Loop);
  if (skip !== undefined) {
    ctx.out.line(storageSkipped(skip));
    return undefined;
  }
  ctx.out.line(CEPH_STARTING);
  const rgw = await ctx.interruption.race(startCephRgw());
  ctx.cleanup.push("Ceph RGW", () => rgw.stop());
  ctx.out.line(cephUp({ endpoint: rgw.endpoint, startupMs: rgw.startupMs, dir: rgw.info.dir }));
  return rgw;
}

export interface DemoVault {
  readonly pipeline: VaultPodPipeline;
  /** The in-process simulator's pipeline (undefined with VAULT_ADDR). */
  readonly sim?: PodPipeline;
  /** How the final line names the Vault. */
  readonly kind: string;
}

/** Step 2: Vault, the API-server simulator and the webhook, and the demo's Vault configuration. */
export async function startVaultStack(ctx: DemoContext, external: VaultTarget | undefined, rgw: CephRgw | undefined, refreshInterval: string): Promise<DemoVault> {
  const sts: StsSource =
    rgw !== undefined ? { kind: "rgw", endpoint: rgw.endpoint, region: rgw.region, accessKey: rgw.vaultUser.accessKey, secretKey: rgw.vaultUser.secretKey, roleArn: rgw.stsRoleArn } : { kind: "simulated" };
  const profile = {
    path: `${DEMO_AWS_MOUNT}/sts/${DEMO_AWS_ROLE}`,
    format: "aws" as const,
    ...(rgw !== undefined && { endpoint: rgw.endpoint }),
    region: rgw?.region ?? "us-east-1",
    airflowConnId: "minio_default",
    ttl: STS_TTL,
    refreshInterval,
    allowedNamespaces: [NAMESPACE],
    allowedServiceAccounts: [SERVICE_ACCOUNT],
  };
  const options = {
    profiles: { [CREDENTIAL]: profile },
    repoRoot: ctx.root,
    authMount: DEMO_AUTH_MOUNT,
    settings: { vault: { role: DEMO_VAULT_ROLE }, injection: { endpointTokenEnv: true } },
    log: (l: string) => ctx.out.line(l),
  };
  let vault: DemoVault;
  if (external !== undefined) {
    const simulated = await isVaultSimulator(external.address, external.rootToken);
    if (sts.kind === "simulated" && !simulated) {
      throw new UsageError(
        `a real Vault's AWS engine needs an STS to issue credentials, and without Ceph RGW there is none here.\n` +
          `  Install the Ceph packages (sudo apt-get install --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")} python3-boto3) so the demo points Vault at RGW's STS, or unset VAULT_ADDR to use the simulator.`,
      );
    }
    ctx.out.line(externalVault(external.address, simulated));
    const pipeline = await ctx.interruption.race(startPodPipelineOn(external, options));
    ctx.cleanup.push("the demo's Vault mounts", async () => {
      for (const problem of await removeDemoConfig((m, path, b) => pipeline.vaultApi(m, path, b))) ctx.out.line(`cleanup: ${problem}`);
    });
    ctx.cleanup.push("webhook, API server and pods", () => pipeline.stop());
    vault = { pipeline, kind: simulated ? `VAULT_ADDR ${external.address} (avi sim vault)` : `VAULT_ADDR ${external.address}` };
  } else {
    const pipeline = await ctx.interruption.race(startPodPipeline({ ...options, vault: { clock: { scale: 1 } } }));
    ctx.cleanup.push("webhook, API server, pods and Vault", () => pipeline.stop());
    vault = { pipeline, sim: pipeline, kind: "simulator" };
  }
  const p = vault.pipeline;
  await ctx.interruption.race(configureDemoVault((m, path, b) => p.vaultApi(m, path, b), sts, { namespace: NAMESPACE, serviceAccount: SERVICE_ACCOUNT }));
  ctx.out.line(vaultConfigured(sts.kind));
  return vault;
}
