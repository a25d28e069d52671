/**
 * AdmissionReview v1 in, AdmissionReview v1 out, exactly as kube-apiserver's VerifyAdmissionResponse
 * expects (kubernetes/apiserver `request/admissionreview.go` VerifyAdmissionResponse): apiVersion/kind always set, the request's uid echoed,
 * `patchType: JSONPatch` only together with a patch. Pure: the server adds I/O, metrics and logs.
 */
import { admit, type Decision } from "../injector/admit.js";
import type { Settings } from "../injector/settings.js";
import { boolean, describeIssue, literal, nonEmptyString, object, oneOf, optional, string, unknown, type Infer } from "../injector/view-schema.js";
import { utf8ToBase64 } from "./base64.js";

const groupVersionKind = object({ group: string, version: string, kind: string });
const groupVersionResource = object({ group: string, version: string, resource: string });

/** Checked in place, not copied: the request carries the whole pod (view-schema.ts). */
export const admissionReviewSchema = object({
  apiVersion: literal("admission.k8s.io/v1", 'must be "admission.k8s.io/v1" (list only v1 in admissionReviewVersions)'),
  kind: literal("AdmissionReview"),
  request: object({
    uid: nonEmptyString,
    kind: groupVersionKind,
    resource: groupVersionResource,
    subResource: optional(string),
    name: optional(string),
    namespace: optional(string),
    operation: oneOf(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
    userInfo: optional(object({ username: optional(string) })),
    object: unknown,
    dryRun: optional(boolean),
  }),
});

export type AdmissionRequest = Infer<typeof admissionReviewSchema>["request"];

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  patch?: string;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: "admission.k8s.io/v1";
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

/** A review: the response for the API server and what happened, for metrics and logs. */
export interface Review {
  response: AdmissionResponse;
  result: ReviewResult;
}

/** A pod (not a subresource) being created: the only requests the injector acts on (admission.k8s.io/v1 AdmissionRequest: kind, resource, subResource, operation). */
export function isPodCreate(request: AdmissionRequest): boolean {
  return request.kind.group === "" && request.kind.kind === "Pod" && request.resource.resource === "pods" && (request.subResource ?? "") === "" && request.operation === "CREATE";
}

/** What happened, for metrics and logs. */
export type ReviewResult =
  | { kind: "ignored"; reason: string }
  | { kind: "decided"; decision: Decision }
  | { kind: "internal-error"; error: Error };

/** Parses a request body; the error says which field is wrong. */
export function parseAdmissionReview(body: unknown): { request: AdmissionRequest } | { error: string } {
  const issue = admissionReviewSchema(body);
  if (issue === undefined) return { request: (body as Infer<typeof admissionReviewSchema>).request };
  return { error: `malformed AdmissionReview: ${describeIssue(issue, "(body)")}` };
}

/** What the API server allows as a namespace name; anything else did not come from it. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function reviewPod(
  request: AdmissionRequest,
  settings: Settings,
  namespaceLabels?: Readonly<Record<string, string>>,
  /** A fresh token, when settings.injection.endpointTokenEnv is on (see admit). */
  endpointToken?: string,
): Review {
  const uid = request.uid;
  const isPod = request.kind.group === "" && request.kind.kind === "Pod" && request.resource.resource === "pods";
  if (!isPod || (request.subResource ?? "") !== "") {
    return { response: { uid, allowed: true }, result: { kind: "ignored", reason: `not a pod (${request.resource.resource}${request.subResource ? `/${request.subResource}` : ""})` } };
  }
  // The executor later PATCHes labels onto its pods; only creation is ours.
  if (request.operation !== "CREATE") return { response: { uid, allowed: true }, result: { kind: "ignored", reason: `operation ${request.operation}` } };
  const namespace = request.namespace ?? "";
  if (namespace === "" || !NAMESPACE_NAME.test(namespace)) {
    const message = namespace === "" ? "request.namespace is empty: pods are namespaced" : "request.namespace is not a Kubernetes namespace name (a DNS-1123 label of at most 63 characters)";
    const decision: Decision = { kind: "deny", code: 400, message, warnings: [] };
    return { response: denyResponse(uid, decision.code, decision.message, []), result: { kind: "decided", decision } };
  }
  let decision: Decision;
  try {
    decision = admit({
      object: request.object,
      namespace,
      settings,
      ...(namespaceLabels !== undefined && { namespaceLabels }),
      ...(endpointToken !== undefined && { endpointToken }),
    });
  } catch (err) {
    return failedReview(request, err);
  }
  return { response: responseFor(uid, decision), result: { kind: "decided", decision } };
}

/** The pod is denied with a 500 naming the failure (the user sees it; the API server does not retry). */
export function failedReview(request: AdmissionRequest, err: unknown): Review {
  const error = err instanceof Error ? err : new Error(String(err));
  return {
    response: denyResponse(request.uid, 500, `internal error in airflow-vault-injector (${error.message}); see the webhook's logs`, []),
    result: { kind: "internal-error", error },
  };
}

function responseFor(uid: string, decision: Decision): AdmissionResponse {
  const warnings = decision.warnings.length > 0 ? { warnings: decision.warnings } : {};
  switch (decision.kind) {
    case "skip":
      return { uid, allowed: true, ...warnings };
    case "deny":
      return denyResponse(uid, decision.code, decision.message, decision.warnings);
    case "inject":
      return {
        uid,
        allowed: true,
        patchType: "JSONPatch",
        patch: utf8ToBase64(decision.patchJson),
        ...warnings,
        auditAnnotations: { mode: decision.plan.mode, credentials: decision.plan.credentials.map((c) => c.name).join(",") },
      };
  }
}

function denyResponse(uid: string, code: number, message: string, warnings: readonly string[]): AdmissionResponse {
  const reason = code === 403 ? "Forbidden" : code === 500 ? "InternalError" : "BadRequest";
  return { uid, allowed: false, status: { code, reason, message }, ...(warnings.length > 0 && { warnings: [...warnings] }) };
}

export function reviewEnvelope(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response };
}

/**
 * The envelope as JSON text, same bytes as JSON.stringify(reviewEnvelope(response)). The base64 patch
 * (the bulk of the reply) cannot contain characters JSON must escape, so it is spliced in rather than
 * scanned again by JSON.stringify — on the hot path of every pod creation.
 */
export function serializeReview(response: AdmissionResponse): string {
  const { patch } = response;
  if (patch === undefined) return JSON.stringify(reviewEnvelope(response));
  // Same key order as the original; a raw `"patch":""` can only be this key (quotes in values are escaped).
  const head = JSON.stringify(reviewEnvelope({ ...response, patch: "" }));
  const at = head.indexOf('"patch":""') + '"patch":"'.length;
  return `${head.slice(0, at)}${patch}${head.slice(at)}`;
}
