/**
 * Drift report against the kube-apiserver simulator: pods asking for injection without having been
 * injected are counted per namespace, logged once and recorded as one Event even with two replicas;
 * the watch survives a dropped stream and a compaction (410 → re-list).
 */
import { pino } from "pino";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { DRIFT_REASON, DriftReport, isDrifted } from "../../webhook/drift-report.js";
import { createMetrics, type WebhookMetrics } from "../../webhook/metrics.js";
import { EVENTS, NAMESPACES, PODS, startClusterEnv, type ClusterEnv } from "../support/cluster-env.js";

let env: ClusterEnv;
const reports: DriftReport[] = [];
beforeEach(async () => {
  env = await startClusterEnv();
  for (const ns of ["airflow", "etl"]) env.sim.rest.store.create(NAMESPACES, undefined, { metadata: { name: ns } });
});
afterEach(async () => {
  for (const r of reports.splice(0)) r.stop();
  await env.close();
});

const pod = (name: string, annotations: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { name, annotations },
  spec: { containers: [{ name: "base", image: "apache/airflow:3.1.0" }] },
  ...extra,
});
const ASKS = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" };

function start(instance: string): { report: DriftReport; metrics: WebhookMetrics; lines: Record<string, unknown>[] } {
  const kube = env.clients();
  const metrics = createMetrics({ processMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const report = new DriftReport({ pods: kube.pods(), events: kube.events(), logger, metrics, instance, clock: () => env.now });
  reports.push(report);
  return { report, metrics, lines };
}

const gauge = async (metrics: WebhookMetrics): Promise<Record<string, number>> =>
  Object.fromEntries((await metrics.driftPods.get()).values.map((v) => [String(v.labels["namespace"]), v.value]));

it("classifies pods (pure)", () => {
  const p = (annotations: Record<string, string>, extra: Record<string, unknown> = {}): boolean => isDrifted({ metadata: { name: "p", annotations }, ...extra });
  expect(p(ASKS)).toBe(true);
  expect(p({ ...ASKS, "airflow-vault.io/status": "injected" })).toBe(false);
  expect(p({ "airflow-vault.io/inject": "false" })).toBe(false);
  expect(p({ "airflow-vault.io/inject": "yes" })).toBe(true); // the webhook would have denied it
  expect(p({})).toBe(false);
  expect(p({ ...ASKS, "kubernetes.io/config.mirror": "x" })).toBe(false);
  expect(p(ASKS, { status: { phase: "Succeeded" } })).toBe(false);
});

it("reports a drifted pod as metric, one log line and one Event across two replicas; clears it when the pod goes", async () => {
  env.sim.rest.store.create(PODS, "airflow", pod("injected", { ...ASKS, "airflow-vault.io/status": "injected" }));
  env.sim.rest.store.create(PODS, "airflow", pod("plain", {}));
  env.sim.rest.store.create(PODS, "airflow", pod("bypassed-1", ASKS));
  const a = start("avi-webhook-a");
  const b = start("avi-webhook-b");
  await Promise.all([a.report.start(), b.report.start()]);
  env.sim.rest.store.create(PODS, "etl", pod("bypassed-2", ASKS)); // arrives through the watch

  await vi.waitFor(async () => expect(await gauge(a.metrics)).toEqual({ airflow: 1, etl: 1 }), { timeout: 5000, interval: 20 });
  await vi.waitFor(async () => expect(await gauge(b.metrics)).toEqual({ airflow: 1, etl: 1 }), { timeout: 5000, interval: 20 });
  await Promise.all([a.report.settled(), b.report.settled()]);
  expect(a.report.pods()).toEqual(["airflow/bypassed-1", "etl/bypassed-2"]);

  const events = [...env.sim.rest.store.list(EVENTS, "airflow"), ...env.sim.rest.store.list(EVENTS, "etl")];
  expect(events).toHaveLength(2);
  for (const e of events) {
    expect(e).toMatchObject({ reason: DRIFT_REASON, type: "Warning", involvedObject: { kind: "Pod" } });
    expect(["bypassed-1", "bypassed-2"]).toContain((e["involvedObject"] as { name: string }).name);
  }
  const warned = [...a.lines, ...b.lines].filter((l) => l["msg"] === "pod asks for injection but was not injected (webhook bypassed)");
  expect(warned.map((l) => l["pod"]).sort()).toEqual(["bypassed-1", "bypassed-2"]);

  env.sim.rest.store.delete(PODS, "airflow", "bypassed-1");
  await vi.waitFor(async () => expect(await gauge(a.metrics)).toEqual({ etl: 1 }), { timeout: 5000, interval: 20 });
});

it("keeps an accurate view across a dropped watch and a compaction (re-list)", async () => {
  const a = start("avi-webhook-a");
  await a.report.start();
  env.sim.rest.store.create(PODS, "airflow", pod("one", ASKS));
  await vi.waitFor(async () => expect(await gauge(a.metrics)).toEqual({ airflow: 1 }), { timeout: 5000, interval: 20 });

  env.sim.rest.closeWatches();
  env.sim.rest.store.create(PODS, "airflow", pod("two", ASKS));
  env.sim.rest.store.compact(); // the version the watch resumes from is gone: 410, then a re-list
  env.sim.rest.store.delete(PODS, "airflow", "one");
  await vi.waitFor(() => expect(a.report.pods()).toEqual(["airflow/two"]), { timeout: 10_000, interval: 20 });
  expect(await gauge(a.metrics)).toEqual({ airflow: 1 });
});
