/**
 * `runPod`: a kubelet for one pod, with local processes as containers. Init containers run in order —
 * plain ones must exit 0 (else the pod fails: restartPolicy Never), native sidecars (`restartPolicy:
 * Always`) count as started once their startupProbe passes — then the main containers run in
 * parallel; when they have all exited, sidecars get SIGTERM in reverse order within the pod's
 * terminationGracePeriodSeconds, then SIGKILL. See docs/kubelet-simulator.md.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realClock, sleepOn, type KubeletClock } from "./clock.js";
import { ContainerProcess, identityOf, type Exit } from "./container-process.js";
import { containerEnv, expandCommand, type ClusterObjects, type PodRuntimeFacts } from "./env.js";
import { containerArgv, resolveImage, type ImageTable } from "./images.js";
import { detectIsolation, SYSTEM_PATH, type Isolation, type IsolationMode } from "./isolation.js";
import { parsePod, type Container, type Pod } from "./pod-spec.js";
import { runStartupProbe } from "./probe.js";
import { hostPasswd, withRuntimeHome } from "./runtime-home.js";
import { PodVolumes, type TokenIssuer, type TokenRotationEvent } from "./volumes.js";

export interface KubeletOptions {
  /** Image reference or repository → local command. */
  readonly images: ImageTable;
  /** Mints projected service-account tokens (sim/apiserver's ServiceAccountIssuer). */
  readonly tokenIssuer?: TokenIssuer;
  /** Secret/ConfigMap data in the pod's namespace (env `valueFrom` and volumes). */
  readonly objects?: ClusterObjects;
  /** Default `auto`: mount namespaces when root, else path rewriting (logged loudly either way). */
  readonly isolation?: "auto" | IsolationMode;
  /** Probe periods and the grace period (default real time). */
  readonly clock?: KubeletClock;
  /** Token rotation schedule clock (default `clock`); share the token issuer's time. */
  readonly tokenClock?: KubeletClock;
  /** `kubelet`: at 80 % of each token's life (or 24 h); `{everyMs}`: a test-driven period. */
  readonly tokenRotation?: "kubelet" | { readonly everyMs: number };
  readonly nodeName?: string;
  /** Default 127.0.0.1: pods share the host's loopback. */
  readonly podIP?: string;
  /** Parent of the pod's directory (default the OS temp dir). */
  readonly workDir?: string;
  /** The kubelet's own log lines (mode, container starts and exits). Default: stderr. */
  readonly log?: (line: string) => void;
  /** Every chunk a container writes (for live output in the demo). */
  readonly onContainerLog?: (container: string, chunk: string) => void;
}

export type ContainerKind = "init" | "sidecar" | "main";

export interface ContainerStatus {
  readonly name: string;
  readonly kind: ContainerKind;
  readonly state: "waiting" | "running" | "terminated";
  /** Sidecars: the startupProbe passed (or there is none and the process runs). */
  readonly started: boolean;
  readonly exitCode?: number;
  /** Set when the process ended by a signal (exitCode is then 128 + signal number). */
  readonly signal?: NodeJS.Signals;
  /** `Completed`, `Error`, `StartupProbeFailed`, `CreateContainerConfigError`, `ErrImagePull`. */
  readonly reason?: string;
  readonly startupProbeAttempts?: number;
  /** Epoch ms on the kubelet's clock. */
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** Sidecars: when SIGTERM was sent. */
  readonly terminatingAt?: number;
  readonly killed?: boolean;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface PodResult {
  readonly phase: "Succeeded" | "Failed";
  readonly reason?: string;
  readonly message?: string;
  readonly uid: string;
  readonly isolation: IsolationMode;
  readonly containers: readonly ContainerStatus[];
  /** Container name → its whole log. */
  readonly logs: Readonly<Record<string, string>>;
  readonly tokenRotations: readonly TokenRotationEvent[];
  /** Kubelet clock: main containers all exited → last sidecar gone. */
  readonly terminationMs?: number;
}

export interface RunningPod {
  readonly uid: string;
  readonly isolation: IsolationMode;
  /** The pod as the kubelet runs it (uid filled in). */
  readonly pod: Pod;
  /** Settles when the pod reached Succeeded or Failed and every container is gone. */
  readonly result: Promise<PodResult>;
  phase(): PodPhase;
  status(name: string): ContainerStatus;
  statuses(): ContainerStatus[];
  logs(name: string): string;
  /** Host directory of a volume (read what containers wrote). */
  volumePath(name: string): string;
  /** Signal a container's main process (e.g. what KPO's `kill -s SIGINT 1` does to the xcom sidecar). */
  signal(name: string, signal: NodeJS.Signals): void;
  /** `kubectl exec`: run a command in a running container. */
  exec(name: string, argv: readonly string[]): Promise<{ code: number; output: string }>;
  /** Rotate every projected token now. */
  rotateTokens(): Promise<void>;
  /** Every projected token written so far (generation 0 is the first). */
  rotations(): TokenRotationEvent[];
  /** Resolves once `name` satisfies `predicate` (polls the status). */
  waitFor(name: string, predicate: (s: ContainerStatus) => boolean, timeoutMs?: number): Promise<ContainerStatus>;
  /** Kill whatever still runs (SIGKILL) and remove the pod's directories. Idempotent. */
  remove(): Promise<void>;
}

const REMOVED = "the pod was removed while starting";

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

function exitCodeOf(exit: Exit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (SIGNALS[exit.signal ?? ""] ?? 0);
}

interface Slot {
  readonly container: Container;
  readonly kind: ContainerKind;
  status: ContainerStatus;
  process?: ContainerProcess;
}

class PodRun implements RunningPod {
  readonly uid: string;
  readonly isolation: IsolationMode;
  readonly pod: Pod;
  readonly result: Promise<PodResult>;
  private readonly clock: KubeletClock;
  private readonly slots: Slot[];
  private readonly podDir: string;
  private readonly volumes: PodVolumes;
  private readonly facts: PodRuntimeFacts;
  private readonly abort = new AbortController();
  private current: PodPhase = "Pending";
  private removed = false;
  private removing: Promise<void> | undefined;

  constructor(
    pod: Pod,
    private readonly options: KubeletOptions,
    private readonly iso: Isolation,
  ) {
    this.uid = pod.metadata.uid ?? randomUUID();
    this.pod = { ...pod, metadata: { ...pod.metadata, uid: this.uid } };
    this.isolation = iso.mode;
    this.clock = options.clock ?? realClock;
    this.podDir = mkdtempSync(join(options.workDir ?? tmpdir(), `avi-kubelet-${pod.metadata.name}-`));
    const ip = options.podIP ?? "127.0.0.1";
    this.facts = { uid: this.uid, nodeName: options.nodeName ?? "avi-sim-node", podIP: ip, hostIP: ip };
    this.volumes = new PodVolumes(
      { pod: this.pod, uid: this.uid, nodeName: this.facts.nodeName, podDir: this.podDir, objects: options.objects ?? {}, ...(options.tokenIssuer !== undefined && { issuer: options.tokenIssuer }), applyOwnership: iso.mode !== "path-rewrite" },
      options.tokenClock ?? this.clock,
      options.tokenRotation ?? "kubelet",
    );
    const slot = (container: Container, kind: ContainerKind): Slot => ({ container, kind, status: { name: container.name, kind, state: "waiting", started: false } });
    this.slots = [
      ...(pod.spec.initContainers ?? []).map((c) => slot(c, c.restartPolicy === "Always" ? "sidecar" : "init")),
      ...pod.spec.containers.map((c) => slot(c, "main")),
    ];
    this.result = this.run();
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`kubelet-sim pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}: ${line}`);
  }

  private update(slot: Slot, patch: Partial<ContainerStatus>): void {
    slot.status = { ...slot.status, ...patch };
  }

  private start(slot: Slot): ContainerProcess {
    const { container } = slot;
    const image = resolveImage(this.options.images, container.image);
    const { env: declaredEnv, declared } = containerEnv(this.pod, container, this.facts, this.options.objects ?? {}, image.env ?? { PATH: process.env["PATH"] ?? SYSTEM_PATH });
    const env = withRuntimeHome(declaredEnv, identityOf(this.pod, container).uid, hostPasswd());
    const argv = containerArgv(image, expandCommand(container, declared));
    const proc = new ContainerProcess({
      pod: this.pod,
      container,
      argv,
      env,
      workingDir: container.workingDir ?? image.workingDir ?? "/",
      volumes: this.volumes.byName,
      isolation: this.iso,
      podDir: this.podDir,
      ...(image.layers !== undefined && { layers: image.layers }),
      ...(image.oci !== undefined && { ociImage: image.oci }),
      ...(this.options.onContainerLog !== undefined && { onLog: (chunk: string) => this.options.onContainerLog!(container.name, chunk) }),
    });
    slot.process = proc;
    void proc.ready.then(() => {
      if (slot.status.state !== "waiting") return;
      this.update(slot, { state: "running", startedAt: this.clock.now(), started: slot.kind !== "sidecar" || container.startupProbe === undefined });
      this.log(`started ${slot.kind} container ${container.name} (pid ${proc.child.pid ?? "?"})`);
    });
    void proc.exited.then((exit) => {
      const code = exitCodeOf(exit);
      this.update(slot, { state: "terminated", exitCode: code, ...(exit.signal !== null && { signal: exit.signal }), finishedAt: this.clock.now(), reason: slot.status.reason ?? (code === 0 ? "Completed" : "Error") });
      this.log(`container ${container.name} exited ${code}${exit.signal !== null ? ` (${exit.signal})` : ""}`);
    });
    return proc;
  }

  /** Start a container; a config or image error fails it without a process. */
  private tryStart(slot: Slot): ContainerProcess | string {
    // Checked right before the (synchronous) spawn: nothing starts once remove() has begun.
    if (this.removed) return REMOVED;
    try {
      return this.start(slot);
    } catch (err) {
      const reason = (err as Error).name === "ImageNotFoundError" ? "ErrImagePull" : "CreateContainerConfigError";
      this.update(slot, { reason });
      return `container ${slot.container.name}: ${(err as Error).message}`;
    }
  }

  private async run(): Promise<PodResult> {
    this.log(`isolation mode: ${this.iso.mode.toUpperCase()} (${this.iso.reason})`);
    let failure: { reason: string; message: string } | undefined;
    try {
      await this.volumes.setUp();
    } catch (err) {
      failure = { reason: "FailedMount", message: (err as Error).message };
    }
    // Every start-up step awaits; remove() may have begun meanwhile.
    const removedWhileStarting = (): boolean => {
      if (this.removed) failure ??= { reason: "PodRemoved", message: REMOVED };
      return this.removed;
    };
    const sidecars: Slot[] = [];
    this.current = "Pending";
    for (const slot of this.slots.filter((s) => s.kind !== "main")) {
      if (failure !== undefined || removedWhileStarting()) break;
      const proc = this.tryStart(slot);
      if (typeof proc === "string") {
        failure = { reason: slot.status.reason ?? "Error", message: proc };
        break;
      }
      await proc.ready;
      if (slot.kind === "init") {
        const code = exitCodeOf(await proc.exited);
        if (removedWhileStarting()) break;
        if (code !== 0) failure = { reason: "InitContainerFailed", message: `init container ${slot.container.name} exited ${code}` };
        continue;
      }
      sidecars.push(slot);
      if (slot.container.startupProbe === undefined) continue;
      const probeAbort = new AbortController();
      const exited = proc.exited.then(() => probeAbort.abort());
      const onRemove = (): void => probeAbort.abort();
      this.abort.signal.addEventListener("abort", onRemove, { once: true });
      const outcome = await runStartupProbe(slot.container.startupProbe, { container: slot.container, podIP: this.facts.podIP, exec: async (argv, timeoutMs) => (await proc.exec(argv, timeoutMs)).code }, this.clock, probeAbort.signal);
      probeAbort.abort();
      this.abort.signal.removeEventListener("abort", onRemove);
      await Promise.race([exited, Promise.resolve()]);
      if (removedWhileStarting()) break;
      this.update(slot, { startupProbeAttempts: outcome.attempts, started: outcome.started });
      if (!outcome.started) {
        // A real kubelet would restart the sidecar and keep the pod in Init; the simulator fails fast.
        this.update(slot, { reason: proc.running ? "StartupProbeFailed" : "Error" });
        failure = {
          reason: "SidecarNotStarted",
          message: proc.running ? `sidecar ${slot.container.name}: startupProbe failed ${outcome.attempts} times: ${outcome.lastError ?? ""}` : `sidecar ${slot.container.name} exited before its startupProbe passed`,
        };
        proc.signal("SIGTERM");
      } else this.log(`sidecar ${slot.container.name} started (startupProbe passed after ${outcome.attempts} attempt(s))`);
    }

    const mains = this.slots.filter((s) => s.kind === "main");
    if (failure === undefined && !removedWhileStarting()) {
      this.current = "Running";
      const running: Promise<Exit>[] = [];
      for (const slot of mains) {
        const proc = this.tryStart(slot);
        if (typeof proc === "string") failure ??= { reason: slot.status.reason ?? "Error", message: proc };
        else running.push(proc.exited);
      }
      await Promise.all(mains.flatMap((s) => (s.process === undefined ? [] : [s.process.ready])));
      await Promise.all(running);
    }
    const mainsDone = this.clock.now();
    await this.terminateSidecars(sidecars);
    this.volumes.stop();
    const failedMain = mains.find((s) => s.status.exitCode !== undefined && s.status.exitCode !== 0);
    if (failure === undefined && failedMain !== undefined) failure = { reason: "Error", message: `container ${failedMain.container.name} exited ${failedMain.status.exitCode}` };
    this.current = failure === undefined ? "Succeeded" : "Failed";
    this.log(`phase ${this.current}${failure !== undefined ? `: ${failure.message}` : ""}`);
    return {
      phase: this.current,
      ...failure,
      uid: this.uid,
      isolation: this.iso.mode,
      containers: this.statuses(),
      logs: Object.fromEntries(this.slots.map((s) => [s.container.name, s.process?.logs() ?? ""])),
      tokenRotations: [...this.volumes.rotations],
      terminationMs: this.clock.now() - mainsDone,
    };
  }

  /** Reverse order, each given until it exits or the shared grace period ends; then SIGKILL. */
  private async terminateSidecars(sidecars: readonly Slot[]): Promise<void> {
    const graceMs = (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = new AbortController();
    const timer = sleepOn(this.clock, graceMs, this.abort.signal).then(() => deadline.abort());
    for (const slot of [...sidecars].reverse()) {
      const proc = slot.process;
      if (proc === undefined || !proc.running) continue;
      this.update(slot, { terminatingAt: this.clock.now() });
      this.log(`SIGTERM to sidecar ${slot.container.name}`);
      proc.signal("SIGTERM");
      await Promise.race([proc.exited, new Promise<void>((r) => deadline.signal.addEventListener("abort", () => r(), { once: true }))]);
      if (deadline.signal.aborted) break;
    }
    for (const slot of sidecars) {
      if (slot.process?.running === true) {
        this.log(`grace period (${graceMs / 1000}s) over: SIGKILL to ${slot.container.name}`);
        this.update(slot, { killed: true });
        slot.process.kill();
        await slot.process.exited;
      }
    }
    this.abort.abort();
    await timer;
  }

  phase(): PodPhase {
    return this.current;
  }

  private slot(name: string): Slot {
    const slot = this.slots.find((s) => s.container.name === name);
    if (slot === undefined) throw new Error(`pod ${this.pod.metadata.name} has no container ${name} (it has ${this.slots.map((s) => s.container.name).join(", ")})`);
    return slot;
  }

  status(name: string): ContainerStatus {
    return this.slot(name).status;
  }

  statuses(): ContainerStatus[] {
    return this.slots.map((s) => s.status);
  }

  logs(name: string): string {
    return this.slot(name).process?.logs() ?? "";
  }

  volumePath(name: string): string {
    const v = this.volumes.byName.get(name);
    if (v === undefined) throw new Error(`pod ${this.pod.metadata.name} has no volume ${name}`);
    return v.hostPath;
  }

  signal(name: string, signal: NodeJS.Signals): void {
    this.slot(name).process?.signal(signal);
  }

  exec(name: string, argv: readonly string[]): Promise<{ code: number; output: string }> {
    const proc = this.slot(name).process;
    if (proc === undefined) return Promise.resolve({ code: 126, output: `container ${name} has not started` });
    return proc.exec(argv);
  }

  rotateTokens(): Promise<void> {
    return this.volumes.rotateTokens();
  }

  rotations(): TokenRotationEvent[] {
    return [...this.volumes.rotations];
  }

  async waitFor(name: string, predicate: (s: ContainerStatus) => boolean, timeoutMs = 30_000): Promise<ContainerStatus> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = this.status(name);
      if (predicate(s)) return s;
      if (this.current === "Succeeded" || this.current === "Failed") throw new Error(`container ${name}: condition not met and the pod is ${this.current} (status ${JSON.stringify(s)})`);
      if (Date.now() > until) throw new Error(`container ${name}: condition not met within ${timeoutMs} ms (status ${JSON.stringify(s)})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async remove(): Promise<void> {
    this.removing ??= this.tearDown();
    return this.removing;
  }

  private async tearDown(): Promise<void> {
    this.removed = true;
    this.abort.abort();
    // The whole group, even when its leader has exited: whatever the container started goes too.
    for (const s of this.slots) s.process?.kill();
    await Promise.all(this.slots.flatMap((s) => (s.process === undefined ? [] : [s.process.exited])));
    // Start-up may be between steps (volume setup, a probe): let it notice and finish, so it creates
    // nothing after the directories are gone.
    await this.result.catch(() => undefined);
    this.volumes.remove();
    rmSync(this.podDir, { recursive: true, force: true });
  }
}

/**
 * Run a pod (a mutated pod from admission, as plain JSON). Returns at once; `result` settles when the
 * pod is done. Always call `remove()` (or the pipeline's `stop()`) to clean up.
 */
export function runPod(pod: unknown, options: KubeletOptions): RunningPod {
  const parsed = parsePod(pod);
  const detected = detectIsolation();
  let iso: Isolation = detected;
  if (options.isolation === "path-rewrite") iso = { mode: "path-rewrite", reason: "requested" };
  else if (options.isolation === "oci") iso = { mode: "oci", reason: "requested: podman/runc with the pod's securityContext and limits" };
  else if (options.isolation === "mount-namespace" && detected.mode !== "mount-namespace") throw new Error(`mount-namespace isolation is not available here: ${detected.reason}`);
  return new PodRun(parsed, options, iso);
}
