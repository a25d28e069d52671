/**
 * Injection plan → JSONPatch against the object the API server sent. The agent goes to the *end* of
 * initContainers: after Airflow's own init containers (git-sync, the workload init container) and
 * after a native istio-proxy, so it has the mesh's network when Istio uses native sidecars.
 */
import { PatchBuilder, type PatchOperation } from "./json-patch.js";
import type { InjectionPlan } from "./plan.js";
import type { PodView } from "./pod.js";

/** The operations, and the same as JSON text (JSON.stringify(operations), for the wire). */
export function buildPatch(pod: PodView, plan: InjectionPlan): { operations: PatchOperation[]; json: string } {
  const patch = new PatchBuilder();
  patch.append(["spec", "volumes"], pod.spec.volumes, plan.volumes, plan.volumesJson);
  patch.append(["spec", "initContainers"], pod.spec.initContainers, [plan.agentContainer], [plan.agentContainerJson]);
  const containers = pod.spec.containers ?? [];
  for (const target of plan.targets) {
    const original = containers[target.index];
    patch.append(["spec", "containers", target.index, "volumeMounts"], original?.volumeMounts, [target.mount]);
    patch.append(["spec", "containers", target.index, "env"], original?.env, target.env);
  }
  patch.setEntries(["metadata", "annotations"], pod.metadata?.annotations, plan.annotations);
  return { operations: patch.operations, json: patch.json() };
}
