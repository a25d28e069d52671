/**
 * `avi demo` as a sequence: object storage, Vault and the webhook, admission of the sample pod, the pod
 * running while its credentials rotate, its completion, the verdict. The steps live in demo-services
 * and demo-pod, the words in demo-output; teardown is one cleanup stack unwound however the run ends.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDurationSeconds } from "../../agent/duration.js";
import { parseSettings } from "../../injector/load-settings.js";
import type { VaultPodPipeline } from "../../sim/pipeline/index.js";
import { UsageError } from "../command.js";
import { parseDocuments } from "../inject-documents.js";
import { CleanupStack } from "./cleanup-stack.js";
import { agentReady, BANNER, DemoPrinter, INJECT_HINT, keepInfo, type KeepInfo, podCompleted, podStarted, revocation, rotation, s3Summary, verdict } from "./demo-output.js";
import { BUCKET, collectS3Report, finishTask, runDemoPod, type DemoPod } from "./demo-pod.js";
import { CREDENTIAL, externalVaultFromEnv, NAMESPACE, startObjectStorage, startVaultStack, type DemoContext, type DemoVault } from "./demo-services.js";
import { DEMO_AWS_MOUNT } from "./demo-vault.js";
import { describeDecision, describePatch, describeRequest } from "./injection-summary.js";
import { Interrupted, interruptedExitCode, type Interruption } from "./interruption.js";
import { watchRotations } from "./rotation-watch.js";
import { readAgentCounters } from "./served-credential.js";
import type { S3Report } from "./task-log.js";

export interface DemoFlags {
  readonly keep: boolean;
  readonly ceph: boolean;
  readonly refreshInterval: string;
}

/** Rotations the demo waits for. */
export const ROTATIONS = 2;
/** Time for the rotations beyond the refresh intervals themselves. */
const ROTATION_SLACK_MS = 60_000;
const SAMPLE_POD = "examples/ke-worker-pod.yaml";

/** Runs the demo and tears down what it started, whatever happens; the exit code (usage errors are thrown). */
export async function runDemo(root: string, flags: DemoFlags, interruption: Interruption, write: (text: string) => void): Promise<number> {
  const out = new DemoPrinter(write);
  const ctx: DemoContext = { root, out, interruption, cleanup: new CleanupStack({ report: (problem) => write(`cleanup: ${problem}\n`) }) };
  try {
    return await demo(ctx, flags);
  } catch (err) {
    if (err instanceof Interrupted) {
      write(`\navi demo: ${err.message}; cleaning up\n`);
      return interruptedExitCode(err.signal);
    }
    if (err instanceof UsageError) throw err;
    write(`\ndemo FAILED: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await ctx.cleanup.unwind();
  }
}

async function demo(ctx: DemoContext, flags: DemoFlags): Promise<number> {
  const { out, interruption } = ctx;
  out.text(BANNER);
  const external = externalVaultFromEnv(process.env);

  out.step(1, "Object storage");
  const s3Loop = join(ctx.root, "test", "e2e", "tasks", "s3_loop.py");
  const rgw = await startObjectStorage(ctx, flags.ceph, s3Loop);

  out.step(2, "Vault, Kubernetes auth, API-server simulator and webhook");
  const vault = await startVaultStack(ctx, external, rgw, flags.refreshInterval);

  out.step(3, "Admission: the sample Airflow worker pod through the API server to the webhook");
  const admitted = await admitSamplePod(ctx, vault.pipeline);

  out.step(4, `The pod runs (sim/kubelet; the agent exactly as injected) while credentials rotate every ${flags.refreshInterval}`);
  const pod = runDemoPod(vault.pipeline, admitted, { root: ctx.root, ...(rgw !== undefined && { s3Loop }) });
  out.line(podStarted(NAMESPACE, pod.name, pod.running.isolation));
  const url = `http://127.0.0.1:${vault.pipeline.agentPorts.endpoint}/v1/credentials/${CREDENTIAL}`;
  const rotations = await interruption.race(watch(ctx, pod, url, flags.refreshInterval, rgw !== undefined));
  const report = rgw === undefined ? undefined : await s3Report(ctx, pod);
  const files = pod.files();
  const counters = await readAgentCounters(join(files, "status.json"), CREDENTIAL);
  if (flags.keep) await keepRunning(ctx, { ...(vault.sim !== undefined && { simulator: vault.sim.vault }), files, url, ...(rgw !== undefined && { rgwEndpoint: rgw.endpoint }), bucket: BUCKET });

  out.step(5, "Pod completion: the task exits, the kubelet stops the sidecar, the agent revokes");
  const result = await interruption.race(finishTask(pod));
  out.line(podCompleted(result));
  out.line(revocation(result.logs["avi-agent"] ?? "", demoLeases(vault)));
  if (result.phase !== "Succeeded") out.text(pod.logTail(result));

  const v = verdict({ rotations, report, counters, phase: result.phase, seconds: out.elapsed(), vault: vault.kind, storage: rgw !== undefined ? "Ceph RGW" : "none" });
  out.text(v.text);
  return v.code;
}

/** Step 3: the sample pod through the API server's admission to the webhook; prints request, decision, patch. */
async function admitSamplePod(ctx: DemoContext, pipeline: VaultPodPipeline): Promise<Record<string, unknown>> {
  const [pod] = parseDocuments(readFileSync(join(ctx.root, SAMPLE_POD), "utf8"), SAMPLE_POD) as [Record<string, unknown>];
  ctx.out.text(`${describeRequest(pod)}\n`);
  const outcome = await ctx.interruption.race(pipeline.admit(pod, { namespace: NAMESPACE }));
  if (!outcome.allowed) throw new Error(`the webhook refused the sample pod (${outcome.code}): ${outcome.message}`);
  ctx.out.line("the webhook mutated the pod; its decision:");
  ctx.out.text(`${describeDecision(pod, parseSettings(pipeline.settings), NAMESPACE)}\n`);
  ctx.out.text(`${describePatch(outcome.rounds[0]?.patch ?? [])}\n`);
  ctx.out.text(INJECT_HINT);
  return outcome.pod;
}

/** Step 4's wait: the first credential and {@link ROTATIONS} rotations, each printed as it is served. */
function watch(ctx: DemoContext, pod: DemoPod, url: string, refreshInterval: string, s3: boolean): Promise<number> {
  return watchRotations(pod.running, {
    url,
    want: ROTATIONS,
    deadlineMs: ROTATIONS * parseDurationSeconds(refreshInterval) * 1000 + ROTATION_SLACK_MS,
    ...(s3 && { s3Progress: () => pod.task.progress }),
    logTail: (result) => pod.logTail(result),
    onEvent: (e) => ctx.out.line(e.kind === "ready" ? agentReady(CREDENTIAL, url, e.served) : rotation(e.n, e.served, e.previous, s3 ? pod.task.progress : undefined)),
  });
}

/** Step 4's S3 result: the task stops writing and reports; printed with key prefixes only. */
async function s3Report(ctx: DemoContext, pod: DemoPod): Promise<S3Report> {
  const report = await ctx.interruption.race(collectS3Report(pod));
  const summary = s3Summary(report, BUCKET);
  ctx.out.line(summary.line);
  ctx.out.text(summary.details);
  return report;
}

/** `--keep`: everything stays up, with how to reach it, until the next signal. */
async function keepRunning(ctx: DemoContext, info: KeepInfo): Promise<void> {
  ctx.out.text(keepInfo(info));
  await ctx.interruption.untilSignal();
  ctx.out.text("\n");
}

/** The simulator's AWS leases (ended ones included), for the revocation count; unknown on an external Vault. */
function demoLeases(vault: DemoVault): readonly { readonly state: string }[] | undefined {
  return vault.sim?.vault.controls.leases({ includeEnded: true }).filter((l) => l.kind === "secret" && l.path.startsWith(`${DEMO_AWS_MOUNT}/`));
}
