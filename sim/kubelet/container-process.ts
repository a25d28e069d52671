/**
 * One container as a local process: its argv, env and working directory, its volumeMounts made real
 * (mount namespace) or rewritten (fallback), its user and groups, and its log captured to a file (the
 * container's stdout and stderr interleaved, as `kubectl logs` shows them).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, statSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Isolation } from "./isolation.js";
import { hostView } from "./isolation.js";
import { planMounts, renderMountScript, rewritePaths, type BindMount } from "./mount-plan.js";
import type { Container, Pod } from "./pod-spec.js";
import type { PodVolume } from "./volumes.js";
import { ContainerConfigError } from "./env.js";
import type { ImageLayer } from "./images.js";
import { ociRunArgs, podmanProcessEnv } from "./oci-run.js";
import { SYSTEM_PATH } from "./isolation.js";

export interface LaunchSpec {
  readonly pod: Pod;
  readonly container: Container;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly volumes: ReadonlyMap<string, PodVolume>;
  readonly isolation: Isolation;
  readonly podDir: string;
  /** The OCI image to run (isolation `oci`). */
  readonly ociImage?: string;
  /** The image's files (bound read-only before the volumes). */
  readonly layers?: readonly ImageLayer[];
  readonly onLog?: (chunk: string) => void;
}

function layerMounts(layers: readonly ImageLayer[]): BindMount[] {
  return layers.map((l) => ({ source: l.source, sourceIsFile: !statSync(l.source).isDirectory(), target: l.target, readOnly: true }));
}

export interface Identity {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly noNewPrivs: boolean;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The container's bind mounts (subPath resolved; created as a directory when missing, as the kubelet does). */
export function bindMounts(container: Container, volumes: ReadonlyMap<string, PodVolume>): BindMount[] {
  return (container.volumeMounts ?? []).map((m) => {
    const v = volumes.get(m.name);
    if (v === undefined) throw new ContainerConfigError(`container ${container.name}: volumeMount ${m.name} names no volume of the pod`);
    let source = v.hostPath;
    let sourceIsFile = false;
    if (m.subPath !== undefined && m.subPath !== "") {
      if (m.subPath.split("/").includes("..")) throw new ContainerConfigError(`container ${container.name}: subPath ${m.subPath} must not contain '..'`);
      source = join(v.hostPath, m.subPath);
      try {
        sourceIsFile = !statSync(source).isDirectory();
      } catch {
        mkdirSync(source, { recursive: true });
      }
    }
    return { source, sourceIsFile, target: m.mountPath, readOnly: m.readOnly === true || v.alwaysReadOnly };
  });
}

/** runAsUser/runAsGroup (container over pod), fsGroup and supplementalGroups as supplementary groups. */
export function identityOf(pod: Pod, container: Container): Identity {
  const psc = pod.spec.securityContext ?? {};
  const csc = container.securityContext ?? {};
  const uid = csc.runAsUser ?? psc.runAsUser ?? 0;
  const gid = csc.runAsGroup ?? psc.runAsGroup ?? 0;
  const groups = [...new Set([...(psc.fsGroup === undefined ? [] : [psc.fsGroup]), ...(psc.supplementalGroups ?? [])])];
  return { uid, gid, groups, noNewPrivs: csc.allowPrivilegeEscalation === false };
}

function userArgv(tools: NonNullable<Isolation["tools"]>, id: Identity): string[] {
  if (id.uid === 0 && id.gid === 0 && id.groups.length === 0 && !id.noNewPrivs) return [];
  return [
    tools.setpriv,
    `--reuid=${id.uid}`,
    `--regid=${id.gid}`,
    id.groups.length > 0 ? `--groups=${id.groups.join(",")}` : "--clear-groups",
    ...(id.uid === 0 ? [] : ["--inh-caps=-all"]),
    ...(id.noNewPrivs ? ["--no-new-privs"] : []),
  ];
}

/** The host argv for a command run inside the container (mount-namespace mode, after `chroot`). */
function insideArgv(spec: Pick<LaunchSpec, "pod" | "container" | "isolation">, argv: readonly string[], workingDir: string): string[] {
  return [...userArgv(spec.isolation.tools!, identityOf(spec.pod, spec.container)), "/usr/bin/env", "-C", workingDir, "--", ...argv];
}

// Containers run in their own process groups: if the simulator's process exits without cleaning up
// (a crashed or timed-out test), SIGKILL them rather than leave them running.
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

export class ContainerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /** Resolves when the container's own command is exec'd (mounts done), or the process ended first. */
  readonly ready: Promise<void>;
  readonly logFile: string;
  private readonly log: WriteStream;
  private readonly mounts: BindMount[];
  /** Where podman writes the container's ID (isolation `oci`). */
  private cidfile: string | undefined;

  constructor(private readonly spec: LaunchSpec) {
    const { container, isolation, podDir } = spec;
    this.mounts = [...layerMounts(spec.layers ?? []), ...bindMounts(container, spec.volumes)];
    mkdirSync(join(podDir, "logs"), { recursive: true });
    this.logFile = join(podDir, "logs", `${container.name}.log`);
    this.log = createWriteStream(this.logFile, { flags: "a" });
    let command: string;
    let args: string[];
    let env = { ...spec.env };
    let cwd: string | undefined;
    if (isolation.mode === "oci") {
      if (spec.ociImage === undefined) throw new ContainerConfigError(`container ${container.name}: image ${container.image} has no OCI image (images[...].oci) for the oci runtime`);
      mkdirSync(join(podDir, "cid"), { recursive: true });
      this.cidfile = join(podDir, "cid", container.name);
      command = "podman";
      args = ociRunArgs({ pod: spec.pod, container, identity: identityOf(spec.pod, container), image: spec.ociImage, argv: spec.argv, env, workingDir: spec.workingDir, mounts: bindMounts(container, spec.volumes), cidfile: this.cidfile });
      env = podmanProcessEnv(env, process.env["PATH"] ?? SYSTEM_PATH);
    } else if (isolation.mode === "mount-namespace") {
      const tools = isolation.tools!;
      const root = join(podDir, "rootfs", container.name);
      mkdirSync(root, { recursive: true });
      const script = renderMountScript(planMounts(this.mounts, hostView), { mount: tools.mount, chroot: tools.chroot });
      command = tools.unshare;
      args = ["--mount", "--propagation", "private", "--", tools.sh, "-c", script, "sh", root, ...insideArgv(spec, spec.argv, spec.workingDir)];
    } else {
      env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewritePaths(v, this.mounts)]));
      const argv = spec.argv.map((a) => rewritePaths(a, this.mounts));
      command = argv[0]!;
      args = argv.slice(1);
      cwd = rewritePaths(spec.workingDir, this.mounts);
      mkdirSync(cwd, { recursive: true });
    }
    // Own process group: SIGKILL at the end reaches everything the container started.
    const namespaced = isolation.mode === "mount-namespace";
    this.child = spawn(command, args, { env, ...(cwd !== undefined && { cwd }), stdio: ["ignore", "pipe", "pipe", ...(namespaced ? (["pipe"] as const) : [])], detached: true });
    const pid = this.child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    const readyPipe = this.child.stdio[3];
    this.ready =
      readyPipe === undefined || readyPipe === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            readyPipe.on("data", () => resolve());
            readyPipe.on("close", () => resolve());
            readyPipe.on("error", () => resolve());
          });
    const write = (c: Buffer): void => {
      this.log.write(c);
      spec.onLog?.(c.toString("utf8"));
    };
    this.child.stdout?.on("data", write);
    this.child.stderr?.on("data", write);
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once("error", (err) => {
        write(Buffer.from(`kubelet-sim: cannot start ${command}: ${err.message}\n`));
        resolve({ code: 128, signal: null });
      });
      this.child.once("close", (code, signal) => {
        if (pid !== undefined) liveGroups.delete(pid);
        resolve({ code, signal });
      });
    }).then(async (exit) => {
      await new Promise<void>((r) => this.log.end(r));
      return exit;
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Signal the container's main process (what the runtime signals: PID 1 of the container). */
  signal(signal: NodeJS.Signals): void {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }

  /** The OCI container's ID, once podman created it. */
  containerId(): string | undefined {
    try {
      return this.cidfile === undefined ? undefined : readFileSync(this.cidfile, "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** SIGKILL the whole process group (and the OCI container, by its ID). */
  kill(): void {
    const cid = this.containerId();
    if (cid !== undefined) spawnSync("podman", ["rm", "--force", "--time", "0", cid], { stdio: "ignore" });
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  logs(): string {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  /** Run a command in the container (`kubectl exec`): same mounts, user and env. */
  exec(argv: readonly string[], timeoutMs = 30_000): Promise<{ code: number; output: string }> {
    const { isolation } = this.spec;
    let command: string;
    let args: string[];
    let env = { ...this.spec.env };
    const cid = this.containerId();
    if (isolation.mode === "oci") {
      if (cid === undefined || !this.running) return Promise.resolve({ code: 126, output: `container ${this.spec.container.name} is not running` });
      command = "podman";
      args = ["exec", cid, ...argv];
      env = { PATH: process.env["PATH"] ?? SYSTEM_PATH };
    } else if (isolation.mode === "mount-namespace") {
      if (this.child.pid === undefined || !this.running) return Promise.resolve({ code: 126, output: `container ${this.spec.container.name} is not running` });
      command = isolation.tools!.nsenter;
      args = [`--target=${this.child.pid}`, "--mount", "--root", "--", ...insideArgv(this.spec, argv, this.spec.workingDir)];
    } else {
      env = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, rewritePaths(v, this.mounts)]));
      const rewritten = argv.map((a) => rewritePaths(a, this.mounts));
      command = rewritten[0]!;
      args = rewritten.slice(1);
    }
    return new Promise((resolve) => {
      const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      child.once("error", (err) => resolve({ code: 127, output: err.message }));
      child.once("close", (code) => resolve({ code: code ?? 137, output }));
    });
  }
}
