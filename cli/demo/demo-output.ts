/**
 * Everything `avi demo` prints, as pure functions of what happened (text out, no I/O) plus a small printer
 * that stamps lines with the seconds since the start. Credentials appear as access-key-id prefixes only;
 * no secret key, session token or Vault token of the pod ever reaches these functions.
 */
import { join } from "node:path";
import type { PodResult } from "../../sim/kubelet/index.js";
import { DEMO_AUTH_MOUNT, DEMO_AWS_MOUNT, DEMO_AWS_ROLE, DEMO_VAULT_ROLE, type StsSource } from "./demo-vault.js";
import { keyPrefix, type AgentCounters, type ServedCredential } from "./served-credential.js";
import type { Progress, S3Report } from "./task-log.js";

const STEPS = 5;
/** Continuation lines line up under the text after the `[ 12.3s] ` stamp. */
const CONT = "        ";

export class DemoPrinter {
  private readonly t0: number;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t0 = now();
  }

  /** Seconds since the printer was made, one decimal. */
  elapsed(): string {
    return ((this.now() - this.t0) / 1000).toFixed(1);
  }

  line(text: string): void {
    this.write(`[${this.elapsed().padStart(5)}s] ${text}\n`);
  }

  step(n: number, title: string): void {
    this.write(`\n== ${n}/${STEPS} ${title}\n`);
  }

  text(text: string): void {
    this.write(text);
  }
}

export const BANNER = "avi demo: airflow-vault-injector end to end on this machine (loopback only; Ctrl-C stops and cleans up)\n";

/** Why the demo runs without Ceph RGW. */
export type StorageSkip =
  | { readonly kind: "disabled" }
  | { readonly kind: "no-packages"; readonly packages: readonly string[] }
  | { readonly kind: "no-boto3"; readonly python: string }
  | { readonly kind: "no-task-program"; readonly path: string };

export function storageSkipped(skip: StorageSkip): string {
  switch (skip.kind) {
    case "disabled":
      return "Ceph RGW: skipped (--no-ceph / AVI_DEMO_NO_CEPH); the S3 writes are skipped, credentials are still issued, served and rotated";
    case "no-packages":
      return (
        `Ceph RGW: the Debian packages are not installed, so the S3 writes are skipped (credentials are still issued, served and rotated).\n` +
        `${CONT}To see a task write to real object storage: sudo apt-get install --no-install-recommends ${skip.packages.join(" ")} python3-boto3   (as in .ci/run)`
      );
    case "no-boto3":
      return `Ceph RGW: skipped, the task needs Debian's boto3 (${skip.python} -c "import boto3" failed): sudo apt-get install python3-boto3`;
    case "no-task-program":
      return `Ceph RGW: skipped, the task program ${skip.path} is missing (run the demo from a full checkout)`;
  }
}

export const CEPH_STARTING = "starting a throwaway Ceph RGW (mon + memstore OSD + radosgw on 127.0.0.1, STS enabled) …";

export const cephUp = (rgw: { readonly endpoint: string; readonly startupMs: number; readonly dir: string }): string =>
  `Ceph RGW on ${rgw.endpoint} (up in ${(rgw.startupMs / 1000).toFixed(1)} s; data in ${rgw.dir}, removed at exit)`;

export const externalVault = (address: string, simulated: boolean): string =>
  `using the Vault at VAULT_ADDR=${address}${simulated ? " (an avi sim vault)" : ""}; the demo adds ${DEMO_AWS_MOUNT}/, auth/${DEMO_AUTH_MOUNT}/ and policy avi-demo and removes them at the end`;

export const vaultConfigured = (sts: StsSource["kind"]): string =>
  `Vault configured through its HTTP API: auth/${DEMO_AUTH_MOUNT} (Kubernetes, TokenReview → the API-server simulator), role "${DEMO_VAULT_ROLE}" for airflow/airflow-worker,\n` +
  `${CONT}AWS engine ${DEMO_AWS_MOUNT}/ role ${DEMO_AWS_ROLE} (assumed_role, ${sts === "rgw" ? "sts_endpoint = Ceph RGW: real RGW STS credentials" : "the simulator's own STS: AWS-shaped credentials"}), policy avi-demo`;

export const INJECT_HINT = `    (the whole mutated pod: node dist/avi.js inject -f examples/ke-worker-pod.yaml --profiles examples/settings.yaml)\n`;

export const podStarted = (namespace: string, name: string, isolation: string): string =>
  `pod ${namespace}/${name} started (isolation: ${isolation}); avi-agent first, then "base" once /ready passes`;

export const agentReady = (credential: string, url: string, served: ServedCredential): string =>
  `agent ready: ${credential} issued by Vault and served on ${url}: ${keyPrefix(served.accessKeyId)} (expires ${served.expiration})`;

/** One rotation: the new and the replaced key as prefixes, and the task's S3 progress when it writes. */
export function rotation(n: number, served: ServedCredential, previousAccessKeyId: string, progress?: Progress): string {
  const s3 = progress !== undefined ? `; S3 so far: ${progress.requests} requests, ${progress.failed} failed` : "";
  return `rotation ${n}: the agent fetched a new credential before the old one expired: ${keyPrefix(served.accessKeyId)} (was ${keyPrefix(previousAccessKeyId)}; expires ${served.expiration})${s3}`;
}

/** The task's S3 report: a stamped summary line, then (unstamped) the signing keys and up to five failures. */
export function s3Summary(report: S3Report, bucket: string): { readonly line: string; readonly details: string } {
  const line =
    `task (boto3 ${report.credentialMethod ?? "?"} credentials, one long-lived session): ${report.requests.total} S3 requests, ${report.failedRequests} failed; ` +
    `${report.objects} objects written to s3://${bucket}, ${report.verified} read back intact`;
  const keys = `${CONT}keys that signed them: ${report.accessKeyIds.map((k) => `${keyPrefix(k.accessKeyId)} ×${k.requests}`).join(", ")}\n`;
  const failures = report.failures.slice(0, 5).map((f) => `${CONT}failed: ${f.op}: ${f.error}\n`);
  return { line, details: keys + failures.join("") };
}

export interface KeepInfo {
  /** The in-process simulator (its address and root token are the point of `--keep`: it is dev only). */
  readonly simulator?: { readonly address: string; readonly rootToken: string };
  readonly files: string;
  readonly url: string;
  readonly rgwEndpoint?: string;
  readonly bucket: string;
}

export function keepInfo(k: KeepInfo): string {
  return (
    "\n== --keep: everything stays up (the agent keeps rotating); Ctrl-C finishes the pod and cleans up\n" +
    (k.simulator !== undefined
      ? `  Vault (simulator, dev only):  export VAULT_ADDR=${k.simulator.address} VAULT_TOKEN=${k.simulator.rootToken}\n` +
        `                                curl -s -H "X-Vault-Token: $VAULT_TOKEN" $VAULT_ADDR/sim/state\n`
      : `  Vault: your VAULT_ADDR; the demo's mounts are ${DEMO_AWS_MOUNT}/ and auth/${DEMO_AUTH_MOUNT}/ (removed at the end)\n`) +
    `  credentials endpoint:         curl -s -H "Authorization: $(cat ${join(k.files, "endpoint-token")})" ${k.url}\n` +
    `  the files the task sees:      ls -l ${k.files}; cat ${join(k.files, "status.json")}\n` +
    (k.rgwEndpoint !== undefined ? `  Ceph RGW (S3, path-style):    ${k.rgwEndpoint}  bucket ${k.bucket}\n` : "")
  );
}

export function podCompleted(result: PodResult): string {
  const agent = result.containers.find((c) => c.name === "avi-agent");
  return `pod ${result.phase}${result.message !== undefined ? ` (${result.message})` : ""}; avi-agent exited ${agent?.exitCode ?? agent?.signal ?? "?"} after SIGTERM${result.terminationMs !== undefined ? ` (${Math.round(result.terminationMs)} ms)` : ""}`;
}

/** Whether the agent's log says it revoked, with the simulator's lease counts when the demo owns the Vault. */
export function revocation(agentLog: string, leases?: readonly { readonly state: string }[]): string {
  if (!/"msg":"revoked Vault token"/.test(agentLog)) return "the agent did not report revoking its Vault token";
  const revoked = leases?.filter((l) => l.state === "revoked").length ?? 0;
  const counts = leases === undefined ? "" : ` (Vault: ${revoked} of ${leases.length} leases revoked${revoked < leases.length ? "; older ones were revoked or expire on schedule" : ""})`;
  return `the agent revoked its leases and its Vault token at exit${counts}`;
}

/** The last lines of each log, for a failure message. */
export function logTail(logs: { readonly kubelet: string; readonly agent: string; readonly task: string }): string {
  const tail = (text: string): string => text.trimEnd().split("\n").slice(-15).join("\n");
  return `--- kubelet ---\n${tail(logs.kubelet)}\n--- avi-agent log (last lines) ---\n${tail(logs.agent)}\n--- task log (last lines) ---\n${tail(logs.task)}\n`;
}

export interface Outcome {
  readonly rotations: number;
  /** Undefined when the S3 writes were skipped. */
  readonly report?: S3Report;
  readonly counters?: AgentCounters;
  readonly phase: PodResult["phase"];
  readonly seconds: string;
  readonly vault: string;
  readonly storage: "Ceph RGW" | "none";
}

/** Failures the run counts: S3 requests, mismatches and unverified objects, the agent's, a failed pod. */
export function failureCount(o: Pick<Outcome, "report" | "counters" | "phase">): number {
  const r = o.report;
  const s3 = r === undefined ? 0 : r.failedRequests + r.mismatches.length + (r.verified === r.objects ? 0 : 1);
  return s3 + (o.counters?.failures ?? 0) + (o.phase === "Succeeded" ? 0 : 1);
}

/** The last line (`demo ok: …` or `demo FAILED: …`) and the exit code. */
export function verdict(o: Outcome): { readonly code: 0 | 1; readonly text: string } {
  const failures = failureCount(o);
  const numbers = `${o.rotations} rotations, ${o.report?.requests.total ?? 0} S3 requests, ${failures} failures in ${o.seconds} s (Vault: ${o.vault}; object storage: ${o.storage === "none" ? "none, S3 writes skipped" : o.storage})`;
  if (failures > 0 || (o.report !== undefined && !o.report.ok)) return { code: 1, text: `\ndemo FAILED: ${numbers}\n` };
  return { code: 0, text: `\ndemo ok: ${numbers}\n` };
}
