/**
 * AdmissionReview v1 as kube-apiserver builds it for a pod (kubernetes/api `admission/v1/types.go`;
 * kubernetes/apiserver `request/admissionreview.go` CreateAdmissionObjects, `pkg/endpoints/handlers/create.go`):
 * a fresh uid per call, `name` absent for generateName pods, `oldObject: null` on CREATE, `dryRun`
 * always present, CreateOptions in `options`.
 */
import { randomUUID } from "node:crypto";

export type JsonObject = Record<string, unknown>;

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
}

export interface ReviewRequestOptions {
  namespace: string;
  operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  dryRun?: boolean;
  userInfo?: UserInfo;
  oldObject?: JsonObject | null;
  /** Test-only: blank `object.metadata.namespace`, as pre-1.24 servers and some fixtures do. */
  blankObjectNamespace?: boolean;
}

export interface AdmissionReviewRequest {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  request: JsonObject & { uid: string };
}

const POD_KIND = { group: "", version: "v1", kind: "Pod" };
const POD_RESOURCE = { group: "", version: "v1", resource: "pods" };

export function buildPodReview(pod: JsonObject, options: ReviewRequestOptions): AdmissionReviewRequest {
  const operation = options.operation ?? "CREATE";
  const object = structuredClone(pod);
  const metadata = (object["metadata"] ?? {}) as JsonObject;
  object["metadata"] = metadata;
  if (options.blankObjectNamespace === true) delete metadata["namespace"];
  else metadata["namespace"] = options.namespace; // EnsureObjectNamespaceMatchesRequestNamespace (1.24+)
  const name = typeof metadata["name"] === "string" ? metadata["name"] : undefined;
  const request: JsonObject & { uid: string } = {
    uid: randomUUID(),
    kind: POD_KIND,
    resource: POD_RESOURCE,
    requestKind: POD_KIND,
    requestResource: POD_RESOURCE,
    ...(name !== undefined && { name }),
    namespace: options.namespace,
    operation,
    userInfo: options.userInfo ?? { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:authenticated"] },
    object: operation === "DELETE" ? null : object,
    oldObject: options.oldObject ?? null,
    dryRun: options.dryRun ?? false,
    options: operation === "CREATE" ? { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" } : null,
  };
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}
