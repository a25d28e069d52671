/**
 * The API resources the REST simulator serves: the few the webhook's cluster features use. Each is
 * addressed as kube-apiserver addresses it (`/api/v1/...` for the core group, `/apis/<group>/<version>/...`
 * otherwise) and named in messages as `<plural>[.<group>]`, like the real server's error texts.
 */
export interface ResourceDefinition {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const RESOURCES: readonly ResourceDefinition[] = [
  { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
  { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true },
  { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true },
  { group: "admissionregistration.k8s.io", version: "v1", plural: "mutatingwebhookconfigurations", kind: "MutatingWebhookConfiguration", namespaced: false },
];

export function apiVersionOf(def: ResourceDefinition): string {
  return def.group === "" ? def.version : `${def.group}/${def.version}`;
}

/** `secrets`, `leases.coordination.k8s.io`: how the API server names a resource in messages. */
export function qualifiedName(def: ResourceDefinition): string {
  return def.group === "" ? def.plural : `${def.plural}.${def.group}`;
}

export function resourceKey(def: ResourceDefinition): string {
  return `${def.group}/${def.plural}`;
}

export function findResource(group: string, version: string, plural: string): ResourceDefinition | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceByKind(apiVersion: string, kind: string): ResourceDefinition | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}
