/**
 * `avi webhook` configuration from flags, environment and an optional config file (in that order of
 * precedence). Pure: the command gathers the inputs, this resolves and validates them.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { parseDurationSeconds } from "../agent/duration.js";

export interface WebhookOptions {
  host: string;
  port: number;
  /** Either files (tlsCert + tlsKey) or the self-issued mode (selfIssued). */
  tlsCert?: string;
  tlsKey?: string;
  selfIssued?: SelfIssuedOptions;
  settings: string;
  /** Report pods that ask for injection but were not injected (needs pod list/watch, event create). */
  driftReport: boolean;
  /** Look namespace labels up for Istio namespace injection (needs namespace get). */
  namespaceLabels: boolean;
  /** kubeconfig file for the cluster features; absent: in-cluster service account. */
  kubeconfig?: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Seconds between SIGTERM (readiness turns 503) and closing the listener. */
  drainDelay: number;
}

export interface SelfIssuedOptions {
  /** Secret (in the webhook's namespace) holding CA + serving certificate for every replica. */
  secret: string;
  /** MutatingWebhookConfiguration whose caBundle is kept in sync. */
  webhookConfiguration: string;
  /** Service name: the certificate is for <service>.<namespace>.svc (and shorter forms). */
  service: string;
  namespace: string;
  /** Lifetime of each CA + certificate generation, seconds. */
  validity: number;
}

export const WEBHOOK_ENV = {
  config: "AVI_WEBHOOK_CONFIG",
  listen: "AVI_WEBHOOK_LISTEN",
  tlsCert: "AVI_WEBHOOK_TLS_CERT",
  tlsKey: "AVI_WEBHOOK_TLS_KEY",
  settings: "AVI_WEBHOOK_SETTINGS",
  logLevel: "AVI_LOG_LEVEL",
  drainDelay: "AVI_WEBHOOK_DRAIN_DELAY",
  tlsSecret: "AVI_WEBHOOK_TLS_SECRET",
  webhookConfiguration: "AVI_WEBHOOK_CONFIGURATION",
  service: "AVI_WEBHOOK_SERVICE",
  namespace: "AVI_WEBHOOK_NAMESPACE",
  tlsValidity: "AVI_WEBHOOK_TLS_VALIDITY",
  driftReport: "AVI_WEBHOOK_DRIFT_REPORT",
  namespaceLabels: "AVI_WEBHOOK_NAMESPACE_LABELS",
  kubeconfig: "KUBECONFIG",
} as const;

const bool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

const sources = z.strictObject({
  listen: z.string().optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  settings: z.string().min(1).optional(),
  logLevel: z.enum(["debug", "info", "warn", "error"]).optional(),
  drainDelay: z.union([z.string(), z.number()]).optional(),
  tlsSecret: z.string().min(1).optional(),
  webhookConfiguration: z.string().min(1).optional(),
  service: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  tlsValidity: z.union([z.string(), z.number()]).optional(),
  driftReport: bool.optional(),
  namespaceLabels: bool.optional(),
  kubeconfig: z.string().min(1).optional(),
});
export type WebhookOptionSources = z.infer<typeof sources>;

export const DEFAULT_LISTEN = "0.0.0.0:8443";

export function parseConfigFile(text: string, file: string): WebhookOptionSources {
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (err) {
    throw new Error(`${file}: not valid YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = sources.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.code === "unrecognized_keys" ? `unknown key ${i.keys.join(", ")}` : i.message}`);
    throw new Error(`${file}: ${issues.join("; ")} (keys: ${Object.keys(sources.shape).join(", ")})`);
  }
  return result.data;
}

export function fromEnv(env: NodeJS.ProcessEnv): WebhookOptionSources {
  const picked: Record<string, string> = {};
  for (const [key, name] of Object.entries(WEBHOOK_ENV)) {
    const value = env[name];
    if (key !== "config" && value !== undefined && value !== "") picked[key] = value;
  }
  const result = sources.safeParse(picked);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `${WEBHOOK_ENV[i.path[0] as keyof typeof WEBHOOK_ENV] ?? i.path.join(".")}: ${i.message}`).join("; "));
  }
  return result.data;
}

/** The self-issued mode's lifetime of one CA + certificate generation. */
export const DEFAULT_TLS_VALIDITY = "2160h";

/** Merges flags over env over the config file; throws with what is missing and how to set it. */
export function resolveWebhookOptions(flags: WebhookOptionSources, env: WebhookOptionSources, file: WebhookOptionSources, defaultNamespace?: string): WebhookOptions {
  const merged = { ...file, ...env, ...flags };
  const how = {
    tlsCert: `--tls-cert or ${WEBHOOK_ENV.tlsCert}`,
    tlsKey: `--tls-key or ${WEBHOOK_ENV.tlsKey}`,
    settings: `--settings or ${WEBHOOK_ENV.settings}`,
    webhookConfiguration: `--webhook-configuration or ${WEBHOOK_ENV.webhookConfiguration}`,
    service: `--service or ${WEBHOOK_ENV.service}`,
    namespace: `--namespace or ${WEBHOOK_ENV.namespace}`,
  };
  const selfIssued = merged.tlsSecret !== undefined;
  if (selfIssued && (merged.tlsCert !== undefined || merged.tlsKey !== undefined)) {
    throw new Error("--tls-secret (self-issued certificates) and --tls-cert/--tls-key (certificate files) exclude each other; choose one");
  }
  const namespace = merged.namespace ?? defaultNamespace;
  const required: (keyof typeof how)[] = selfIssued ? ["settings", "webhookConfiguration", "service", "namespace"] : ["tlsCert", "tlsKey", "settings"];
  const missing = required.filter((k) => (k === "namespace" ? namespace : merged[k]) === undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.map((k) => how[k]).join(", ")}${selfIssued ? " (needed by --tls-secret)" : ""}`);
  const { host, port } = parseListen(merged.listen ?? DEFAULT_LISTEN);
  return {
    host,
    port,
    ...(selfIssued
      ? {
          selfIssued: {
            secret: merged.tlsSecret as string,
            webhookConfiguration: merged.webhookConfiguration as string,
            service: merged.service as string,
            namespace: namespace as string,
            validity: parseDurationSeconds(merged.tlsValidity ?? DEFAULT_TLS_VALIDITY),
          },
        }
      : { tlsCert: merged.tlsCert, tlsKey: merged.tlsKey }),
    settings: merged.settings as string,
    logLevel: merged.logLevel ?? "info",
    drainDelay: parseDurationSeconds(merged.drainDelay ?? 5),
    driftReport: merged.driftReport ?? false,
    namespaceLabels: merged.namespaceLabels ?? false,
    ...(merged.kubeconfig !== undefined && { kubeconfig: merged.kubeconfig }),
  };
}

/** `host:port`, `:port` (all interfaces) or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listen address "${listen}" must be host:port, :port or [v6]:port, e.g. ${DEFAULT_LISTEN}`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port };
}
