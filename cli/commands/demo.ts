/**
 * `avi demo` (`npm run demo`): the whole product on this machine in well under a minute. Vault (sim/vault,
 * or a real one at VAULT_ADDR), the kube-apiserver simulator, the built webhook with a self-signed CA, and
 * — when the Debian packages are installed — a throwaway Ceph RGW whose STS issues the credentials. The
 * sample Airflow worker pod goes through admission, runs under sim/kubelet (the agent exactly as
 * injected) with a boto3 task writing to RGW while the agent rotates its credentials. Everything it
 * starts is stopped on exit, on failure and on Ctrl-C/SIGTERM.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseDocuments } from "../inject-documents.js";
import { parseDurationSeconds } from "../../agent/duration.js";
import { parseSettings } from "../../injector/load-settings.js";
import { startPodPipeline, startPodPipelineOn, type PodPipeline, type VaultPodPipeline } from "../../sim/pipeline/index.js";
import { inRepo, repoLayer, type PodResult, type RunningPod } from "../../sim/kubelet/index.js";
import { CEPH_APT_PACKAGES, cephPackagesPresent, startCephRgw, type CephRgw } from "../../test/e2e/ceph/ceph-rgw.js";
import { UsageError, type Command } from "../command.js";
import { configureDemoVault, DEMO_AUTH_MOUNT, DEMO_AWS_MOUNT, DEMO_AWS_ROLE, DEMO_VAULT_ROLE, isVaultSimulator, removeDemoConfig, type StsSource } from "../demo/demo-vault.js";
import { describeDecision, describePatch, describeRequest } from "../demo/injection-summary.js";
import { keyPrefix, readAgentCounters, readServedCredential } from "../demo/served-credential.js";

const help = (): string => `usage: avi demo [--keep] [--no-ceph] [--refresh-interval 10s]

Runs airflow-vault-injector end to end on this machine (loopback only, ~30 s): Vault, the API-server
simulator, the webhook, the sample Airflow worker pod (examples/ke-worker-pod.yaml) with the agent as
injected, and a boto3 task writing to Ceph RGW while the agent rotates its STS credentials.

  --keep      leave everything running after the checks and print how to poke at it; Ctrl-C cleans up
  --no-ceph   do not start Ceph RGW even when installed (also: AVI_DEMO_NO_CEPH=1); credentials are still
              issued, served and rotated (sim/vault's own STS), only the S3 writes are skipped
  --refresh-interval D  how often the agent replaces the credential (the profile's refreshInterval;
              default 10s, 2s to 5m); the demo waits for ${2} rotations

Vault: the built-in simulator, or a Vault you run when VAULT_ADDR and VAULT_TOKEN are set (it must reach
127.0.0.1; the demo adds the mounts ${DEMO_AWS_MOUNT}/ and auth/${DEMO_AUTH_MOUNT}/ and removes them at the end).
Ceph RGW: ${CEPH_APT_PACKAGES.join(" ")} (Debian); boto3: python3-boto3.
`;

/** The credential the sample pod asks for (its `airflow-vault.io/credentials`). */
const CREDENTIAL = DEMO_AWS_ROLE;
const NAMESPACE = "airflow";
const ROTATIONS = 2;
/** The agent re-fetches a credential once it is this old (profile refreshInterval): rotations every ~10 s. */
const DEFAULT_REFRESH_INTERVAL = "10s";
/** RGW's shortest STS session; under botocore's 15-min advisory window, so boto3 asks the endpoint per request. */
const STS_TTL = "15m";
const BUCKET = "avi-demo";
const PYTHON = "/usr/bin/python3";
/** Where the sample pod mounts its `logs` emptyDir; the demo's stop/exit files and the task report live there. */
const LOGS_VOLUME = "logs";
const LOGS_MOUNT = "/opt/airflow/logs";
/** Time for the rotations beyond the refresh intervals themselves. */
const ROTATION_SLACK_MS = 60_000;

class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** The package root (holds examples/ and test/e2e/), found from this module's location in src or dist/chunks. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "examples"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the airflow-vault-injector checkout (examples/ is missing); run the demo from the repository");
    dir = parent;
  }
}

interface S3Report {
  readonly ok: boolean;
  readonly requests: { readonly total: number };
  readonly failedRequests: number;
  readonly failures: readonly { readonly op: string; readonly error: string }[];
  readonly objects: number;
  readonly verified: number;
  readonly mismatches: readonly unknown[];
  readonly credentialMethod: string | null;
  readonly accessKeyIds: readonly { readonly accessKeyId: string; readonly requests: number }[];
}

interface Progress {
  readonly requests: number;
  readonly failed: number;
  readonly objects: number;
  readonly accessKeyIdPrefix: string | null;
}

/**
 * The task container's program (the "Airflow image" stand-in): Debian's boto3 on the env the webhook
 * injected and nothing else (botocore 1.29 predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, so the demo's
 * settings turn on `injection.endpointTokenEnv`). After the S3 loop it holds the pod until the demo says
 * so, so `--keep` can leave the agent running.
 */
function taskScript(s3Loop: string | undefined, podName: string): string {
  const d = LOGS_MOUNT;
  const loop =
    s3Loop === undefined
      ? "rc=0"
      : [
          `S3_LOOP_BUCKET=${BUCKET} S3_LOOP_PREFIX=demo/${podName}`,
          `S3_LOOP_SECONDS=120 S3_LOOP_INTERVAL=0.1 S3_LOOP_PROGRESS=1 S3_LOOP_STOP_FILE=${d}/avi-demo.stop S3_LOOP_REPORT=${d}/avi-demo-report.json`,
          `${PYTHON} ${s3Loop}; rc=$?`,
        ].join(" ");
  return `${loop}\nwhile [ ! -e ${d}/avi-demo.exit ]; do sleep 0.2; done\nexit $rc\n`;
}

function boto3Present(): boolean {
  return spawnSync(PYTHON, ["-c", "import boto3"], { stdio: "ignore" }).status === 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Demo {
  private readonly t0 = performance.now();
  private readonly cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  private interrupt?: (signal: NodeJS.Signals) => void;
  private readonly interrupted: Promise<never>;
  private keepRelease?: () => void;
  private pipeline?: VaultPodPipeline;
  private sim?: PodPipeline;
  private rgw?: CephRgw;
  private running?: RunningPod;
  private readonly taskOut: string[] = [];
  private readonly kubeletLog: string[] = [];
  private progress?: Progress;

  constructor(
    private readonly root: string,
    private readonly flags: { readonly keep: boolean; readonly ceph: boolean; readonly refreshInterval: string },
    private readonly print: (text: string) => void,
  ) {
    this.interrupted = new Promise<never>((_, reject) => {
      this.interrupt = (signal) => reject(new Interrupted(signal));
    });
    this.interrupted.catch(() => undefined);
  }

  /** First signal: stop what runs (or, in `--keep`'s wait, finish normally). */
  onSignal(signal: NodeJS.Signals): void {
    if (this.keepRelease !== undefined) return this.keepRelease();
    this.interrupt?.(signal);
  }

  private race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.interrupted]);
  }

  private line(text: string): void {
    const s = ((performance.now() - this.t0) / 1000).toFixed(1).padStart(5);
    this.print(`[${s}s] ${text}\n`);
  }

  private step(n: number, title: string): void {
    this.print(`\n== ${n}/5 ${title}\n`);
  }

  async run(): Promise<number> {
    this.print("avi demo: airflow-vault-injector end to end on this machine (loopback only; Ctrl-C stops and cleans up)\n");
    const external = process.env["VAULT_ADDR"] !== undefined && process.env["VAULT_ADDR"] !== "" ? { address: process.env["VAULT_ADDR"].replace(/\/+$/, ""), rootToken: process.env["VAULT_TOKEN"] ?? "" } : undefined;
    if (external !== undefined && external.rootToken === "") throw new UsageError("VAULT_ADDR is set but VAULT_TOKEN is not: the demo configures Vault (mounts, a policy, a role) and needs a token that may; or unset VAULT_ADDR to use the simulator");

    // 1. object storage
    this.step(1, "Object storage");
    const s3Loop = join(this.root, "test", "e2e", "tasks", "s3_loop.py");
    let storage: "Ceph RGW" | "none" = "none";
    if (!this.flags.ceph) this.line("Ceph RGW: skipped (--no-ceph / AVI_DEMO_NO_CEPH); the S3 writes are skipped, credentials are still issued, served and rotated");
    else if (!cephPackagesPresent())
      this.line(
        `Ceph RGW: the Debian packages are not installed, so the S3 writes are skipped (credentials are still issued, served and rotated).\n` +
          `        To see a task write to real object storage: sudo apt-get install --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")} python3-boto3   (as in .ci/run)`,
      );
    else if (!boto3Present()) this.line(`Ceph RGW: skipped, the task needs Debian's boto3 (${PYTHON} -c "import boto3" failed): sudo apt-get install python3-boto3`);
    else if (!existsSync(s3Loop)) this.line(`Ceph RGW: skipped, the task program ${s3Loop} is missing (run the demo from a full checkout)`);
    else {
      this.line("starting a throwaway Ceph RGW (mon + memstore OSD + radosgw on 127.0.0.1, STS enabled) …");
      const rgw = await this.race(startCephRgw());
      this.rgw = rgw;
      this.cleanups.push({ what: "Ceph RGW", run: () => rgw.stop() });
      storage = "Ceph RGW";
      this.line(`Ceph RGW on ${rgw.endpoint} (up in ${(rgw.startupMs / 1000).toFixed(1)} s; data in ${rgw.info.dir}, removed at exit)`);
    }
    const rgw = this.rgw;

    // 2. Vault + API server + webhook
    this.step(2, "Vault, Kubernetes auth, API-server simulator and webhook");
    let sts: StsSource;
    let vaultKind: string;
    if (rgw !== undefined) sts = { kind: "rgw", endpoint: rgw.endpoint, region: rgw.region, accessKey: rgw.vaultUser.accessKey, secretKey: rgw.vaultUser.secretKey, roleArn: rgw.stsRoleArn };
    else sts = { kind: "simulated" };
    if (external !== undefined) {
      const simulated = await isVaultSimulator(external.address, external.rootToken);
      vaultKind = simulated ? `VAULT_ADDR ${external.address} (avi sim vault)` : `VAULT_ADDR ${external.address}`;
      if (sts.kind === "simulated" && !simulated) {
        throw new UsageError(
          `a real Vault's AWS engine needs an STS to issue credentials, and without Ceph RGW there is none here.\n` +
            `  Install the Ceph packages (sudo apt-get install --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")} python3-boto3) so the demo points Vault at RGW's STS, or unset VAULT_ADDR to use the simulator.`,
        );
      }
      this.line(`using the Vault at VAULT_ADDR=${external.address}${simulated ? " (an avi sim vault)" : ""}; the demo adds ${DEMO_AWS_MOUNT}/, auth/${DEMO_AUTH_MOUNT}/ and policy avi-demo and removes them at the end`);
    } else vaultKind = "simulator";
    const profile = {
      path: `${DEMO_AWS_MOUNT}/sts/${DEMO_AWS_ROLE}`,
      format: "aws" as const,
      ...(rgw !== undefined && { endpoint: rgw.endpoint }),
      region: rgw?.region ?? "us-east-1",
      airflowConnId: "minio_default",
      ttl: STS_TTL,
      refreshInterval: this.flags.refreshInterval,
      allowedNamespaces: [NAMESPACE],
      allowedServiceAccounts: ["airflow-worker"],
    };
    const options = { profiles: { [CREDENTIAL]: profile }, repoRoot: this.root, authMount: DEMO_AUTH_MOUNT, settings: { vault: { role: DEMO_VAULT_ROLE }, injection: { endpointTokenEnv: true } }, log: (l: string) => this.line(l) };
    if (external !== undefined) {
      const target = external;
      const pipeline = await this.race(startPodPipelineOn(target, options));
      this.cleanups.push({ what: "the demo's Vault mounts", run: () => removeDemoConfig((m, path, b) => pipeline.vaultApi(m, path, b)).then((problems) => problems.forEach((p) => this.line(`cleanup: ${p}`))) });
      this.cleanups.push({ what: "webhook, API server and pods", run: () => pipeline.stop() });
      this.pipeline = pipeline;
    } else {
      const pipeline = await this.race(startPodPipeline({ ...options, vault: { clock: { scale: 1 } } }));
      this.cleanups.push({ what: "webhook, API server, pods and Vault", run: () => pipeline.stop() });
      this.pipeline = this.sim = pipeline;
    }
    const p = this.pipeline;
    await this.race(configureDemoVault((m, path, b) => p.vaultApi(m, path, b), sts, { namespace: NAMESPACE, serviceAccount: "airflow-worker" }));
    this.line(
      `Vault configured through its HTTP API: auth/${DEMO_AUTH_MOUNT} (Kubernetes, TokenReview → the API-server simulator), role "${DEMO_VAULT_ROLE}" for airflow/airflow-worker,\n` +
        `        AWS engine ${DEMO_AWS_MOUNT}/ role ${DEMO_AWS_ROLE} (assumed_role, ${sts.kind === "rgw" ? "sts_endpoint = Ceph RGW: real RGW STS credentials" : "the simulator's own STS: AWS-shaped credentials"}), policy avi-demo`,
    );

    // 3. admission
    this.step(3, "Admission: the sample Airflow worker pod through the API server to the webhook");
    const podText = readFileSync(join(this.root, "examples", "ke-worker-pod.yaml"), "utf8");
    const [pod] = parseDocuments(podText, "examples/ke-worker-pod.yaml") as [Record<string, unknown>];
    this.print(`${describeRequest(pod)}\n`);
    const outcome = await this.race(p.admit(pod, { namespace: NAMESPACE }));
    if (!outcome.allowed) throw new Error(`the webhook refused the sample pod (${outcome.code}): ${outcome.message}`);
    this.line("the webhook mutated the pod; its decision:");
    this.print(`${describeDecision(pod, parseSettings(p.settings), NAMESPACE)}\n`);
    this.print(`${describePatch(outcome.rounds[0]?.patch ?? [])}\n`);
    this.print(`    (the whole mutated pod: node dist/avi.js inject -f examples/ke-worker-pod.yaml --profiles examples/settings.yaml)\n`);

    // 4. the pod runs
    this.step(4, `The pod runs (sim/kubelet; the agent exactly as injected) while credentials rotate every ${this.flags.refreshInterval}`);
    const metadataName = (pod["metadata"] as { name?: unknown }).name;
    const podName = typeof metadataName === "string" ? metadataName : "pod";
    let partial = "";
    const running = p.run(outcome.pod, {
      images: { "apache/airflow": { replace: ["/bin/sh", "-c", taskScript(storage === "Ceph RGW" ? inRepo(this.root, s3Loop) : undefined, podName)], layers: [repoLayer(this.root)] } },
      objects: { configMaps: { "airflow-config": { "airflow.cfg": "[core]\nexecutor = KubernetesExecutor\n" } } },
      log: (l) => this.kubeletLog.push(l),
      onContainerLog: (container, chunk) => {
        if (container !== "base") return;
        partial += chunk;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) this.onTaskLine(l);
      },
    });
    this.running = running;
    this.line(`pod ${NAMESPACE}/${podName} started (isolation: ${running.isolation}); avi-agent first, then "base" once /ready passes`);
    const url = `http://127.0.0.1:${p.agentPorts.endpoint}/v1/credentials/${CREDENTIAL}`;
    const rotations = await this.race(this.watchRotations(running, url, storage === "Ceph RGW"));
    const files = running.volumePath("avi-credentials");

    let report: S3Report | undefined;
    const logsDir = running.volumePath(LOGS_VOLUME);
    if (storage === "Ceph RGW") {
      writeFileSync(join(logsDir, "avi-demo.stop"), "");
      report = await this.race(this.waitForReport(running, join(logsDir, "avi-demo-report.json")));
      this.line(
        `task (boto3 ${report.credentialMethod ?? "?"} credentials, one long-lived session): ${report.requests.total} S3 requests, ${report.failedRequests} failed; ` +
          `${report.objects} objects written to s3://${BUCKET}, ${report.verified} read back intact`,
      );
      this.print(`        keys that signed them: ${report.accessKeyIds.map((k) => `${keyPrefix(k.accessKeyId)} ×${k.requests}`).join(", ")}\n`);
      for (const f of report.failures.slice(0, 5)) this.print(`        failed: ${f.op}: ${f.error}\n`);
    }
    const counters = await readAgentCounters(join(files, "status.json"), CREDENTIAL);

    if (this.flags.keep) await this.keepRunning(files, url);

    // 5. completion
    this.step(5, "Pod completion: the task exits, the kubelet stops the sidecar, the agent revokes");
    writeFileSync(join(logsDir, "avi-demo.exit"), "");
    const result = await this.race(running.result);
    this.reportCompletion(result);

    const s3Failures = report === undefined ? 0 : report.failedRequests + report.mismatches.length + (report.verified === report.objects ? 0 : 1);
    const failures = s3Failures + (counters?.failures ?? 0) + (result.phase === "Succeeded" ? 0 : 1);
    const seconds = ((performance.now() - this.t0) / 1000).toFixed(1);
    const numbers = `${rotations} rotations, ${report?.requests.total ?? 0} S3 requests, ${failures} failures in ${seconds} s (Vault: ${vaultKind}; object storage: ${storage === "none" ? "none, S3 writes skipped" : storage})`;
    if (failures > 0 || (report !== undefined && !report.ok)) {
      this.print(`\ndemo FAILED: ${numbers}\n`);
      return 1;
    }
    this.print(`\ndemo ok: ${numbers}\n`);
    return 0;
  }

  private onTaskLine(line: string): void {
    this.taskOut.push(line);
    try {
      const doc = JSON.parse(line) as { progress?: Progress };
      if (doc.progress !== undefined) this.progress = doc.progress;
    } catch {
      // s3_loop's summary line (stderr) or other output: kept for failure messages
    }
  }

  /** Polls the agent's endpoint as an SDK would; prints the first credential and each rotation. */
  private async watchRotations(running: RunningPod, url: string, s3: boolean): Promise<number> {
    const started = performance.now();
    const deadlineMs = ROTATIONS * parseDurationSeconds(this.flags.refreshInterval) * 1000 + ROTATION_SLACK_MS;
    let current: string | undefined;
    let rotations = 0;
    for (;;) {
      if (running.phase() === "Succeeded" || running.phase() === "Failed") {
        const result = await running.result;
        throw new Error(`the pod ended early (${result.phase}${result.message !== undefined ? `: ${result.message}` : ""})\n${this.logTail(result)}`);
      }
      const served = running.status("avi-agent").state === "running" ? await readServedCredential(url, join(running.volumePath("avi-credentials"), "endpoint-token")) : undefined;
      if (served !== undefined && served.accessKeyId !== current) {
        const s3Now = s3 && this.progress !== undefined ? `; S3 so far: ${this.progress.requests} requests, ${this.progress.failed} failed` : "";
        if (current === undefined) this.line(`agent ready: ${CREDENTIAL} issued by Vault and served on ${url}: ${keyPrefix(served.accessKeyId)} (expires ${served.expiration})`);
        else {
          rotations++;
          this.line(`rotation ${rotations}: the agent fetched a new credential before the old one expired: ${keyPrefix(served.accessKeyId)} (was ${keyPrefix(current)}; expires ${served.expiration})${s3Now}`);
        }
        current = served.accessKeyId;
      }
      const boto3Switched = !s3 || (this.progress?.accessKeyIdPrefix !== undefined && this.progress.accessKeyIdPrefix === current?.slice(0, 8));
      if (rotations >= ROTATIONS && boto3Switched) return rotations;
      if (performance.now() - started > deadlineMs) {
        throw new Error(`saw ${rotations} of ${ROTATIONS} rotations within ${Math.round(deadlineMs / 1000)} s${current === undefined ? " (the agent never served a credential)" : ""}\n${this.logTail()}`);
      }
      await sleep(200);
    }
  }

  private async waitForReport(running: RunningPod, path: string): Promise<S3Report> {
    const deadline = performance.now() + 60_000;
    while (!existsSync(path)) {
      if (running.status("base").state === "terminated" || performance.now() > deadline) throw new Error(`the task wrote no S3 report\n${this.logTail()}`);
      await sleep(100);
    }
    return JSON.parse(readFileSync(path, "utf8")) as S3Report;
  }

  private async keepRunning(files: string, url: string): Promise<void> {
    const sim = this.sim;
    this.print(
      "\n== --keep: everything stays up (the agent keeps rotating); Ctrl-C finishes the pod and cleans up\n" +
        (sim !== undefined
          ? `  Vault (simulator, dev only):  export VAULT_ADDR=${sim.vault.address} VAULT_TOKEN=${sim.vault.rootToken}\n` +
            `                                curl -s -H "X-Vault-Token: $VAULT_TOKEN" $VAULT_ADDR/sim/state\n`
          : `  Vault: your VAULT_ADDR; the demo's mounts are ${DEMO_AWS_MOUNT}/ and auth/${DEMO_AUTH_MOUNT}/ (removed at the end)\n`) +
        `  credentials endpoint:         curl -s -H "Authorization: $(cat ${join(files, "endpoint-token")})" ${url}\n` +
        `  the files the task sees:      ls -l ${files}; cat ${join(files, "status.json")}\n` +
        (this.rgw !== undefined ? `  Ceph RGW (S3, path-style):    ${this.rgw.endpoint}  bucket ${BUCKET}\n` : ""),
    );
    await new Promise<void>((resolve) => {
      this.keepRelease = resolve;
    });
    this.keepRelease = undefined;
    this.print("\n");
  }

  private reportCompletion(result: PodResult): void {
    const agent = result.containers.find((c) => c.name === "avi-agent");
    this.line(`pod ${result.phase}${result.message !== undefined ? ` (${result.message})` : ""}; avi-agent exited ${agent?.exitCode ?? agent?.signal ?? "?"} after SIGTERM${result.terminationMs !== undefined ? ` (${Math.round(result.terminationMs)} ms)` : ""}`);
    const agentLog = result.logs["avi-agent"] ?? "";
    if (/"msg":"revoked Vault token"/.test(agentLog)) {
      const leases = this.sim?.vault.controls.leases({ includeEnded: true }).filter((l) => l.kind === "secret" && l.path.startsWith(`${DEMO_AWS_MOUNT}/`));
      const revoked = leases?.filter((l) => l.state === "revoked").length ?? 0;
      const counts = leases === undefined ? "" : ` (Vault: ${revoked} of ${leases.length} leases revoked${revoked < leases.length ? "; older ones were revoked or expire on schedule" : ""})`;
      this.line(`the agent revoked its leases and its Vault token at exit${counts}`);
    } else this.line("the agent did not report revoking its Vault token");
    if (result.phase !== "Succeeded") this.print(this.logTail(result));
  }

  private logTail(result?: PodResult): string {
    const tail = (text: string): string => text.trimEnd().split("\n").slice(-15).join("\n");
    const agent = result?.logs["avi-agent"] ?? this.running?.logs("avi-agent") ?? "";
    const task = result?.logs["base"] ?? this.taskOut.join("\n");
    return `--- kubelet ---\n${tail(this.kubeletLog.join("\n"))}\n--- avi-agent log (last lines) ---\n${tail(agent)}\n--- task log (last lines) ---\n${tail(task)}\n`;
  }

  /** Stops everything that was started, newest first; reports what could not be stopped. */
  async cleanup(): Promise<void> {
    for (const c of this.cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        this.print(`cleanup: ${c.what}: ${(err as Error).message}\n`);
      }
    }
    this.cleanups.length = 0;
  }
}

export const demoCommand: Command = {
  summary: "run the product end to end on this machine (Vault, webhook, agent, Ceph RGW when installed)",
  async run(argv) {
    let values: { keep?: boolean; "no-ceph"?: boolean; "refresh-interval"?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: { keep: { type: "boolean" }, "no-ceph": { type: "boolean" }, "refresh-interval": { type: "string" }, help: { type: "boolean", short: "h" } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${help()}`);
    }
    if (values.help === true) {
      process.stdout.write(help());
      return 0;
    }
    // sim/vault's STS client is the AWS SDK, whose notice about future Node versions is noise here.
    process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
    const noCeph = values["no-ceph"] === true || ["1", "true", "yes"].includes((process.env["AVI_DEMO_NO_CEPH"] ?? "").toLowerCase());
    const refreshInterval = values["refresh-interval"] ?? DEFAULT_REFRESH_INTERVAL;
    let refreshSeconds: number;
    try {
      refreshSeconds = parseDurationSeconds(refreshInterval);
    } catch (err) {
      throw new UsageError(`--refresh-interval ${JSON.stringify(refreshInterval)}: ${(err as Error).message}`);
    }
    if (refreshSeconds < 2 || refreshSeconds > 300) throw new UsageError(`--refresh-interval ${refreshInterval}: use 2s to 5m (the demo waits for ${ROTATIONS} rotations)`);
    const demo = new Demo(packageRoot(), { keep: values.keep === true, ceph: !noCeph, refreshInterval }, (t) => process.stdout.write(t));
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`avi demo: ${signal} again: exiting without waiting for cleanup (Ceph's watchdog still removes its cluster)\n`);
        process.exit(130);
      }
      demo.onSignal(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      return await demo.run();
    } catch (err) {
      if (err instanceof Interrupted) {
        process.stdout.write(`\navi demo: ${err.message}; cleaning up\n`);
        return err.signal === "SIGTERM" ? 143 : 130;
      }
      if (err instanceof UsageError) throw err;
      process.stdout.write(`\ndemo FAILED: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await demo.cleanup();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
