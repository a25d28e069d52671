/**
 * The sample Airflow worker pod as the demo runs it under sim/kubelet: the task container's program (the
 * "Airflow image" stand-in), its log and progress, the S3 report it leaves, and the files through which the
 * demo tells it to stop writing and to exit.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inRepo, repoLayer, type PodResult, type RunningPod } from "../../sim/kubelet/index.js";
import type { VaultPodPipeline } from "../../sim/pipeline/index.js";
import { logTail } from "./demo-output.js";
import { TaskLog, type S3Report } from "./task-log.js";

export const BUCKET = "avi-demo";
export const PYTHON = "/usr/bin/python3";
/** Where the sample pod mounts its `logs` emptyDir; the demo's stop/exit files and the task report live there. */
const LOGS_VOLUME = "logs";
const LOGS_MOUNT = "/opt/airflow/logs";
const STOP_FILE = "avi-demo.stop";
const EXIT_FILE = "avi-demo.exit";
const REPORT_FILE = "avi-demo-report.json";

/**
 * The task container's program: Debian's boto3 on the env the webhook injected and nothing else (botocore
 * 1.29 predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, so the demo's settings turn on
 * `injection.endpointTokenEnv`). After the S3 loop it holds the pod until the demo says so, so `--keep`
 * can leave the agent running.
 */
export function taskScript(s3Loop: string | undefined, podName: string): string {
  const d = LOGS_MOUNT;
  const loop =
    s3Loop === undefined
      ? "rc=0"
      : [
          `S3_LOOP_BUCKET=${BUCKET} S3_LOOP_PREFIX=demo/${podName}`,
          `S3_LOOP_SECONDS=120 S3_LOOP_INTERVAL=0.1 S3_LOOP_PROGRESS=1 S3_LOOP_STOP_FILE=${d}/${STOP_FILE} S3_LOOP_REPORT=${d}/${REPORT_FILE}`,
          `${PYTHON} ${s3Loop}; rc=$?`,
        ].join(" ");
  return `${loop}\nwhile [ ! -e ${d}/${EXIT_FILE} ]; do sleep 0.2; done\nexit $rc\n`;
}

export interface DemoPod {
  readonly name: string;
  readonly running: RunningPod;
  readonly task: TaskLog;
  /** The agent's credential files on the host (its tmpfs volume; it exists once the pod's volumes are set up). */
  files(): string;
  /** The last lines of the kubelet's, the agent's and the task's logs. */
  logTail(result?: PodResult): string;
}

export interface DemoPodOptions {
  readonly root: string;
  /** The S3 task program (absolute, inside `root`); undefined: no S3 writes. */
  readonly s3Loop?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the admitted pod with the task program in place of the Airflow image. */
export function runDemoPod(pipeline: VaultPodPipeline, pod: Record<string, unknown>, o: DemoPodOptions): DemoPod {
  const metadataName = (pod["metadata"] as { name?: unknown } | undefined)?.name;
  const name = typeof metadataName === "string" ? metadataName : "pod";
  const task = new TaskLog();
  const kubelet: string[] = [];
  const running = pipeline.run(pod, {
    images: { "apache/airflow": { replace: ["/bin/sh", "-c", taskScript(o.s3Loop === undefined ? undefined : inRepo(o.root, o.s3Loop), name)], layers: [repoLayer(o.root)] } },
    objects: { configMaps: { "airflow-config": { "airflow.cfg": "[core]\nexecutor = KubernetesExecutor\n" } } },
    log: (l) => kubelet.push(l),
    onContainerLog: (container, chunk) => {
      if (container === "base") task.write(chunk);
    },
  });
  return {
    name,
    running,
    task,
    files: () => running.volumePath("avi-credentials"),
    logTail: (result) =>
      logTail({ kubelet: kubelet.join("\n"), agent: result?.logs["avi-agent"] ?? running.logs("avi-agent"), task: result?.logs["base"] ?? task.text() }),
  };
}

/** Tells the task to stop writing and waits (≤ 60 s) for its S3 report. */
export async function collectS3Report(pod: DemoPod): Promise<S3Report> {
  const logs = pod.running.volumePath(LOGS_VOLUME);
  writeFileSync(join(logs, STOP_FILE), "");
  const path = join(logs, REPORT_FILE);
  const deadline = performance.now() + 60_000;
  while (!existsSync(path)) {
    if (pod.running.status("base").state === "terminated" || performance.now() > deadline) throw new Error(`the task wrote no S3 report\n${pod.logTail()}`);
    await sleep(100);
  }
  return JSON.parse(readFileSync(path, "utf8")) as S3Report;
}

/** Lets the task exit; the kubelet then stops the sidecar. */
export function finishTask(pod: DemoPod): Promise<PodResult> {
  writeFileSync(join(pod.running.volumePath(LOGS_VOLUME), EXIT_FILE), "");
  return pod.running.result;
}
