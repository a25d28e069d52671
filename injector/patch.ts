/**
 * Injection plan → JSONPatch against the object the API server sent: the one serializer of a plan.
 * The agent goes to the *end* of initContainers: after Airflow's own init containers (git-sync, the
 * workload init container) and after a native istio-proxy, so it has the mesh's network when Istio
 * uses native sidecars.
 *
 * The agent container is most of every patch and differs from pod to pod only in its configuration
 * (and endpoint token): its JSON comes from a template rendered once per settings object
 * (json-template.ts, settings-memo.ts), and so do the volumes' JSON. Nothing else keeps a cache.
 */
import { agentContainer, agentVolumes, type AgentContainerInput } from "./agent-container.js";
import type { Mode } from "./annotations.js";
import { PatchBuilder, type PatchOperation } from "./json-patch.js";
import { jsonTemplate } from "./json-template.js";
import type { InjectionPlan } from "./plan.js";
import type { PodView } from "./pod.js";
import { perSettings } from "./settings-memo.js";
import type { Settings } from "./settings.js";

/** The operations, and the same as JSON text (JSON.stringify(operations), for the wire). */
export function buildPatch(pod: PodView, plan: InjectionPlan, settings: Settings): { operations: PatchOperation[]; json: string } {
  const { runAsUser, maskApiToken, endpointToken } = plan.agent;
  const container: AgentContainerInput = {
    settings,
    mode: plan.mode,
    configJson: JSON.stringify(plan.agentConfig),
    runAsUser,
    maskApiToken,
    ...(endpointToken !== undefined && { endpointToken }),
  };
  const patch = new PatchBuilder();
  patch.append(["spec", "volumes"], pod.spec.volumes, agentVolumes(settings, maskApiToken), agentVolumesJson(settings, maskApiToken));
  patch.append(["spec", "initContainers"], pod.spec.initContainers, [agentContainer(container)], [agentContainerJson(container)]);
  const containers = pod.spec.containers ?? [];
  for (const target of plan.targets) {
    const original = containers[target.index];
    patch.append(["spec", "containers", target.index, "volumeMounts"], original?.volumeMounts, [target.mount]);
    patch.append(["spec", "containers", target.index, "env"], original?.env, target.env);
  }
  patch.setEntries(["metadata", "annotations"], pod.metadata?.annotations, plan.annotations);
  return { operations: patch.operations, json: patch.json() };
}

// Two holes when the pod gets an endpoint token: it differs per pod like the configuration.
const containerTemplate = perSettings((settings, mode: Mode, runAsUser: number, maskApiToken: boolean, withToken: boolean) =>
  withToken
    ? jsonTemplate((configJson, endpointToken) => agentContainer({ settings, mode, runAsUser, maskApiToken, configJson, ...(endpointToken !== undefined && { endpointToken }) }), 2)
    : jsonTemplate((configJson) => agentContainer({ settings, mode, runAsUser, maskApiToken, configJson })),
);

/** JSON.stringify(agentContainer(input)): only the configuration (and the endpoint token) differ from pod to pod. */
export function agentContainerJson({ settings, mode, runAsUser, maskApiToken, configJson, endpointToken }: AgentContainerInput): string {
  return endpointToken === undefined
    ? containerTemplate(settings, mode, runAsUser, maskApiToken, false)(configJson)
    : containerTemplate(settings, mode, runAsUser, maskApiToken, true)(configJson, endpointToken);
}

/** JSON.stringify of each of agentVolumes(settings, maskApiToken): the same for every pod. */
const agentVolumesJson: (settings: Settings, maskApiToken: boolean) => readonly string[] = perSettings((settings, maskApiToken: boolean) =>
  agentVolumes(settings, maskApiToken).map((volume) => JSON.stringify(volume)),
);
