/**
 * The Airflow task and pod a request is made for. Every Vault request carries it as headers, so
 * Vault's audit log can record them once an operator allows the headers
 * (`vault write sys/config/auditing/request-headers/X-Airflow-Dag-Id hmac=false`, … see
 * docs/agent.md), and every log line carries it as fields.
 */
import type { AuditContext } from "./config.js";

export interface PodIdentity {
  readonly name?: string | undefined;
  readonly namespace?: string | undefined;
  readonly uid?: string | undefined;
}

/** Header name → context field; absent fields send no header. */
export const AUDIT_HEADER_NAMES = {
  dagId: "X-Airflow-Dag-Id",
  taskId: "X-Airflow-Task-Id",
  runId: "X-Airflow-Run-Id",
  tryNumber: "X-Airflow-Try-Number",
  mapIndex: "X-Airflow-Map-Index",
  podName: "X-Kubernetes-Pod-Name",
  podNamespace: "X-Kubernetes-Pod-Namespace",
  serviceAccount: "X-Kubernetes-Service-Account",
} as const;

type AuditField = keyof typeof AUDIT_HEADER_NAMES;

function fields(context: AuditContext, pod: PodIdentity): Partial<Record<AuditField, string>> {
  return {
    dagId: context.dagId,
    taskId: context.taskId,
    runId: context.runId,
    tryNumber: context.tryNumber,
    mapIndex: context.mapIndex,
    podName: pod.name,
    podNamespace: pod.namespace ?? context.namespace,
    serviceAccount: context.serviceAccount,
  };
}

/**
 * HTTP header values must be visible ASCII; Airflow ids may hold anything else (run ids carry `+`
 * and `:`, which are fine). Other bytes — and `%` itself, so the encoding is reversible — become
 * `%XX` of their UTF-8 encoding. Capped at 512 characters.
 */
export function headerSafe(value: string): string {
  let out = "";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code <= 0x7e && ch !== "%") out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (out.length >= 512) return out.slice(0, 512);
  }
  return out;
}

export function auditHeaders(context: AuditContext, pod: PodIdentity): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields(context, pod)) as [AuditField, string | undefined][]) {
    if (value !== undefined && value !== "") headers[AUDIT_HEADER_NAMES[field]] = headerSafe(value);
  }
  return headers;
}

/** The same context as snake_case log fields (pino's `base`). */
export function auditLogFields(context: AuditContext, pod: PodIdentity): Record<string, string> {
  const f = fields(context, pod);
  const out: Record<string, string> = {};
  const names: Record<AuditField, string> = {
    dagId: "dag_id",
    taskId: "task_id",
    runId: "run_id",
    tryNumber: "try_number",
    mapIndex: "map_index",
    podName: "pod",
    podNamespace: "namespace",
    serviceAccount: "service_account",
  };
  for (const [field, value] of Object.entries(f) as [AuditField, string | undefined][]) {
    if (value !== undefined && value !== "") out[names[field]] = value;
  }
  return out;
}
