/**
 * The agent "as injected", for the soak, burst and fault-matrix runs: the injector (the same pure
 * `admit()` the webhook runs) mutates an annotated KubernetesExecutor worker pod; the `avi-agent`
 * container it adds is run as a real process with its args and env (downward API resolved,
 * NODE_OPTIONS included). Only what a laptop cannot provide is mapped: the pod's mount paths to
 * directories here, the fixed ports to ephemeral ones, the health host to loopback. Optionally the
 * process runs on a scaled clock (bench/scaled-clock.mjs), shared with sim/vault's clock.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import jsonpatch from "fast-json-patch";
import { parse } from "yaml";
import { admit } from "../injector/admit.js";
import { type SettingsInput } from "../injector/settings.js";
import { parseSettings } from "../injector/load-settings.js";
import type { SimClock } from "../sim/vault/time/clock.js";
import { AVI_BIN } from "../test/support/agent-process.js";
import { REPO_ROOT } from "../test/support/repo.js";
import type { Container } from "../test/support/pod-container.js";

type Obj = Record<string, unknown>;

export interface InjectedAgentInput {
  readonly vaultAddress: string;
  /** Profiles as in the chart's settings (`profiles:`). */
  readonly profiles: SettingsInput["profiles"];
  /** `airflow-vault.io/credentials` of the pod. */
  readonly credentials: readonly string[];
  /** Extra `vault:` settings (timeout, maxRetries …) and `agent:` settings (shutdownGrace, logLevel …). */
  readonly vault?: Partial<NonNullable<SettingsInput["vault"]>>;
  readonly agent?: Partial<NonNullable<SettingsInput["agent"]>>;
  readonly podName?: string;
  /** Where the pod's credentials volume and projected token file are on this machine. */
  readonly outputDir: string;
  readonly tokenFile: string;
}

export interface InjectedAgent {
  /** `avi` arguments of the injected container (`["agent"]`). */
  readonly args: readonly string[];
  /** The container's env, downward API resolved, paths and ports mapped. */
  readonly env: Readonly<Record<string, string>>;
}

/** Runs the injector on the example KE worker pod and returns the agent container as a process spec. */
export function injectedAgent(input: InjectedAgentInput): InjectedAgent {
  const settings = parseSettings({
    vault: { address: input.vaultAddress, role: "airflow", audience: "vault", ...input.vault },
    agent: { image: "ghcr.io/example/airflow-vault-injector:bench", ...input.agent },
    profiles: input.profiles,
  });
  const pod = parse(readFileSync(join(REPO_ROOT, "examples", "ke-worker-pod.yaml"), "utf8")) as Obj & { metadata: Obj & { annotations: Obj } };
  pod.metadata.annotations["airflow-vault.io/credentials"] = input.credentials.join(",");
  if (input.podName !== undefined) pod.metadata["name"] = input.podName;
  const decision = admit({ object: pod, namespace: "airflow", settings });
  if (decision.kind !== "inject") throw new Error(`the injector did not inject: ${JSON.stringify(decision)}`);
  const mutated = jsonpatch.applyPatch(structuredClone(pod), decision.patch as jsonpatch.Operation[]).newDocument as unknown as { metadata: { name: string; namespace: string }; spec: { initContainers: Container[] } };
  const agent = mutated.spec.initContainers.find((c) => c.name === "avi-agent");
  if (agent === undefined) throw new Error("the patch added no avi-agent init container");

  const fields: Record<string, string> = { "metadata.name": mutated.metadata.name, "metadata.namespace": mutated.metadata.namespace, "metadata.uid": "5f1c9a3e-0000-4000-8000-00000000b0b0" };
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
  for (const e of agent.env ?? []) env[e.name] = e.value ?? fields[e.valueFrom?.fieldRef?.fieldPath ?? ""] ?? "";
  const config = JSON.parse(env["AVI_AGENT_CONFIG"] ?? "null") as Obj & { vault: Obj };
  config["outputDir"] = input.outputDir;
  config.vault["tokenFile"] = input.tokenFile;
  config["endpoint"] = { port: 0 };
  config["health"] = { host: "127.0.0.1", port: 0 };
  env["AVI_AGENT_CONFIG"] = JSON.stringify(config);
  return { args: agent.args ?? ["agent"], env };
}

/** The env that puts a process on the same scaled clock as `clock` (bench/scaled-clock.mjs). */
export function scaledClockEnv(clock: SimClock): Record<string, string> {
  const realWall = performance.timeOrigin + performance.now();
  return {
    AVI_BENCH_CLOCK_SCALE: String(clock.scale),
    AVI_BENCH_CLOCK_REAL_EPOCH_MS: String(realWall),
    AVI_BENCH_CLOCK_SIM_EPOCH_MS: String(clock.now()),
  };
}

export const SCALED_CLOCK_PRELOAD = new URL("./scaled-clock.mjs", import.meta.url).pathname;
export const HEAP_PROBE_PRELOAD = new URL("./heap-probe.mjs", import.meta.url).pathname;

export interface SpawnOptions {
  /** Run on the scaled clock of this simulator clock (its scale must not change afterwards). */
  readonly clock?: SimClock;
  /** Collect stdout/stderr lines (default: discard stdout, pass stderr through). */
  readonly collect?: string[];
  /** Diagnostics: force a GC and log memory to this file every `everyMs` real ms (bench/heap-probe.mjs). */
  readonly heapProbe?: { readonly file: string; readonly everyMs: number };
  /** Run as this user (and group), as the container's runAsUser would, from a copy of the agent's files in `filesDir`. */
  readonly asUser?: { readonly uid: number; readonly filesDir: string };
}

interface AgentFiles {
  readonly bin: string;
  readonly scaledClock: string;
  readonly heapProbe: string;
}

/**
 * dist/ and the preloads copied into `dir` (which the caller owns and removes), where another user can
 * read them as the image's /app/dist: the checkout may be private (CI clones into a 0700 temp dir that
 * uid 65532 cannot traverse). dist/ is self-contained, as the Dockerfile relies on; maps are left out.
 */
function filesForOtherUsers(dir: string): AgentFiles {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  cpSync(dirname(AVI_BIN), join(dir, "dist"), { recursive: true, filter: (src) => !src.endsWith(".map") });
  copyFileSync(SCALED_CLOCK_PRELOAD, join(dir, "scaled-clock.mjs"));
  copyFileSync(HEAP_PROBE_PRELOAD, join(dir, "heap-probe.mjs"));
  return { bin: join(dir, "dist", "avi.js"), scaledClock: join(dir, "scaled-clock.mjs"), heapProbe: join(dir, "heap-probe.mjs") };
}

/** Spawns the injected agent as `node [--import scaled-clock] dist/avi.js <args>` with its env. */
export function spawnInjectedAgent(agent: InjectedAgent, options: SpawnOptions = {}): ChildProcess {
  const probe = options.heapProbe;
  const user = options.asUser;
  const files: AgentFiles = user === undefined ? { bin: AVI_BIN, scaledClock: SCALED_CLOCK_PRELOAD, heapProbe: HEAP_PROBE_PRELOAD } : filesForOtherUsers(user.filesDir);
  const preload = [...(probe === undefined ? [] : ["--import", files.heapProbe]), ...(options.clock === undefined ? [] : ["--import", files.scaledClock])];
  const env = {
    ...agent.env,
    ...(options.clock === undefined ? {} : scaledClockEnv(options.clock)),
    ...(probe === undefined ? {} : { AVI_BENCH_HEAP_FILE: probe.file, AVI_BENCH_HEAP_EVERY_MS: String(probe.everyMs) }),
  };
  const child = spawn(process.execPath, [...preload, files.bin, ...agent.args], { env, stdio: ["ignore", "pipe", "pipe"], ...(user === undefined ? {} : { uid: user.uid, gid: user.uid }) });
  const sink = options.collect;
  const onData = (chunk: Buffer): void => {
    const lines = chunk.toString("utf8").split("\n").filter((l) => l !== "" && !l.startsWith("Warning: disabling flag --expose_wasm"));
    if (sink !== undefined) sink.push(...lines);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return child;
}
