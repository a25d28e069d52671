/** The webhook's Prometheus metrics, on a registry per server (tests run several in one process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { NAMESPACE_NAME } from "./admission-review.js";

export type Outcome = "injected" | "skipped" | "denied" | "error" | "malformed";

export interface WebhookMetrics {
  registry: Registry;
  /** The namespace label value for a request: bounded (see boundedLabel). */
  namespaceLabel: (namespace: string) => string;
  requestDuration: Histogram<"outcome">;
  injections: Counter<"namespace" | "mode">;
  denials: Counter<"namespace" | "code">;
  errors: Counter<"kind">;
  reloads: Counter<"source" | "result">;
  certificateExpiry: Gauge;
  selfTlsSteps: Counter<"step" | "result">;
  caBundleUpdates: Counter<"result">;
  namespaceLookups: Counter<"result">;
  driftPods: Gauge<"namespace">;
  driftDetected: Counter<"namespace">;
}

/** Distinct namespaces labelled before the rest share OTHER_LABEL. */
export const MAX_NAMESPACE_LABELS = 200;
export const OTHER_LABEL = "other";

/**
 * Label values from requests are attacker-chosen (anyone who reaches the Service can POST a review
 * with any namespace): each distinct value is a series held forever. Values that are not Kubernetes
 * names, and every value after the first `max` distinct ones, become OTHER_LABEL.
 */
export function boundedLabel(max: number, valid: RegExp = NAMESPACE_NAME): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max || !valid.test(value)) return OTHER_LABEL;
    seen.add(value);
    return value;
  };
}

export function createMetrics(options: { processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    namespaceLabel: boundedLabel(MAX_NAMESPACE_LABELS),
    requestDuration: new Histogram({
      name: "avi_webhook_request_duration_seconds",
      help: "Time to decide on an AdmissionReview and encode the reply (after body parsing), by outcome.",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    injections: new Counter({ name: "avi_webhook_injections_total", help: "Pods injected, by namespace and mode.", labelNames: ["namespace", "mode"], registers }),
    denials: new Counter({ name: "avi_webhook_denials_total", help: "Pods denied, by namespace and status code.", labelNames: ["namespace", "code"], registers }),
    errors: new Counter({ name: "avi_webhook_errors_total", help: "Malformed requests and internal errors.", labelNames: ["kind"], registers }),
    reloads: new Counter({
      name: "avi_webhook_config_reloads_total",
      help: "Reloads of the settings file and the TLS files, by result.",
      labelNames: ["source", "result"],
      registers,
    }),
    certificateExpiry: new Gauge({
      name: "avi_webhook_tls_certificate_expiry_timestamp_seconds",
      help: "notAfter of the serving certificate in use (Unix seconds).",
      registers,
    }),
    selfTlsSteps: new Counter({
      name: "avi_webhook_self_tls_steps_total",
      help: "Writes of the self-issued TLS Secret by this replica (issue, stage, promote, retire), by result (ok, conflict: another replica won).",
      labelNames: ["step", "result"],
      registers,
    }),
    caBundleUpdates: new Counter({
      name: "avi_webhook_ca_bundle_updates_total",
      help: "caBundle updates of the MutatingWebhookConfiguration by this replica, by result (ok, conflict).",
      labelNames: ["result"],
      registers,
    }),
    namespaceLookups: new Counter({
      name: "avi_webhook_namespace_lookups_total",
      help: "Namespace label look-ups, by result (hit, miss, stale: API error served from cache, error).",
      labelNames: ["result"],
      registers,
    }),
    driftPods: new Gauge({
      name: "avi_webhook_drift_pods",
      help: "Pods that ask for injection (airflow-vault.io/inject: true) but were not injected, by namespace.",
      labelNames: ["namespace"],
      registers,
    }),
    driftDetected: new Counter({
      name: "avi_webhook_drift_detected_total",
      help: "Pods found asking for injection without having been injected, by namespace.",
      labelNames: ["namespace"],
      registers,
    }),
  };
}
