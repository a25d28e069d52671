/**
 * `npm run bench:plots`: the PNGs of docs/performance.md from the bench results (bench/results/*.json),
 * headless: Vega-Lite → Vega (SVG renderer, no browser, no canvas) → resvg (PNG). Text is drawn with
 * DejaVu Sans (Debian's fonts-dejavu-core) when the machine has it; any system font otherwise.
 * Writes docs/performance/*.png. Missing results are skipped with a note.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { RESULTS_DIR, type SoakMinute } from "./bench-support.js";

const OUT = new URL("../docs/performance/", import.meta.url).pathname;
const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
mkdirSync(OUT, { recursive: true });

async function render(name: string, spec: TopLevelSpec): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const fontFiles = [FONT, FONT_BOLD].filter((f) => existsSync(f));
  const png = new Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { fontFiles, loadSystemFonts: fontFiles.length === 0, defaultFontFamily: "DejaVu Sans" } }).render().asPng();
  writeFileSync(join(OUT, `${name}.png`), png);
  console.log(`docs/performance/${name}.png`);
}

function load<T>(name: string): T | undefined {
  const file = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file)) {
    console.log(`(no bench/results/${name}.json: run the benchmark first; its plots are skipped)`);
    return undefined;
  }
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

const BASE = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: 760, config: { font: "DejaVu Sans" } } as const;

interface SoakSummary {
  hours: number;
  scale: number;
  date: string;
  machine: { loadavg: string };
  rss_growth_pct: number;
  events: { minute: number; kind: string; detail: string }[];
}

const soak = load<{ summary: SoakSummary; series: SoakMinute[] }>(process.env["SOAK"] ?? "soak");
if (soak !== undefined) {
  const { summary, series } = soak;
  const subtitle = `${summary.hours} simulated hours at ${summary.scale}×, ${summary.date.slice(0, 10)}, load ${summary.machine.loadavg}`;
  const expiry = series.flatMap((m) => [
    ...(m.etl_left_min === null ? [] : [{ hour: m.minute / 60, left: m.etl_left_min, credential: "etl (STS 1 h)" }]),
    ...(m.app_left_min === null ? [] : [{ hour: m.minute / 60, left: m.app_left_min, credential: "app (iam_user 1 h / 12 h)" }]),
  ]);
  const events = summary.events.map((e) => ({ hour: e.minute / 60, event: e.kind }));
  await render("soak-expiry", {
    ...BASE,
    height: 300,
    title: { text: "Served Expiration − now (minimum per simulated minute)", subtitle },
    layer: [
      { data: { values: events }, mark: { type: "rule", opacity: 0.55 }, encoding: { x: { field: "hour", type: "quantitative" }, color: { field: "event", type: "nominal", title: "event", scale: { range: ["#bbbbbb", "#e45756", "#f58518", "#b279a2"] } } } },
      { data: { values: [{ y: 15, label: "botocore refresh (15 min)" }, { y: 10, label: "botocore blocks (10 min)" }] }, mark: { type: "rule", strokeDash: [4, 4], color: "black" }, encoding: { y: { field: "y", type: "quantitative" } } },
      { data: { values: expiry }, mark: { type: "line", strokeWidth: 1.2 }, encoding: { x: { field: "hour", type: "quantitative", title: "simulated hours" }, y: { field: "left", type: "quantitative", title: "minutes left" }, strokeDash: { field: "credential", type: "nominal", title: "credential", legend: { labelLimit: 320 } } } },
    ],
    resolve: { scale: { color: "independent" } },
  });
  await render("soak-vault-requests", {
    ...BASE,
    height: 200,
    title: { text: "Vault requests per simulated minute (one agent)", subtitle },
    data: { values: series.map((m) => ({ hour: m.minute / 60, requests: m.vault_requests })) },
    mark: { type: "bar", width: 1.5 },
    encoding: { x: { field: "hour", type: "quantitative", title: "simulated hours" }, y: { field: "requests", type: "quantitative", title: "requests" } },
  });
  const mem = series.flatMap((m) => [
    ...(m.rss_kib === null ? [] : [{ hour: m.minute / 60, mib: m.rss_kib / 1024, series: "VmRSS" }]),
    ...(m.anon_kib === null ? [] : [{ hour: m.minute / 60, mib: m.anon_kib / 1024, series: "RssAnon (private)" }]),
  ]);
  await render("soak-rss", {
    ...BASE,
    height: 260,
    title: { text: `Agent memory over the run (fitted RSS trend after warm-up: ${summary.rss_growth_pct.toFixed(1)} %)`, subtitle },
    data: { values: mem },
    layer: [
      { mark: { type: "line", strokeWidth: 1.2 }, encoding: { x: { field: "hour", type: "quantitative", title: "simulated hours" }, y: { field: "mib", type: "quantitative", title: "MiB" }, color: { field: "series", type: "nominal", title: null } } },
      { transform: [{ filter: "datum.hour >= 2" }, { regression: "mib", on: "hour", groupby: ["series"] }], mark: { type: "line", strokeDash: [6, 3], color: "black" }, encoding: { x: { field: "hour", type: "quantitative" }, y: { field: "mib", type: "quantitative" }, detail: { field: "series" } } },
    ],
  });
}

interface BurstSummary {
  n: number;
  scale: number;
  date: string;
  machine: { loadavg: string };
  ready_p50_ms: number;
  ready_p99_ms: number;
}
const burst = load<{ summary: BurstSummary; series: { minute: number; logins: number; renewals: number; reads: number; other: number }[] }>("burst");
if (burst !== undefined) {
  const { summary, series } = burst;
  const subtitle = `${summary.n} agents at once, ${summary.date.slice(0, 10)}, load ${summary.machine.loadavg}`;
  const ready = readFileSync(join(RESULTS_DIR, "burst-ready.csv"), "utf8").trim().split("\n").slice(1).map((l) => {
    const [agent, readyMs, loginMs] = l.split(",");
    return { agent: Number(agent), ready_s: Number(readyMs) / 1000, login_s: loginMs === "" ? null : Number(loginMs) / 1000 };
  });
  await render("burst-time-to-ready", {
    ...BASE,
    height: 240,
    title: { text: `Time from spawn to ready per agent (p50 ${(summary.ready_p50_ms / 1000).toFixed(1)} s, p99 ${(summary.ready_p99_ms / 1000).toFixed(1)} s)`, subtitle },
    data: { values: ready },
    mark: "bar",
    encoding: { x: { field: "ready_s", type: "quantitative", bin: { maxbins: 40 }, title: "seconds (real time)" }, y: { aggregate: "count", type: "quantitative", title: "agents" } },
  });
  await render("burst-vault-requests", {
    ...BASE,
    height: 240,
    title: { text: "Vault requests per simulated minute, whole fleet", subtitle },
    data: { values: series.flatMap((m) => (["logins", "renewals", "reads", "other"] as const).map((k) => ({ minute: m.minute, kind: k, n: m[k] }))) },
    mark: { type: "bar", width: 2 },
    encoding: { x: { field: "minute", type: "quantitative", title: "simulated minutes since the fan-out" }, y: { field: "n", type: "quantitative", aggregate: "sum", title: "requests" }, color: { field: "kind", type: "nominal", title: null } },
  });
}
