/**
 * Burst of pods: N agents started at once against one sim/vault, as a DAG fan-out of
 * KubernetesExecutor pods would, each run as injected (bench/injected-agent.ts) with its own pod name
 * and credentials volume, all on one clock running SCALE× real time (bench/scaled-clock.mjs, shared
 * with sim/vault), TTLs as in production (token 1 h / 24 h, STS 1 h, iam_user 1 h / 12 h).
 *
 * Measured:
 *  - the login wave in real time: time from spawn to ready per agent (status.json), login latency
 *    (the agent's "agent starting" → "logged in" log lines), Vault requests per real second;
 *  - after the wave, over HOURS simulated hours: Vault requests per simulated minute, and the
 *    peak-to-mean ratio of that series (target ≤ 2: jitter keeps the fleet from renewing in lockstep);
 *  - memory: VmRSS and RssAnon of every agent once all are ready.
 *
 *   npm run bench:burst        (env: N=200 SCALE=20 HOURS=3 WAVE_MIN=10)
 * Writes bench/results/burst.json / burst.csv (per simulated minute) and burst-ready.csv.
 * Last line: RESULT n=<N> ready_p50_ms=… ready_p99_ms=… login_p50_ms=… login_p99_ms=… peak_rps=…
 *            peak_to_mean=… agents_mib=…
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { freemem } from "node:os";
import { join } from "node:path";
import { startVaultStage } from "../test/support/vault-stage.js";
import { RESULTS_DIR, machineInfo, percentile, readProcMemory, writeResults } from "./bench-support.js";
import { injectedAgent, spawnInjectedAgent } from "./injected-agent.js";

const N = Number(process.env["N"] ?? 200);
const SCALE = Number(process.env["SCALE"] ?? 20);
const HOURS = Number(process.env["HOURS"] ?? 3);
const WAVE_MIN = Number(process.env["WAVE_MIN"] ?? 10);
const MIN = 60_000;

const stage = await startVaultStage({ scale: 0, tokenTtl: "1h", tokenMaxTtl: "24h", stsTtl: "1h", iamLease: "1h", iamLeaseMax: "12h" });
const clock = stage.vault.clock;
// Enough log entries for every request of the run (the default keeps 10 000).
const profiles = {
  etl: { path: "aws/sts/etl", format: "aws" as const, endpoint: "http://minio.minio.svc:9000", region: "us-east-1", ttl: "1h" },
  app: { path: "aws/creds/app", format: "aws" as const, region: "us-east-1" },
};

interface Pod {
  index: number;
  dir: string;
  child: ChildProcess;
  log: string[];
  spawnedAt: number;
  readyAt?: number;
}

const freeBefore = freemem();
clock.setScale(SCALE);
const simStart = clock.now();
const realStart = performance.now();
const pods: Pod[] = [];
for (let i = 0; i < N; i++) {
  const dir = join(stage.dir, `pod-${i}`);
  mkdirSync(dir);
  const spec = injectedAgent({ vaultAddress: stage.vault.address, profiles, credentials: ["etl", "app"], outputDir: dir, tokenFile: stage.tokenFile, podName: `etl-fanout-${i}-x7k2p`, agent: { logLevel: "info" } });
  const log: string[] = [];
  pods.push({ index: i, dir, log, child: spawnInjectedAgent(spec, { clock, collect: log }), spawnedAt: performance.now() });
  // sim/vault and the TokenReview server live in this process: let them answer between spawns.
  await new Promise((r) => setImmediate(r));
}
const spawnSpreadMs = performance.now() - realStart;

// Readiness (real time), polled.
const isReady = (p: Pod): boolean => {
  const f = join(p.dir, "status.json");
  if (!existsSync(f)) return false;
  try {
    return (JSON.parse(readFileSync(f, "utf8")) as { ready: boolean }).ready;
  } catch {
    return false;
  }
};
for (;;) {
  const now = performance.now();
  for (const p of pods) if (p.readyAt === undefined && isReady(p)) p.readyAt = now;
  const exitedEarly = pods.filter((p) => p.child.exitCode !== null);
  if (exitedEarly.length > 0) throw new Error(`${exitedEarly.length} agents exited, e.g.:\n${exitedEarly[0]!.log.slice(-5).join("\n")}`);
  if (pods.every((p) => p.readyAt !== undefined)) break;
  if (now - realStart > 300_000) throw new Error(`only ${pods.filter((p) => p.readyAt !== undefined).length}/${N} ready after 5 min`);
  await new Promise((r) => setTimeout(r, 20));
}
const allReadyReal = performance.now() - realStart;
const memory = pods.map((p) => readProcMemory(p.child.pid!));
const freeAfter = freemem();
const readyMs = pods.map((p) => p.readyAt! - p.spawnedAt);

// Keep running until HOURS simulated hours have passed.
const end = simStart + HOURS * 3_600_000;
while (clock.now() < end) {
  const dead = pods.find((p) => p.child.exitCode !== null);
  if (dead !== undefined) throw new Error(`agent ${dead.index} exited ${dead.child.exitCode}:\n${dead.log.slice(-5).join("\n")}`);
  await new Promise((r) => setTimeout(r, 200));
}
await Promise.all(
  pods.map(
    (p) =>
      new Promise<void>((resolve) => {
        if (p.child.exitCode !== null) return resolve();
        p.child.once("exit", () => resolve());
        p.child.kill("SIGTERM");
      }),
  ),
);
clock.setScale(0);

// Login latency from each agent's own log (pino `time` is on the scaled clock): real ms.
const loginMs: number[] = [];
for (const p of pods) {
  const lines = p.log.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { time: string; msg: string });
  const started = lines.find((l) => l.msg === "agent starting");
  const loggedIn = lines.find((l) => l.msg === "logged in to Vault");
  if (started !== undefined && loggedIn !== undefined) loginMs.push((Date.parse(loggedIn.time) - Date.parse(started.time)) / SCALE);
}

const requests = stage.vault.requestLog.entries({}).filter((e) => e.headers["user-agent"]?.startsWith("airflow-vault-injector-agent") === true && e.time <= end);
const dropped = stage.vault.requestLog.entries({}).length >= 10_000;
// Per real second during the wave (sim ms → real s since start).
const perRealSecond = new Map<number, number>();
for (const e of requests) {
  const s = Math.floor((e.time - simStart) / SCALE / 1000);
  perRealSecond.set(s, (perRealSecond.get(s) ?? 0) + 1);
}
const waveSeconds = Math.ceil(allReadyReal / 1000);
const peakRps = Math.max(...[...perRealSecond.entries()].filter(([s]) => s <= waveSeconds).map(([, n]) => n));
// Per simulated minute over the whole run; the peak-to-mean ratio after the wave.
const minutes = Math.ceil((end - simStart) / MIN);
const perMinute = Array.from({ length: minutes }, () => ({ logins: 0, renewals: 0, reads: 0, other: 0 }));
for (const e of requests) {
  const m = perMinute[Math.min(minutes - 1, Math.floor((e.time - simStart) / MIN))]!;
  if (e.path.includes("/login")) m.logins++;
  else if (e.path.includes("renew")) m.renewals++;
  else if (e.path.includes("aws/")) m.reads++;
  else m.other++;
}
const totals = perMinute.map((m) => m.logins + m.renewals + m.reads + m.other);
// The same requests with every agent's clock started at its own first request (pod name from the
// audit header): the fleet as if all had started in the same instant, this machine's start spread
// removed — what the agents' own jitter alone does.
const firstOf = new Map<string, number>();
for (const e of requests) {
  const pod = e.headers["x-kubernetes-pod-name"] ?? "?";
  firstOf.set(pod, Math.min(firstOf.get(pod) ?? Infinity, e.time));
}
const aligned = Array.from({ length: minutes }, () => 0);
for (const e of requests) {
  const rel = e.time - firstOf.get(e.headers["x-kubernetes-pod-name"] ?? "?")!;
  if (simStart + rel <= end) aligned[Math.floor(rel / MIN)]!++;
}
const alignedAfter = aligned.slice(WAVE_MIN, minutes - Math.ceil((Math.max(...firstOf.values()) - simStart) / MIN));
const alignedPeakToMean = Math.max(...alignedAfter) / (alignedAfter.reduce((s, n) => s + n, 0) / alignedAfter.length);
// The wave ends a minute after the last agent became ready (at least WAVE_MIN simulated minutes).
const waveMin = Math.max(WAVE_MIN, Math.ceil((allReadyReal * SCALE) / MIN) + 1);
const after = totals.slice(waveMin);
const meanAfter = after.reduce((s, n) => s + n, 0) / after.length;
const peakAfter = Math.max(...after);
const peakToMean = peakAfter / meanAfter;
// The same after-wave series in 5-minute bins (less Poisson noise at this N).
const bins5: number[] = [];
for (let i = 0; i < after.length; i += 5) bins5.push(after.slice(i, i + 5).reduce((s, n) => s + n, 0));
const full5 = bins5.slice(0, Math.floor(after.length / 5));
const peakToMean5 = Math.max(...full5) / (full5.reduce((s, n) => s + n, 0) / full5.length);

const rssMiB = memory.reduce((s, m) => s + (m.rssKiB ?? 0), 0) / 1024;
const anonMiB = memory.reduce((s, m) => s + (m.anonKiB ?? 0), 0) / 1024;
const machine = machineInfo();
const summary = {
  date: new Date().toISOString(),
  command: "npm run bench:burst",
  machine,
  n: N,
  scale: SCALE,
  hours: HOURS,
  spawn_spread_ms: spawnSpreadMs,
  all_ready_ms: allReadyReal,
  ready_p50_ms: percentile(readyMs, 50),
  ready_p99_ms: percentile(readyMs, 99),
  ready_max_ms: Math.max(...readyMs),
  login_p50_ms: percentile(loginMs, 50),
  login_p99_ms: percentile(loginMs, 99),
  wave_peak_requests_per_real_second: peakRps,
  wave_minutes: waveMin,
  wave_requests: requests.filter((e) => e.time - simStart < waveMin * MIN).length,
  wave_logins: requests.filter((e) => e.time - simStart < waveMin * MIN && e.path.includes("/login")).length,
  wave_login_statuses: Object.fromEntries([...new Set(requests.filter((e) => e.path.includes("/login") && e.time - simStart < waveMin * MIN).map((e) => String(e.status)))].map((st) => [st, requests.filter((e) => e.path.includes("/login") && e.time - simStart < waveMin * MIN && String(e.status) === st).length])),
  after_wave_mean_per_sim_minute: meanAfter,
  after_wave_peak_per_sim_minute: peakAfter,
  peak_to_mean: peakToMean,
  peak_to_mean_5min_bins: peakToMean5,
  start_spread_sim_min: (Math.max(...firstOf.values()) - simStart) / MIN,
  aligned_peak_to_mean: alignedPeakToMean,
  requests_per_agent_hour: requests.length / N / HOURS,
  agents_vmrss_sum_mib: rssMiB,
  agents_rssanon_sum_mib: anonMiB,
  agent_rssanon_mean_mib: anonMiB / N,
  system_memory_used_by_run_mib: (freeBefore - freeAfter) / 2 ** 20,
  request_log_truncated: dropped,
};
writeResults(
  "burst",
  summary,
  perMinute.map((m, i) => ({ minute: i, ...m, total: totals[i], aligned: aligned[i] })),
);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(join(RESULTS_DIR, "burst-ready.csv"), `agent,ready_ms,login_ms\n${pods.map((p, i) => `${p.index},${readyMs[i]!.toFixed(1)},${loginMs[i]?.toFixed(1) ?? ""}`).join("\n")}\n`);
writeFileSync(join(RESULTS_DIR, "burst-wave.csv"), `real_second,requests\n${[...perRealSecond.entries()].filter(([s]) => s <= waveSeconds + 5).sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s},${n}`).join("\n")}\n`);
await stage.stop();

console.log(`burst: ${N} agents at ${SCALE}× on ${machine.nproc} cores, ${machine.memory_gib} GiB (load ${machine.loadavg}), Node ${machine.node}`);
console.log(`  spawned in ${spawnSpreadMs.toFixed(0)} ms; all ready after ${(allReadyReal / 1000).toFixed(1)} s; time to ready p50 ${summary.ready_p50_ms.toFixed(0)} ms, p99 ${summary.ready_p99_ms.toFixed(0)} ms`);
console.log(`  login latency p50 ${summary.login_p50_ms.toFixed(0)} ms, p99 ${summary.login_p99_ms.toFixed(0)} ms; wave peak ${peakRps} requests per real second`);
console.log(`  after the wave (${HOURS} simulated h): mean ${meanAfter.toFixed(1)} / peak ${peakAfter} requests per simulated minute → peak-to-mean ${peakToMean.toFixed(2)} (5-min bins ${peakToMean5.toFixed(2)}); first requests spread over ${summary.start_spread_sim_min.toFixed(1)} simulated min; with every agent's start aligned: ${alignedPeakToMean.toFixed(2)}; ${summary.requests_per_agent_hour.toFixed(2)} requests per agent-hour`);
console.log(`  memory with all ${N} ready: VmRSS sum ${rssMiB.toFixed(0)} MiB (file pages of the node binary are shared), RssAnon sum ${anonMiB.toFixed(0)} MiB (${(anonMiB / N).toFixed(1)} MiB per agent); free memory dropped ${summary.system_memory_used_by_run_mib.toFixed(0)} MiB`);
console.log(`RESULT n=${N} ready_p50_ms=${summary.ready_p50_ms.toFixed(0)} ready_p99_ms=${summary.ready_p99_ms.toFixed(0)} login_p50_ms=${summary.login_p50_ms.toFixed(0)} login_p99_ms=${summary.login_p99_ms.toFixed(0)} peak_rps=${peakRps} peak_to_mean=${peakToMean.toFixed(2)} aligned_peak_to_mean=${alignedPeakToMean.toFixed(2)} agents_mib=${anonMiB.toFixed(0)}`);
