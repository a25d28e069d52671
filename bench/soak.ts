/**
 * Compressed-day soak: one agent, run as injected (bench/injected-agent.ts: the
 * injector's container spec, a real `node dist/avi.js agent` process with its NODE_OPTIONS), against
 * sim/vault, both on one clock running SCALE× real time (the agent through bench/scaled-clock.mjs,
 * sim/vault through its own SimClock with the same epoch). Realistic TTLs: Vault token 1 h / max 24 h,
 * iam_user lease 1 h / max 12 h, STS 1 h. Faults on a seeded schedule: 503 bursts, a 10-minute outage
 * (connections dropped) placed just before a planned STS replacement, an iam_user lease revoked
 * outside the agent, and the projected SA token rotated as the kubelet does (every 48 min = 80 % of its
 * 1 h life, i.e. more than once per simulated hour; new signed JWT, atomic ..data symlink swap).
 * A consumer polls the endpoint and both credential_process files throughout.
 *
 *   npm run bench:soak          (env: SCALE=360 HOURS=24 POLL_MS=25 SEED=1 OUT=soak; SOAK_HEAP=1 for
 *                                heap-after-GC diagnostics in bench/out/soak-heap.jsonl;
 *                                SOAK_NODE_OPTIONS to try other node flags)
 * Writes bench/results/soak.json (per simulated minute) and soak.csv.
 * Last line: RESULT stale_reads=<n> rss_growth_pct=<x> vault_req_ratio=<y>
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lifetimeWatcherModel, totalRequests, type ModelScenario } from "./lifetime-watcher-model.js";
import { injectedAgent, spawnInjectedAgent } from "./injected-agent.js";
import { RESULTS_DIR, linearFit, machineInfo, readProcMemory, seededRandom, writeResults, type SoakMinute } from "./bench-support.js";
import { startVaultStage } from "../test/support/vault-stage.js";

const SCALE = Number(process.env["SCALE"] ?? 360);
const HOURS = Number(process.env["HOURS"] ?? 24);
const POLL_MS = Number(process.env["POLL_MS"] ?? 25);
const SEED = Number(process.env["SEED"] ?? 1);
const WARMUP_H = 2;
const MIN = 60_000;
const HOUR = 3_600_000;
const STALE_MS = 10 * MIN;
/**
 * After Vault comes back, the agent needs one retry to refresh: it schedules retries within ¼ of the
 * remaining validity (≤ 4 min while ≤ 16 min remain). Reads in that window are counted separately.
 */
const RECOVERY_MS = 4 * MIN;

const random = seededRandom(SEED);
const stage = await startVaultStage({ scale: 0, tokenTtl: "1h", tokenMaxTtl: "24h", stsTtl: "1h", iamLease: "1h", iamLeaseMax: "12h" });
const clock = stage.vault.clock;
mkdirSync(stage.outputDir);
const spec = injectedAgent({
  vaultAddress: stage.vault.address,
  profiles: {
    etl: { path: "aws/sts/etl", format: "aws", endpoint: "http://minio.minio.svc:9000", region: "us-east-1", airflowConnId: "minio_default", ttl: "1h" },
    app: { path: "aws/creds/app", format: "aws", region: "us-east-1" },
  },
  credentials: ["etl", "app"],
  outputDir: stage.outputDir,
  tokenFile: stage.tokenFile,
  // The shutdown grace is simulated time too: 5 real seconds for the revocations at the end.
  agent: { shutdownGrace: `${5 * SCALE}s` },
});

type Minute = SoakMinute;
const minutes = new Map<number, Minute>();
const events: { minute: number; kind: string; detail: string }[] = [];
const agentLog: string[] = [];

// Faults on the simulated schedule (ms after start). Rules are added when their time comes.
type Fault = { at: number; kind: "burst" | "outage" | "revoke" | "rotate"; done?: boolean };
const schedule: Fault[] = [];
for (let t = 48 * MIN; t < HOURS * HOUR; t += 48 * MIN) schedule.push({ at: t, kind: "rotate" });
for (let i = 0; i < 8; i++) schedule.push({ at: Math.floor((0.1 + random() * 0.85) * HOURS * HOUR), kind: "burst" });
schedule.push({ at: Math.min(10, HOURS / 2) * HOUR, kind: "outage" });
schedule.push({ at: Math.min(15, HOURS * 0.7) * HOUR, kind: "revoke" });
schedule.sort((a, b) => a.at - b.at);

/** Fault windows (sim ms) during which Vault was not reachable or answered 503. */
const unreachable: { from: number; to: number; kind: string }[] = [];
let outagePending: Fault | undefined;

clock.setScale(SCALE);
const start = clock.now();
// SOAK_NODE_OPTIONS: try other node flags than the injector's (experiments; the figures use the injector's).
const nodeOptions = process.env["SOAK_NODE_OPTIONS"];
if (nodeOptions !== undefined) (spec.env as Record<string, string>)["NODE_OPTIONS"] = nodeOptions;
// SOAK_HEAP=1: diagnostics only (forced GCs change the memory profile): heap after a full GC, hourly.
const heapFile = process.env["SOAK_HEAP"] === "1" ? join(RESULTS_DIR, "..", "out", "soak-heap.jsonl") : undefined;
if (heapFile !== undefined) {
  mkdirSync(join(RESULTS_DIR, "..", "out"), { recursive: true });
  writeFileSync(heapFile, "");
}
const child = spawnInjectedAgent(spec, { clock, collect: agentLog, ...(heapFile === undefined ? {} : { heapProbe: { file: heapFile, everyMs: HOUR / SCALE } }) });
const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
const pid = child.pid!;

const minuteOf = (t: number): number => Math.floor((t - start) / MIN);
const bucket = (m: number): Minute => {
  let b = minutes.get(m);
  if (b === undefined) {
    b = { minute: m, etl_left_min: null, app_left_min: null, vault_requests: 0, rss_kib: null, anon_kib: null, reads: 0, fault: null };
    minutes.set(m, b);
  }
  return b;
};
const reachableAt = (t: number): boolean => !unreachable.some((w) => t >= w.from && t < w.to);

interface Status {
  ready: boolean;
  endpoint?: { url: string };
  credentials: Record<string, { nextRefreshAt: string | null; lease: string | null }>;
}
const readStatus = (): Status | undefined => {
  try {
    return JSON.parse(readFileSync(join(stage.outputDir, "status.json"), "utf8")) as Status;
  } catch {
    return undefined;
  }
};

const readsLeft: { t: number; left: number }[] = [];
let expiredReads = 0;
let truncatedReads = 0;
let failedReads = 0;
let revokedKeyReads = 0;
let totalReads = 0;
let revokedKey: string | undefined;
let revokeDetectedAt: number | undefined;
let revokedAt: number | undefined;

async function consume(url: string, token: string): Promise<void> {
  for (const name of ["etl", "app"] as const) {
    const now = clock.now();
    let expiration: number | undefined;
    let key: string | undefined;
    try {
      const res = await fetch(`${url}${name}`, { headers: { authorization: token } });
      const body = (await res.json()) as { AccessKeyId?: string; Expiration?: string };
      if (res.status === 200) {
        expiration = Date.parse(body.Expiration!);
        key = body.AccessKeyId;
      } else {
        failedReads++;
      }
    } catch {
      failedReads++;
    }
    // The credential_process file: must always parse (atomic replace, never truncated).
    try {
      const file = JSON.parse(readFileSync(join(stage.outputDir, `${name}.json`), "utf8")) as { Expiration: string };
      const fileLeft = Date.parse(file.Expiration) - now;
      if (fileLeft <= 0) expiredReads++;
    } catch {
      truncatedReads++;
    }
    if (expiration === undefined) continue;
    totalReads++;
    const left = expiration - now;
    const m = bucket(minuteOf(now));
    m.reads++;
    const field = name === "etl" ? "etl_left_min" : "app_left_min";
    m[field] = Math.min(m[field] ?? Infinity, left / MIN);
    if (left <= 0) expiredReads++;
    // Judged after the run, when the 503-burst windows are known from the request log.
    readsLeft.push({ t: now, left });
    if (name === "app" && revokedKey !== undefined) {
      if (key === revokedKey) revokedKeyReads++;
      else if (revokeDetectedAt === undefined) revokeDetectedAt = now;
    }
  }
}

function applyFaults(now: number): void {
  for (const f of schedule) {
    if (f.done === true || f.at > now - start) continue;
    f.done = true;
    const m = minuteOf(now);
    if (f.kind === "rotate") {
      void stage.rotateJwt();
      events.push({ minute: m, kind: "sa-token-rotated", detail: "new projected JWT (..data swap)" });
    } else if (f.kind === "burst") {
      const count = 3 + Math.floor(random() * 4);
      stage.vault.controls.addFault({ path: "*", count, action: { type: "error", status: 503, body: { errors: ["upstream connect error or disconnect/reset before headers"] } } });
      events.push({ minute: m, kind: "503-burst", detail: `next ${count} requests answered 503` });
    } else if (f.kind === "outage") {
      outagePending = f;
    } else {
      const lease = stage.vault.controls.leases().find((l) => l.kind === "secret" && l.path.startsWith("aws/creds/app"));
      const user = stage.vault.controls.iamUsers().filter((u) => u.deletedAt === undefined).at(-1);
      if (lease !== undefined && stage.vault.controls.revokeLease(lease.leaseId)) {
        revokedKey = user?.accessKeyId;
        revokedAt = now;
        events.push({ minute: m, kind: "lease-revoked", detail: "iam_user lease revoked by an operator (IAM user deleted)" });
      }
    }
  }
  // The outage starts one simulated minute before the STS credential's planned replacement.
  if (outagePending !== undefined) {
    const next = readStatus()?.credentials["etl"]?.nextRefreshAt;
    const nextAt = next === null || next === undefined ? undefined : Date.parse(next);
    if (nextAt !== undefined && nextAt - now <= MIN) {
      stage.vault.controls.addFault({ path: "*", forSeconds: 600, action: { type: "drop" } });
      unreachable.push({ from: now, to: now + 10 * MIN, kind: "outage" });
      events.push({ minute: minuteOf(now), kind: "outage", detail: "10 min: every connection dropped" });
      outagePending = undefined;
    }
  }
}

let lastMinute = -1;
let ready: Status | undefined;
try {
  for (;;) {
    const now = clock.now();
    if (now - start >= HOURS * HOUR) break;
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}:\n${agentLog.slice(-20).join("\n")}`);
    ready ??= readStatus()?.ready === true ? readStatus() : undefined;
    applyFaults(now);
    const m = minuteOf(now);
    if (m !== lastMinute) {
      lastMinute = m;
      const mem = readProcMemory(pid);
      const b = bucket(m);
      b.rss_kib = mem.rssKiB;
      b.anon_kib = mem.anonKiB;
    }
    if (ready?.endpoint !== undefined) {
      const token = readFileSync(join(stage.outputDir, "endpoint-token"), "utf8");
      await consume(ready.endpoint.url, token);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
} finally {
  // A clean shutdown: no 503 burst left waiting for the revocations.
  stage.vault.controls.clearFaults();
  if (child.exitCode === null) child.kill("SIGTERM");
}
const exitCode = await exited;
const end = start + HOURS * HOUR;
clock.setScale(0);

// Vault requests per simulated minute (the agent's only; the bench's root calls carry no agent UA).
const agentRequests = stage.vault.requestLog.entries({}).filter((e) => e.headers["user-agent"]?.startsWith("airflow-vault-injector-agent") === true);
for (const e of agentRequests) {
  if (e.time > end) continue;
  bucket(minuteOf(e.time)).vault_requests++;
  if (e.fault !== undefined) bucket(minuteOf(e.time)).fault = String(e.status);
}
for (const w of unreachable) for (let m = minuteOf(w.from); m < minuteOf(w.to); m++) bucket(m).fault = "outage";
// A 503 burst makes Vault unreachable from its first to its last answered-503 request.
const byRule = new Map<string, number[]>();
for (const e of agentRequests) if (e.fault !== undefined && e.status === 503) byRule.set(e.fault, [...(byRule.get(e.fault) ?? []), e.time]);
for (const times of byRule.values()) unreachable.push({ from: Math.min(...times), to: Math.max(...times) + 1, kind: "503" });
let staleReads = 0;
let lowReadsDuringFaults = 0;
let lowReadsRecovering = 0;
let minLeftReachable = Infinity;
const recovering = (t: number): boolean => unreachable.some((w) => t >= w.to && t < w.to + RECOVERY_MS);
for (const r of readsLeft) {
  const reachable = reachableAt(r.t);
  if (reachable && !recovering(r.t)) minLeftReachable = Math.min(minLeftReachable, r.left);
  if (r.left < STALE_MS) {
    if (!reachable) lowReadsDuringFaults++;
    else if (recovering(r.t)) lowReadsRecovering++;
    else staleReads++;
  }
}
const inRun = agentRequests.filter((e) => e.time <= end);
const perHour = inRun.length / HOURS;
const scenario: ModelScenario = {
  hours: HOURS,
  token: { ttlS: 3600, maxS: 86_400 },
  secrets: [
    { kind: "non-renewable", ttlS: 3600 },
    { kind: "renewable", ttlS: 3600, maxS: 12 * 3600 },
  ],
};
let modelTotal = 0;
for (let i = 0; i < 200; i++) modelTotal += totalRequests(lifetimeWatcherModel(scenario, random));
const modelPerHour = modelTotal / 200 / HOURS;
const faultRequests = inRun.filter((e) => e.fault !== undefined).length;
// Vault's load: requests the fault injector answered (503 bursts, dropped connections) never reached
// it; the ratio with them is reported too.
const reachedPerHour = (inRun.length - faultRequests) / HOURS;
const ratio = reachedPerHour / modelPerHour;
const ratioAll = perHour / modelPerHour;

// RSS trend after warm-up: least-squares slope over the run, as % of the fitted value at warm-up end.
const series = [...minutes.values()].sort((a, b) => a.minute - b.minute).filter((m) => m.minute < HOURS * 60);
const rssPoints = series.filter((m) => m.minute >= WARMUP_H * 60 && m.rss_kib !== null).map((m) => ({ x: m.minute / 60, y: m.rss_kib! / 1024 }));
const anonPoints = series.filter((m) => m.minute >= WARMUP_H * 60 && m.anon_kib !== null).map((m) => ({ x: m.minute / 60, y: m.anon_kib! / 1024 }));
const growthPct = (pts: { x: number; y: number }[]): number => {
  const fit = linearFit(pts);
  const y0 = fit.intercept + fit.slope * WARMUP_H;
  return ((fit.slope * (HOURS - WARMUP_H)) / y0) * 100;
};
const rssGrowth = growthPct(rssPoints);
const anonGrowth = growthPct(anonPoints);
const leasesLeft = stage.vault.controls.leases().filter((l) => l.kind === "secret").length;
const machine = machineInfo();
const summary = {
  date: new Date().toISOString(),
  command: "npm run bench:soak",
  machine,
  scale: SCALE,
  hours: HOURS,
  seed: SEED,
  reads: totalReads,
  stale_reads: staleReads,
  low_reads_while_vault_unreachable: lowReadsDuringFaults,
  low_reads_within_recovery: lowReadsRecovering,
  recovery_allowance_min: RECOVERY_MS / MIN,
  min_left_while_reachable_min: minLeftReachable / MIN,
  expired_reads: expiredReads,
  truncated_or_unparsable_file_reads: truncatedReads,
  endpoint_non_200: failedReads,
  revoked_key_reads: revokedKeyReads,
  revoke_detection_min: revokedAt === undefined || revokeDetectedAt === undefined ? null : (revokeDetectedAt - revokedAt) / MIN,
  vault_requests: inRun.length,
  vault_requests_faulted: faultRequests,
  vault_requests_per_hour: perHour,
  model_requests_per_hour: modelPerHour,
  vault_requests_reaching_vault_per_hour: reachedPerHour,
  vault_req_ratio: ratio,
  vault_req_ratio_incl_faulted: ratioAll,
  rss_growth_pct: rssGrowth,
  anon_growth_pct: anonGrowth,
  rss_mib_mean: rssPoints.reduce((s, p) => s + p.y, 0) / rssPoints.length,
  anon_mib_mean: anonPoints.reduce((s, p) => s + p.y, 0) / anonPoints.length,
  exit_code: exitCode,
  secret_leases_left_after_sigterm: leasesLeft,
  events,
};
writeResults(process.env["OUT"] ?? "soak", summary, series);
mkdirSync(join(RESULTS_DIR, "..", "out"), { recursive: true });
writeFileSync(join(RESULTS_DIR, "..", "out", "soak-agent.log"), `${agentLog.join("\n")}\n`);
await stage.stop();

console.log(`soak: ${HOURS} simulated hours at ${SCALE}× on ${machine.nproc} cores (load ${machine.loadavg}), ${totalReads} endpoint reads`);
console.log(`  served Expiration − now while Vault reachable: min ${(minLeftReachable / MIN).toFixed(1)} min; reads < 10 min left: ${staleReads} while reachable, ${lowReadsDuringFaults} while unreachable, ${lowReadsRecovering} within ${RECOVERY_MS / MIN} min after a fault; expired reads: ${expiredReads}; unparsable file reads: ${truncatedReads}; endpoint non-200: ${failedReads}`);
console.log(`  revoked iam_user key served for ${summary.revoke_detection_min?.toFixed(1) ?? "?"} simulated min after the revocation (${revokedKeyReads} reads)`);
console.log(`  Vault requests: ${inRun.length}, of which ${faultRequests} answered by an injected fault; reaching Vault ${reachedPerHour.toFixed(2)}/h vs LifetimeWatcher model ${modelPerHour.toFixed(2)}/h → ratio ${ratio.toFixed(3)} (${ratioAll.toFixed(3)} counting the faulted ones)`);
console.log(`  RSS mean ${summary.rss_mib_mean.toFixed(1)} MiB, trend after ${WARMUP_H} h ${rssGrowth.toFixed(2)} % over the run; RssAnon mean ${summary.anon_mib_mean.toFixed(1)} MiB, trend ${anonGrowth.toFixed(2)} %`);
console.log(`  SIGTERM at the end: exit ${exitCode}, secret leases left ${leasesLeft}; events: ${events.length}`);
console.log(`RESULT stale_reads=${staleReads} rss_growth_pct=${rssGrowth.toFixed(2)} vault_req_ratio=${ratio.toFixed(3)}`);
