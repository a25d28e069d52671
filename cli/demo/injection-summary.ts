/**
 * The readable part of `avi demo`: what the sample pod asks for, what the injector decided (the same pure
 * function the webhook runs), and the JSONPatch the webhook actually answered. Pure: text in, text out.
 */
import type { Settings } from "../../injector/settings.js";
import { injectDocument } from "../inject-documents.js";

const indent = (text: string): string =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** The annotations of the sample pod under the product's prefix, one per line. */
export function describeRequest(pod: unknown): string {
  const annotations = (pod as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
  const meaning: Record<string, string> = {
    "airflow-vault.io/inject": "inject the agent",
    "airflow-vault.io/credentials": "the profile(s) the platform team defined in the webhook settings",
    "airflow-vault.io/airflow-connections": "also point Airflow at a connections file",
  };
  const lines = Object.entries(annotations)
    .filter(([k]) => k.startsWith("airflow-vault.io/"))
    .map(([k, v]) => `${`${k}: ${JSON.stringify(v)}`.padEnd(48)} ${meaning[k] ?? ""}`.trimEnd());
  return indent(`examples/ke-worker-pod.yaml (an Airflow 3 KubernetesExecutor worker) carries:\n${lines.join("\n")}`);
}

/** The injector's decision for `pod` under `settings`, in words. */
export function describeDecision(pod: unknown, settings: Settings, namespace: string): string {
  const decision = injectDocument(pod, settings, namespace).decision;
  if (decision?.kind !== "inject") return indent(`not injected: ${decision?.kind === "deny" ? decision.message : "the pod does not ask for injection"}`);
  const { plan } = decision;
  return indent(
    `mode ${plan.mode}: avi-agent runs as a native sidecar (initContainers, restartPolicy: Always);\n` +
      "the app containers start only after its startupProbe (/ready) passes, i.e. once credentials are written.\n" +
      `credentials: ${plan.credentials.map((c) => `${c.name} ← Vault ${c.path} (${c.format})`).join(", ")}\n` +
      `files in ${settings.agent.mountPath} (tmpfs), mode ${plan.fileMode.toString(8).padStart(4, "0")} (the pod sets fsGroup)\n` +
      `app containers: ${plan.targets.map((t) => `${t.name} (+${t.env.map((e) => e.name).join(", ")})`).join("; ")}` +
      (decision.warnings.length > 0 ? `\nwarnings: ${decision.warnings.join("; ")}` : ""),
  );
}

/** The JSONPatch operations the webhook returned, one line each (values elided: the full pod is in `avi inject`). */
export function describePatch(patch: readonly unknown[]): string {
  const ops = patch.map((op) => {
    const { op: kind, path } = op as { op?: string; path?: string };
    return `${kind ?? "?"} ${path ?? "?"}`;
  });
  return indent(`the webhook answered a JSONPatch of ${ops.length} operations:\n${ops.map((o) => `  ${o}`).join("\n")}`);
}
