/**
 * Small pieces the soak, burst and fault benchmarks share: the machine they ran on, a seeded random
 * source (the harness's, so a run is reproducible from its SEED), a least-squares line, /proc memory, and the result
 * files under bench/results/ that `npm run bench:plots` reads.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export { seededRandom } from "../test/support/agent-harness.js";

export const RESULTS_DIR = new URL("./results/", import.meta.url).pathname;

/** One simulated minute of the soak (bench/results/soak.json `series`). */
export interface SoakMinute {
  minute: number;
  /** Least served `Expiration − now` seen in the minute, per credential (minutes). */
  etl_left_min: number | null;
  app_left_min: number | null;
  vault_requests: number;
  rss_kib: number | null;
  anon_kib: number | null;
  reads: number;
  fault: string | null;
}

export interface MachineInfo {
  readonly nproc: number;
  readonly cpu: string;
  readonly memory_gib: number;
  readonly node: string;
  /** `uptime` load averages (1, 5, 15 min) when the figure was taken: other suites share this machine. */
  readonly loadavg: string;
}

export function machineInfo(): MachineInfo {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {
    // nproc missing: os.cpus() is close enough.
  }
  return {
    nproc,
    cpu: cpus()[0]?.model ?? "unknown",
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadavg: loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
  };
}

/** Ordinary least squares y = intercept + slope·x. */
export function linearFit(points: readonly { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.y ?? 0 };
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** VmRSS and RssAnon (private memory) of a process, KiB; null once it is gone. */
export function readProcMemory(pid: number): { rssKiB: number | null; anonKiB: number | null } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key: string): number | null => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
      return m === null ? null : Number(m[1]);
    };
    return { rssKiB: kib("VmRSS"), anonKiB: kib("RssAnon") };
  } catch {
    return { rssKiB: null, anonKiB: null };
  }
}

/** bench/results/<name>.json (summary + series) and <name>.csv (the series), for plots. */
export function writeResults(name: string, summary: Record<string, unknown>, series: readonly object[]): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify({ summary, series }, null, 1)}\n`);
  const rows = series as readonly Record<string, unknown>[];
  const columns = Object.keys(rows[0] ?? {});
  const cell = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "number" ? String(Math.round(v * 1000) / 1000) : JSON.stringify(v));
  const csv = [columns.join(","), ...rows.map((row) => columns.map((c) => cell(row[c])).join(","))].join("\n");
  writeFileSync(join(RESULTS_DIR, `${name}.csv`), `${csv}\n`);
}

/** Wall time of `node -e 0`: the floor every start-time figure is compared with. */
export function bareNodeStartMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.on("exit", () => resolve(performance.now() - t0));
    child.on("error", reject);
  });
}
