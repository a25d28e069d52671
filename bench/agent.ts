/**
 * The agent benchmark (issue 7), against sim/vault on this machine, in one run:
 *  (a) start: spawn of `dist/avi.js agent` → first credential file written, minus a bare `node -e 0`
 *      spawn → exit (fastest of RUNS interleaved runs each, medians shown too);
 *  (b) memory: VmRSS and RssAnon (private memory: /proc/PID/status) of an agent that did 100
 *      rotations and then went idle, against a bare Node HTTP server's, both after SETTLE_S idle seconds;
 *  (c) idle CPU: an agent with 1 h credentials over IDLE_S seconds (/proc/PID/stat utime+stime);
 *  (d) Vault requests per pod-hour at a compressed clock (the simulator's clock, frozen and stepped,
 *      24 h) against the LifetimeWatcher model (bench/lifetime-watcher-model.ts) with the same TTLs.
 *   npm run bench:agent        (env: RUNS=15 IDLE_S=60 SETTLE_S=20 HOURS=24)
 * The script runs on Node 24 (the image's runtime; package.json runs it with the npm registry's
 * node@24) and the agent and the bare baselines run on the same Node (process.execPath).
 * COMPARE_NODE=/path/to/node repeats (a) and (b) on another Node (e.g. 20) as a second line, after RESULT.
 * Start is also given as CPU time (all threads, /proc/PID/task/*\/schedstat) at the same moment:
 * less disturbed than wall time by other load on a shared machine.
 * (e) with AVI_IMAGE=<image> (`npm run image`): (b)'s scenario in the image under podman/runc with
 *     the injected memory limit; the cgroup's peak (cgroup v1 memory.max_usage_in_bytes: anonymous
 *     memory plus the page cache the container faults in) with a cold page cache (drop_caches first)
 *     and a warm one (the same image just ran).
 * Last line: RESULT start_overhead_ms=… rss_ratio=… anon_mib=… idle_mcpu=… vault_req_ratio=…
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { AGENT_NODE_OPTIONS, parseAgentConfig } from "../agent/config.js";
import { startAgent } from "../agent/start-agent.js";
import { DEFAULT_AGENT_RESOURCES } from "../injector/settings.js";
import { createVaultClient } from "../agent/vault-client.js";
import { STAGE_POD, simTime, stageAgentConfig, startVaultStage, type VaultStage } from "../test/support/vault-stage.js";
import { lifetimeWatcherModel, totalRequests, type ModelScenario } from "./lifetime-watcher-model.js";

const RUNS = Number(process.env["RUNS"] ?? 15);
const IDLE_S = Number(process.env["IDLE_S"] ?? 60);
const SETTLE_S = Number(process.env["SETTLE_S"] ?? 20);
const HOURS = Number(process.env["HOURS"] ?? 24);
const ROTATIONS = 100;
/** PHASES=abcde (default): run only some phases, e.g. PHASES=b while trying memory settings. */
const PHASES = process.env["PHASES"] ?? "abcde";
/** (e) runs the agent in this image (`npm run image`; tag or ID) under podman; skipped when unset. */
const AVI_IMAGE = process.env["AVI_IMAGE"];
/** The memory limit the injector gives the agent container (charts/airflow-vault-injector values). */
const CONTAINER_LIMIT = process.env["CONTAINER_LIMIT"] ?? DEFAULT_AGENT_RESOURCES.limits.memory;
const COMPARE_NODE = process.env["COMPARE_NODE"];
const avi = new URL("../dist/avi.js", import.meta.url).pathname;
if (!existsSync(avi)) {
  console.error("dist/avi.js is missing: run `npm run build` first");
  process.exit(2);
}
const shm = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function procStatus(pid: number): { rssKiB: number; anonKiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon") };
}

function cpuTicks(pid: number): number {
  // Fields after the parenthesised command: state is field 3; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of every thread of a running process so far (ms, ns resolution); NaN once it is gone. */
function cpuMs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((ms, tid) => ms + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6, 0);
  } catch {
    return NaN;
  }
}

interface Start {
  wallMs: number;
  cpuMs: number;
}

/** A bare `node -e` that stops itself (SIGSTOP) at the end of its script: wall time and CPU time then. */
async function bareNode(node: string): Promise<Start> {
  const t0 = performance.now();
  const child = spawn(node, ["-e", "process.kill(process.pid, 'SIGSTOP')"], { stdio: "ignore" });
  try {
    for (;;) {
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) return { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid!) };
      await sleep(1);
    }
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
}

function agentConfig(stage: VaultStage, outputDir: string, credentials: unknown[]): Record<string, unknown> {
  return stageAgentConfig(stage, credentials, { outputDir, logLevel: "warn", context: { namespace: STAGE_POD.namespace, serviceAccount: STAGE_POD.serviceAccount, dagId: "bench", taskId: "agent" } });
}

/**
 * The agent runs with the NODE_OPTIONS the injector gives it (agent/config.ts AGENT_NODE_OPTIONS).
 * AGENT_NODE_FLAGS / AGENT_ENV try other node flags or environment, e.g. AGENT_ENV="NODE_OPTIONS=".
 */
const agentNodeFlags = (process.env["AGENT_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "");
const agentEnv = Object.fromEntries(
  (process.env["AGENT_ENV"] ?? "")
    .split(" ")
    .filter((kv) => kv.includes("="))
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);

function spawnAgent(config: unknown, node = process.execPath): ChildProcess {
  const env = { PATH: process.env["PATH"], NODE_OPTIONS: AGENT_NODE_OPTIONS, ...agentEnv, AVI_AGENT_CONFIG: JSON.stringify(config) };
  // V8 notes on stderr that --jitless turns WebAssembly off; nothing else is expected there.
  const child = spawn(node, [...agentNodeFlags, avi, "agent"], { env, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8").replace(/^Warning: disabling flag --expose_wasm due to conflicting flags\n/m, "");
    if (text !== "") process.stderr.write(text);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** (a) one cold start: spawn → `<name>.json` renamed into place. */
async function coldStart(stage: VaultStage, node: string): Promise<Start> {
  const out = mkdtempSync(join(shm, "avi-bench-"));
  try {
    let w: ReturnType<typeof watch> | undefined;
    const written = new Promise<void>((resolve) => {
      w = watch(out, (_event, file) => {
        if (file === "etl.json") resolve();
      });
    });
    const t0 = performance.now();
    const child = spawnAgent(agentConfig(stage, out, [{ name: "etl", path: "aws/sts/etl", format: "aws" }]), node);
    const failed = new Promise<never>((_, reject) => {
      child.once("exit", (code) => reject(new Error(`agent exited ${code} before writing credentials`)));
      setTimeout(() => reject(new Error("no credentials written within 30 s")), 30_000).unref();
    });
    await Promise.race([written, failed]).finally(() => w?.close());
    const start = { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid!) };
    await stopChild(child);
    return start;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}


async function bareHttpServer(node: string): Promise<{ rssKiB: number; anonKiB: number }> {
  const child = spawn(node, ["-e", "require('node:http').createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1')"], { stdio: "ignore" });
  await sleep(SETTLE_S * 1000);
  const m = procStatus(child.pid!);
  await stopChild(child);
  return m;
}

function statusOf(out: string): { ready: boolean; rotations: number } {
  try {
    const s = JSON.parse(readFileSync(join(out, "status.json"), "utf8")) as { ready: boolean; credentials: Record<string, { rotations: number }> };
    return { ready: s.ready, rotations: Object.values(s.credentials).reduce((n, c) => n + c.rotations, 0) };
  } catch {
    return { ready: false, rotations: 0 };
  }
}

/** An STS role handing out credentials of `ttl`, readable by the stage's agent role. */
async function churnRole(stage: VaultStage, ttl: string): Promise<void> {
  await stage.api("POST", "aws/roles/churn", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/churn", max_sts_ttl: "12h", default_sts_ttl: ttl });
  await stage.api("PUT", "sys/policies/acl/airflow-agent-churn", { policy: 'path "aws/sts/churn" { capabilities = ["read"] }' });
  await stage.api("POST", "auth/kubernetes/role/airflow", { bound_service_account_names: STAGE_POD.serviceAccount, bound_service_account_namespaces: STAGE_POD.namespace, audience: "vault", token_policies: "airflow-agent,airflow-agent-churn", token_ttl: "1h", token_max_ttl: "24h" });
}

/**
 * (b) memory after ROTATIONS rotations: four credentials on an STS role handing out 4 s credentials
 * (replaced every ~2.5 s) until the rotations are done; then the role hands out 1 h credentials, the
 * agent goes idle as in a real pod, and memory is read after SETTLE_S seconds.
 */
async function memoryAfterRotations(stage: VaultStage, node: string): Promise<{ rssKiB: number; anonKiB: number; seconds: number }> {
  await churnRole(stage, "4s");
  const out = mkdtempSync(join(shm, "avi-bench-"));
  const creds = ["a", "b", "c", "d"].map((name) => ({ name, path: "aws/sts/churn", format: "aws" }));
  const child = spawnAgent(agentConfig(stage, out, creds), node);
  const t0 = performance.now();
  try {
    while (statusOf(out).rotations < ROTATIONS) {
      if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}`);
      if (performance.now() - t0 > 300_000) throw new Error(`only ${statusOf(out).rotations} rotations after 5 minutes; see ${out}/status.json`);
      await sleep(100);
    }
    await churnRole(stage, "1h");
    const seconds = (performance.now() - t0) / 1000;
    await sleep(SETTLE_S * 1000);
    return { ...procStatus(child.pid!), seconds };
  } finally {
    await stopChild(child);
    rmSync(out, { recursive: true, force: true });
  }
}

/** (c) idle CPU of an agent holding 1 h credentials. */
async function idleCpu(stage: VaultStage): Promise<number> {
  const out = mkdtempSync(join(shm, "avi-bench-"));
  const child = spawnAgent(
    agentConfig(stage, out, [
      { name: "etl", path: "aws/sts/etl", format: "aws" },
      { name: "app", path: "aws/creds/app", format: "aws" },
    ]),
  );
  try {
    const t0 = performance.now();
    while (!statusOf(out).ready) {
      if (performance.now() - t0 > 30_000) throw new Error("the agent did not become ready within 30 s");
      await sleep(50);
    }
    await sleep(5_000);
    const before = cpuTicks(child.pid!);
    await sleep(IDLE_S * 1000);
    const ticks = cpuTicks(child.pid!) - before;
    return ((ticks / 100) / IDLE_S) * 1000;
  } finally {
    await stopChild(child);
    rmSync(out, { recursive: true, force: true });
  }
}

/** (d) requests per pod-hour on the simulator's frozen clock, stepped 10 s at a time. */
async function requestsPerPodHour(scenario: ModelScenario): Promise<{ perHour: number; byPath: Record<string, number> }> {
  const stage = await startVaultStage({ scale: 0, tokenTtl: `${scenario.token.ttlS}s`, tokenMaxTtl: `${scenario.token.maxS}s`, stsTtl: "1h", iamLease: "1h", iamLeaseMax: "24h" });
  try {
    const clock = stage.vault.clock;
    const time = simTime(clock);
    const cfg = parseAgentConfig(
      agentConfig(stage, stage.outputDir, [
        { name: "etl", path: "aws/sts/etl", format: "aws" },
        { name: "app", path: "aws/creds/app", format: "aws" },
        { name: "rgw", path: "secret/data/rgw", format: "kv" },
      ]),
    );
    const vault = createVaultClient({ vault: cfg.vault, headers: {}, userAgent: "avi-bench", transport: { now: () => time.now() } });
    const agent = await startAgent(cfg, { time, vault, logger: pino({ level: "silent" }) });
    const start = clock.now();
    let nextJwt = start + 48 * 60_000;
    while (clock.now() - start < scenario.hours * 3_600_000) {
      clock.advance(10_000);
      if (clock.now() >= nextJwt) {
        await stage.rotateJwt();
        nextJwt += 48 * 60_000;
      }
      await agent.runtime.settled();
      await stage.vault.controls.settled();
    }
    agent.stop("bench end");
    await agent.done;
    const requests = stage.vault.requestLog.entries({}).filter((e) => e.headers["user-agent"] === "avi-bench" && e.time - start <= scenario.hours * 3_600_000);
    const byPath: Record<string, number> = {};
    for (const e of requests) byPath[e.path] = (byPath[e.path] ?? 0) + 1;
    const revocationsAtEnd = requests.filter((e) => /revoke/.test(e.path)).length;
    return { perHour: (requests.length - revocationsAtEnd) / scenario.hours, byPath };
  } finally {
    await stage.stop();
  }
}

/** (a) on one Node: cold starts interleaved with bare ones, so that machine load affects both series alike. */
async function startOverhead(stage: VaultStage, node: string): Promise<{ overheadMs: number; line: string }> {
  const agent: Start[] = [];
  const bare: Start[] = [];
  await coldStart(stage, node); // warm the page cache and the simulator
  for (let i = 0; i < RUNS; i++) {
    bare.push(await bareNode(node));
    agent.push(await coldStart(stage, node));
  }
  // The fastest of the interleaved runs is the least disturbed by other load on a shared machine;
  // the medians are shown too.
  const wall = (xs: Start[]): number[] => xs.map((x) => x.wallMs);
  const cpu = (xs: Start[]): number[] => xs.map((x) => x.cpuMs);
  const overheadMs = Math.min(...wall(agent)) - Math.min(...wall(bare));
  const cpuOverhead = median(cpu(agent)) - median(cpu(bare));
  const line =
    `start → first credential written: agent min ${Math.min(...wall(agent)).toFixed(1)} / p50 ${median(wall(agent)).toFixed(1)} ms, bare node -e min ${Math.min(...wall(bare)).toFixed(1)} / p50 ${median(wall(bare)).toFixed(1)} ms → overhead ${overheadMs.toFixed(1)} ms (p50: ${(median(wall(agent)) - median(wall(bare))).toFixed(1)}; target ≤ 60); ` +
    `CPU time p50 agent ${median(cpu(agent)).toFixed(1)} ms, bare ${median(cpu(bare)).toFixed(1)} ms → ${cpuOverhead.toFixed(1)} ms`;
  return { overheadMs, line };
}

/** (b) on one Node. */
async function memory(stage: VaultStage, node: string): Promise<{ rssRatio: number; anonMiB: number; line: string }> {
  const bare = await bareHttpServer(node);
  const mem = await memoryAfterRotations(stage, node);
  const rssRatio = mem.rssKiB / bare.rssKiB;
  const anonMiB = mem.anonKiB / 1024;
  const line = `${ROTATIONS} rotations in ${mem.seconds.toFixed(0)} s, then ${SETTLE_S} s idle: agent VmRSS ${(mem.rssKiB / 1024).toFixed(1)} MiB, RssAnon ${anonMiB.toFixed(1)} MiB; bare node http server VmRSS ${(bare.rssKiB / 1024).toFixed(1)} MiB, RssAnon ${(bare.anonKiB / 1024).toFixed(1)} MiB → ratio ${rssRatio.toFixed(3)} (targets ≤ 1.15, RssAnon ≤ 12 MiB)`;
  return { rssRatio, anonMiB, line };
}

/** The memory cgroup (v1) directory of a process. */
function memoryCgroup(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, "utf8")
    .split("\n")
    .find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (line === undefined) throw new Error("no cgroup v1 memory controller for the container (cgroup v2 hosts: memory.peak)");
  return join("/sys/fs/cgroup/memory", line.slice(line.lastIndexOf(":") + 1));
}

const podman = (args: string[]): string => execFileSync("podman", args, { encoding: "utf8" }).trim();

/** (e) the memory scenario in the image, under the injected limit; cold drops the page cache first. */
async function containerPeak(stage: VaultStage, image: string, cold: boolean): Promise<{ peakMiB: number; line: string }> {
  // 8 s credentials rather than (b)'s 4 s: a container start on a loaded 2-core machine can take
  // long enough that 4 s ones come back too short to serve.
  await churnRole(stage, "8s");
  const out = mkdtempSync(join(shm, "avi-bench-"));
  const creds = ["a", "b", "c", "d"].map((name) => ({ name, path: "aws/sts/churn", format: "aws" }));
  if (cold) execFileSync("sh", ["-c", "sync && echo 3 > /proc/sys/vm/drop_caches"]);
  // Host network: the agent reaches sim/vault on 127.0.0.1; the stage's token and output dirs are
  // bound at the same paths. Root in the container only so that it can read the stage's 0600 files.
  const id = podman([
    "run", "-d", "--network=host", "--read-only", "--cap-drop=all", "--user=0:0", `--memory=${CONTAINER_LIMIT.replace(/i$/, "").toLowerCase()}`, `--memory-swap=${CONTAINER_LIMIT.replace(/i$/, "").toLowerCase()}`,
    "-v", `${stage.dir}:${stage.dir}:ro`, "-v", `${out}:${out}`,
    "-e", `NODE_OPTIONS=${AGENT_NODE_OPTIONS}`, "-e", `AVI_AGENT_CONFIG=${JSON.stringify(agentConfig(stage, out, creds))}`,
    image, "agent",
  ]);
  const t0 = performance.now();
  try {
    const pid = Number(podman(["inspect", "--format", "{{.State.Pid}}", id]));
    const cgroup = memoryCgroup(pid);
    while (statusOf(out).rotations < ROTATIONS) {
      if (podman(["inspect", "--format", "{{.State.Running}}", id]) !== "true") throw new Error(`the agent container stopped: ${podman(["logs", id])}`);
      if (performance.now() - t0 > 300_000) throw new Error(`only ${statusOf(out).rotations} rotations after 5 minutes: ${podman(["logs", id])}`);
      await sleep(200);
    }
    await churnRole(stage, "1h");
    await sleep(SETTLE_S * 1000);
    const mib = (file: string): number => Number(readFileSync(join(cgroup, file), "utf8")) / 2 ** 20;
    const stat = Object.fromEntries(readFileSync(join(cgroup, "memory.stat"), "utf8").split("\n").filter((l) => l !== "").map((l) => l.split(" ") as [string, string]));
    const peakMiB = mib("memory.max_usage_in_bytes");
    const failcnt = Number(readFileSync(join(cgroup, "memory.failcnt"), "utf8"));
    const line = `${cold ? "cold" : "warm"} page cache, limit ${CONTAINER_LIMIT}: cgroup peak ${peakMiB.toFixed(1)} MiB, now ${mib("memory.usage_in_bytes").toFixed(1)} MiB (rss ${(Number(stat["rss"]) / 2 ** 20).toFixed(1)}, cache ${(Number(stat["cache"]) / 2 ** 20).toFixed(1)} MiB), limit hit ${failcnt}×; agent RssAnon ${(procStatus(pid).anonKiB / 1024).toFixed(1)} MiB (target peak ≤ 48 MiB cold)`;
    return { peakMiB, line };
  } finally {
    podman(["rm", "-f", "-t", "5", id]);
    rmSync(out, { recursive: true, force: true });
  }
}

const figures: Record<string, string> = {};
const stage = await startVaultStage({ stsTtl: "1h" });
try {
  if (PHASES.includes("a")) {
    const a = await startOverhead(stage, process.execPath);
    figures["start_overhead_ms"] = a.overheadMs.toFixed(1);
    console.log(`(a) ${a.line}`);
  }

  if (PHASES.includes("b")) {
    const b = await memory(stage, process.execPath);
    figures["rss_ratio"] = b.rssRatio.toFixed(3);
    figures["anon_mib"] = b.anonMiB.toFixed(1);
    console.log(`(b) ${b.line}`);
  }

  if (PHASES.includes("c")) {
    const mcpu = await idleCpu(stage);
    figures["idle_mcpu"] = mcpu.toFixed(2);
    console.log(`(c) idle CPU over ${IDLE_S} s: ${mcpu.toFixed(2)} mCPU (target ≤ 1)`);
  }

  if (PHASES.includes("d")) {
    const scenario: ModelScenario = {
      hours: HOURS,
      token: { ttlS: 3600, maxS: 86_400 },
      secrets: [{ kind: "non-renewable", ttlS: 3600 }, { kind: "renewable", ttlS: 3600, maxS: 86_400 }, { kind: "lease-less", intervalS: 300 }],
    };
    const ours = await requestsPerPodHour(scenario);
    let modelTotal = 0;
    const seeds = 200;
    for (let i = 0; i < seeds; i++) modelTotal += totalRequests(lifetimeWatcherModel(scenario, Math.random));
    const modelPerHour = modelTotal / seeds / scenario.hours;
    const ratio = ours.perHour / modelPerHour;
    figures["vault_req_ratio"] = ratio.toFixed(3);
    console.log(`(d) Vault requests per pod-hour over ${HOURS} compressed hours (token 1h/24h, STS 1h, IAM user 1h/24h, KV 5 min): agent ${ours.perHour.toFixed(2)}, LifetimeWatcher model ${modelPerHour.toFixed(2)} → ratio ${ratio.toFixed(3)} (target ≤ 1.0)`);
    console.log(`    agent requests by path: ${JSON.stringify(ours.byPath)}`);
  }
  if (PHASES.includes("e")) {
    if (AVI_IMAGE === undefined) console.log("(e) skipped: set AVI_IMAGE to an image built by `npm run image` (podman, runc, cgroup v1)");
    else {
      console.log(`(e) ${(await containerPeak(stage, AVI_IMAGE, true)).line}`);
      console.log(`(e) ${(await containerPeak(stage, AVI_IMAGE, false)).line}`);
    }
  }

  const keys = ["start_overhead_ms", "rss_ratio", "anon_mib", "idle_mcpu", "vault_req_ratio"];
  console.log(`node ${process.version}, loadavg ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`RESULT ${keys.map((k) => `${k}=${figures[k] ?? "skipped"}`).join(" ")}`);
  if (COMPARE_NODE !== undefined) {
    const version = execFileSync(COMPARE_NODE, ["--version"], { encoding: "utf8" }).trim();
    if (PHASES.includes("a")) console.log(`(a, ${version}) ${(await startOverhead(stage, COMPARE_NODE)).line}`);
    if (PHASES.includes("b")) console.log(`(b, ${version}) ${(await memory(stage, COMPARE_NODE)).line}`);
  }
} finally {
  await stage.stop();
}
