/**
 * The injector's entry point: an object under admission → skip, deny or inject (with the patch).
 * Pure: the same input always gives the same decision, and no I/O happens here.
 */
import { AGENT_CONTAINER, INJECTED_VOLUMES } from "./agent-container.js";
import { ANNOTATION, STATUS_INJECTED, hasOurAnnotations, injectSwitch, parseAnnotations } from "./annotations.js";
import { Denial } from "./denial.js";
import type { PatchOperation } from "./json-patch.js";
import { buildPatch } from "./patch.js";
import { planInjection, type InjectionPlan } from "./plan.js";
import { annotationsOf, containersOf, initContainersOf, readPod } from "./pod.js";
import type { Settings } from "./settings.js";
import { warning } from "./warnings.js";

export interface AdmissionInput {
  /** The Pod (or a workload's pod template) as received. */
  object: unknown;
  /** The request's namespace: always this, never `metadata.namespace` (kubernetes/api
   * `admission/v1/types.go` AdmissionRequest.Namespace; the object's may be empty on CREATE). */
  namespace: string;
  settings: Settings;
  /**
   * Labels of the request's namespace, when the webhook looked them up (cached; see
   * webhook/namespace-labels.ts). Only Istio's namespace-level injection depends on them.
   */
  namespaceLabels?: Readonly<Record<string, string>>;
  /**
   * A fresh random endpoint token for this pod (agent/endpoint-token.ts newEndpointToken), required
   * when settings.injection.endpointTokenEnv is on and ignored otherwise: the injector makes no
   * randomness of its own.
   */
  endpointToken?: string;
}

export type Decision =
  | { kind: "skip"; reason: string; warnings: string[] }
  | { kind: "deny"; code: 400 | 403; message: string; warnings: string[] }
  | {
      kind: "inject";
      plan: InjectionPlan;
      patch: PatchOperation[];
      /** The patch as JSON text, the bytes of JSON.stringify(patch): what the webhook encodes. */
      patchJson: string;
      warnings: string[];
    };

const MIRROR_POD = "kubernetes.io/config.mirror";

export function admit({ object, namespace, settings, namespaceLabels, endpointToken }: AdmissionInput): Decision {
  const read = readPod(object);
  if ("error" in read) return { kind: "deny", code: 400, message: read.error, warnings: [] };
  const { pod } = read;
  const annotations = annotationsOf(pod);

  const state = injectSwitch(annotations);
  if ("error" in state) return { kind: "deny", code: 400, message: state.error, warnings: [] };
  if (!state.on) {
    const warnings =
      annotations[ANNOTATION.inject] === undefined && annotations[ANNOTATION.status] === undefined && hasOurAnnotations(annotations)
        ? [warning(`airflow-vault.io annotations are ignored: set ${ANNOTATION.inject}: "true" to inject credentials`)]
        : [];
    return { kind: "skip", reason: state.reason, warnings };
  }
  if (annotations[MIRROR_POD] !== undefined) return { kind: "skip", reason: "mirror pod (static pods cannot be mutated)", warnings: [] };
  if ([...containersOf(pod), ...initContainersOf(pod)].some((c) => c.name === AGENT_CONTAINER)) {
    return { kind: "skip", reason: `already injected (has a container named ${AGENT_CONTAINER})`, warnings: [] };
  }
  const taken = (pod.spec.volumes ?? []).find((v) => (INJECTED_VOLUMES as readonly string[]).includes(v.name));
  if (taken !== undefined) {
    return { kind: "deny", code: 400, message: `the pod already has a volume named "${taken.name}", which avi needs; rename that volume`, warnings: [] };
  }
  if (settings.injection.deniedNamespaces.includes(namespace)) {
    return {
      kind: "deny",
      code: 403,
      message: `${ANNOTATION.inject}: injection is not allowed in namespace "${namespace}" (settings injection.deniedNamespaces); run the pod elsewhere`,
      warnings: [],
    };
  }

  const parsed = parseAnnotations(annotations);
  if ("errors" in parsed) return { kind: "deny", code: 400, message: parsed.errors.join("; "), warnings: [] };
  try {
    const plan = planInjection(pod, parsed, namespace, settings, { [ANNOTATION.status]: STATUS_INJECTED }, namespaceLabels, endpointToken);
    const patch = buildPatch(pod, plan, settings);
    return { kind: "inject", plan, patch: patch.operations, patchJson: patch.json, warnings: dedupe(plan.warnings) };
  } catch (err) {
    if (err instanceof Denial) return { kind: "deny", code: err.code, message: err.message, warnings: [] };
    throw err;
  }
}

function dedupe(warnings: readonly string[]): string[] {
  return [...new Set(warnings.map(warning))];
}
