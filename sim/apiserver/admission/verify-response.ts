/**
 * kube-apiserver's checks on a webhook reply, with its error texts (kubernetes/apiserver
 * `pkg/admission/plugin/webhook/request/admissionreview.go` VerifyAdmissionResponse, v1.37). Everything here is a CallingError: it falls
 * under failurePolicy.
 */
import type { RawResponse } from "./webhook-client.js";
import { CallingError } from "./webhook-client.js";

export interface VerifiedResponse {
  allowed: boolean;
  /** Decoded RFC 6902 operations; absent when the webhook sent no patch. */
  patch?: unknown[];
  status?: { code?: number; reason?: string; message?: string };
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

export function verifyAdmissionResponse(uid: string, raw: RawResponse): VerifiedResponse {
  if (raw.status < 200 || raw.status > 299) {
    throw new CallingError(`failed to call webhook: the server responded with the status code ${raw.status} but did not return more information`);
  }
  let review: unknown;
  try {
    review = JSON.parse(raw.body);
  } catch (err) {
    throw new CallingError(`failed to call webhook: ${(err as Error).message}`);
  }
  const r = (review ?? {}) as Record<string, unknown>;
  const apiVersion = typeof r["apiVersion"] === "string" ? r["apiVersion"] : "";
  const kind = typeof r["kind"] === "string" ? r["kind"] : "";
  if (apiVersion !== "admission.k8s.io/v1" || kind !== "AdmissionReview") {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    throw new CallingError(
      `received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${group}/${version ?? ""}, Kind=${kind}`,
    );
  }
  const response = r["response"] as Record<string, unknown> | null | undefined;
  if (response === undefined || response === null) throw new CallingError("received invalid webhook response: webhook response was absent");
  if (response["uid"] !== uid) {
    throw new CallingError(`received invalid webhook response: expected response.uid="${uid}", got "${typeof response["uid"] === "string" ? response["uid"] : JSON.stringify(response["uid"] ?? "")}"`);
  }
  const hasPatch = response["patch"] !== undefined && response["patch"] !== null && response["patch"] !== "";
  const patchType = response["patchType"];
  if (hasPatch && patchType === undefined) throw new CallingError("received invalid webhook response: webhook returned response.patch but not response.patchType");
  if (!hasPatch && patchType !== undefined && patchType !== null) {
    throw new CallingError("received invalid webhook response: webhook returned response.patchType but not response.patch");
  }
  let patch: unknown[] | undefined;
  if (hasPatch) {
    if (patchType === "") throw new CallingError('received invalid webhook response: webhook returned invalid response.patchType of ""');
    if (patchType !== "JSONPatch") throw new CallingError(`received invalid webhook response: unsupported patch type "${String(patchType)}"`);
    patch = decodePatch(response["patch"]);
  }
  const allowed = response["allowed"] === true;
  const warnings = Array.isArray(response["warnings"]) ? response["warnings"].filter((w): w is string => typeof w === "string") : [];
  const audit = (response["auditAnnotations"] ?? {}) as Record<string, string>;
  const status = (response["status"] ?? undefined);
  return { allowed, ...(patch !== undefined && { patch }), ...(status !== undefined && { status }), warnings, auditAnnotations: audit };
}

function decodePatch(encoded: unknown): unknown[] {
  if (typeof encoded !== "string") throw new CallingError("received undecodable patch in webhook response: patch is not a base64 string");
  let ops: unknown;
  try {
    ops = JSON.parse(Buffer.from(encoded, "base64").toString("utf8"));
  } catch (err) {
    throw new CallingError(`received undecodable patch in webhook response: ${(err as Error).message}`);
  }
  if (!Array.isArray(ops)) throw new CallingError("received undecodable patch in webhook response: not a JSON array of operations");
  return ops;
}

/**
 * What the API server does with warnings (`pkg/endpoints/filters/warning.go`): texts with control
 * characters are dropped, duplicates dropped. Our own stricter check: the API asks for ≤ 120 characters.
 */
export function acceptedWarnings(warnings: readonly string[]): string[] {
  // eslint-disable-next-line no-control-regex
  return [...new Set(warnings.filter((w) => !/[\u0000-\u001f\u007f]/.test(w)))];
}
