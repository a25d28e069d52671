/**
 * Offline injection over a YAML/JSON stream (like `istioctl kube-inject`): every Pod, and the pod
 * template of every Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob, goes through
 * the same injector the webhook runs; other documents pass through unchanged.
 */
import jsonpatch from "fast-json-patch";
import { parseAllDocuments } from "yaml";
import { newEndpointToken } from "../agent/endpoint-token.js";
import { inputsNeeded } from "../injector/admission-inputs.js";
import { admit, type Decision } from "../injector/admit.js";
import { PREFIX } from "../injector/annotations.js";
import type { Settings } from "../injector/settings.js";

type Obj = Record<string, unknown>;

/** Where the pod spec lives in each supported kind. */
const TEMPLATE_PATH: Record<string, readonly string[]> = {
  Pod: [],
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

export interface DocumentResult {
  /** `Kind/name` for messages. */
  ref: string;
  /** The output document (mutated, or unchanged). */
  document: unknown;
  decision?: Decision;
  /** Why the document was passed through without a decision (unsupported kind). */
  note?: string;
}

export class InputError extends Error {
  override readonly name = "InputError";
}

export function parseDocuments(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new InputError(`${source}: not YAML/JSON`);
  const values: unknown[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) throw new InputError(`${source}: ${error.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (isObject(value) && value["kind"] === "List" && Array.isArray(value["items"])) values.push(...(value["items"] as unknown[]));
    else values.push(value);
  }
  if (values.length === 0) throw new InputError(`${source}: no documents`);
  return values;
}

/**
 * kubectl's rule: `-n` may fill in a missing namespace but never override one the object sets (the
 * object would be admitted, and later applied, somewhere else than it says).
 */
export function namespaceConflict(document: unknown, namespaceOverride: string | undefined): string | undefined {
  if (namespaceOverride === undefined || !isObject(document) || !isObject(document["metadata"])) return undefined;
  const own = document["metadata"]["namespace"];
  if (typeof own !== "string" || own === "" || own === namespaceOverride) return undefined;
  const kind = typeof document["kind"] === "string" ? document["kind"] : "object";
  const name = typeof document["metadata"]["name"] === "string" ? document["metadata"]["name"] : "<unnamed>";
  return `${kind}/${name} sets namespace "${own}", which does not match --namespace "${namespaceOverride}": drop -n, or pass -n ${own}`;
}

export function injectDocument(document: unknown, settings: Settings, namespaceOverride?: string): DocumentResult {
  if (!isObject(document)) return { ref: "<non-object>", document, note: "not a Kubernetes object" };
  const kind = typeof document["kind"] === "string" ? document["kind"] : "<no kind>";
  const metadata = isObject(document["metadata"]) ? document["metadata"] : {};
  const name = typeof metadata["name"] === "string" ? metadata["name"] : typeof metadata["generateName"] === "string" ? `${metadata["generateName"]}*` : "<unnamed>";
  const ref = `${kind}/${name}`;
  const path = TEMPLATE_PATH[kind];
  if (path === undefined) return { ref, document, note: `${kind} has no pod template; passed through` };
  const template = path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), document);
  if (!isObject(template)) return { ref, document, note: `${kind} has no ${path.join(".")}; passed through` };

  const namespace = namespaceOverride ?? (typeof metadata["namespace"] === "string" && metadata["namespace"] !== "" ? metadata["namespace"] : "default");
  // A workload's template is injected once here, so all its pods share the token (docs/settings.md).
  // No cluster to ask here: namespace labels are not looked up (Istio is judged from the pod alone).
  const decision = admit({ object: template, namespace, settings, ...(inputsNeeded(template, settings).endpointToken && { endpointToken: newEndpointToken() }) });
  if (decision.kind === "skip" && path.length > 0 && misplacedAnnotations(metadata, template)) {
    const where = [...path, "metadata", "annotations"].join(".");
    return { ref, document, decision, note: `its ${PREFIX} annotations are on the ${kind}'s own metadata, which the webhook never sees: move them to ${where} (the pod template)` };
  }
  if (decision.kind !== "inject") return { ref, document, decision };
  const patched = jsonpatch.applyPatch(structuredClone(template), decision.patch, true, false).newDocument;
  return { ref, document: replaceAt(document, path, patched), decision };
}

/** Our annotations on a workload's own metadata while its pod template has none of them. */
function misplacedAnnotations(metadata: Obj, template: Obj): boolean {
  const ours = (m: unknown): boolean => isObject(m) && isObject(m["annotations"]) && Object.keys(m["annotations"]).some((k) => k.startsWith(PREFIX));
  return ours(metadata) && !ours(template["metadata"]);
}

function replaceAt(root: Obj, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root);
  let node: Obj = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Obj;
  node[path[path.length - 1] as string] = value;
  return copy;
}

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
