/** The REST side of the kube-apiserver simulator (see docs/vault-simulator.md, "Kubernetes side"). */
export { startRestServer } from "./rest-server.js";
export type { RequestRecord, RestServer, RestServerOptions } from "./rest-server.js";
export { ObjectStore } from "./object-store.js";
export type { JsonObject, StoreEvent, StoredObject } from "./object-store.js";
export { Authorizer, SUPERUSER, grantsFromRbacObjects } from "./rbac.js";
export type { Decision, Grant, PolicyRule, RequestAttributes } from "./rbac.js";
export { RESOURCES, findResource, resourceByKind } from "./resources.js";
export type { ResourceDefinition } from "./resources.js";
export { kubeconfigYaml } from "./kubeconfig.js";
