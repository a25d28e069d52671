/**
 * The kube-apiserver's mutating-admission path for a pod CREATE, played against a real webhook over
 * HTTPS (kubernetes/apiserver `pkg/admission/plugin/webhook/mutating/dispatcher.go` and its callers): in-tree mutators, the webhook call and reply
 * verification, patch application (evanphx-style validation via fast-json-patch), defaulting,
 * reinvocation, then validation — schema, server-side rules and optionally Pod Security "restricted".
 * The outcome carries the status code and message a `kubectl create` user would see.
 */
import { isDeepStrictEqual } from "node:util";
import jsonpatch from "fast-json-patch";
import { applyPodDefaults, serviceAccountPlugin } from "./defaulting.js";
import { restrictedViolations, podSecurityMessage, type Violation } from "./pod-security.js";
import { schemaErrors, validationErrors } from "./pod-validation.js";
import { buildPodReview, type JsonObject, type ReviewRequestOptions } from "./review.js";
import { acceptedWarnings, verifyAdmissionResponse } from "./verify-response.js";
import { CallingError, WebhookClient, type WebhookEndpoint } from "./webhook-client.js";

export interface HarnessOptions {
  endpoint: WebhookEndpoint;
  /** The webhook's name in the MutatingWebhookConfiguration (appears in error messages). */
  webhookName?: string;
  timeoutSeconds?: number;
  failurePolicy?: "Fail" | "Ignore";
  reinvocationPolicy?: "Never" | "IfNeeded";
  /** The namespace's `pod-security.kubernetes.io/enforce` level. */
  podSecurity?: "privileged" | "restricted";
  /** The ServiceAccount object's automountServiceAccountToken. */
  serviceAccountAutomount?: boolean;
}

export interface RoundRecord {
  round: number;
  /** Decoded patch the webhook returned (absent: none). */
  patch?: unknown[];
  allowed?: boolean;
  failedOpen?: string;
  changed: boolean;
}

export type AdmissionOutcome =
  | {
      allowed: true;
      pod: JsonObject;
      warnings: string[];
      auditAnnotations: Record<string, string>;
      rounds: RoundRecord[];
      /** Restricted-profile violations of what admission added (containers and volumes not in the input). */
      addedViolations: Violation[];
    }
  | { allowed: false; code: number; message: string; warnings: string[]; rounds: RoundRecord[] };

type Rejection = Extract<AdmissionOutcome, { allowed: false }>;

export class AdmissionHarness {
  private readonly client: WebhookClient;
  private readonly name: string;

  constructor(private readonly options: HarnessOptions) {
    this.client = new WebhookClient(options.endpoint);
    this.name = options.webhookName ?? "inject.airflow-vault.io";
  }

  async admit(pod: JsonObject, request: ReviewRequestOptions): Promise<AdmissionOutcome> {
    const rounds: RoundRecord[] = [];
    const warnings: string[] = [];
    const audit: Record<string, string> = {};
    const reject = (code: number, message: string): Rejection => ({ allowed: false, code, message, warnings, rounds });

    let current = structuredClone(pod);
    if (request.blankObjectNamespace !== true) {
      // EnsureObjectNamespaceMatchesRequestNamespace runs before admission (1.24+,
      // kubernetes/apiserver `pkg/endpoints/handlers/rest.go`).
      current["metadata"] = { ...((current["metadata"]) ?? {}), namespace: request.namespace };
    }
    applyPodDefaults(current); // decoding defaults the object before admission
    serviceAccountPlugin(current, this.options.serviceAccountAutomount);
    const input = structuredClone(current);

    const maxRounds = this.options.reinvocationPolicy === "Never" ? 1 : 2;
    for (let round = 0; round < maxRounds; round++) {
      if (round > 0) {
        // Reinvocation: every in-tree mutator runs again, then webhooks that may be reinvoked. The API
        // server calls a webhook again only if something changed the object after its call (a later
        // webhook, or the in-tree plugins re-run: webhookReinvokeContext); the harness calls it whenever
        // round 0 changed anything — stricter, so idempotency is always exercised.
        serviceAccountPlugin(current, this.options.serviceAccountAutomount);
      }
      const result = await this.callOnce(current, request, round, audit, warnings);
      if ("code" in result) return reject(result.code, result.message);
      rounds.push(result.record);
      current = result.pod;
      if (!result.record.changed) break;
    }

    const metadata = (current["metadata"] ?? {}) as JsonObject;
    if (request.blankObjectNamespace !== true && metadata["namespace"] !== request.namespace) {
      return reject(400, "the namespace of the provided object does not match the namespace sent on the request");
    }
    const nameField = metadata["name"] ?? metadata["generateName"];
    const displayName = typeof nameField === "string" ? nameField : "";
    const invalid = validationErrors(current);
    if (invalid.length > 0) return reject(422, `Pod "${displayName}" is invalid: ${invalid.join(", ")}`);
    if (this.options.podSecurity === "restricted") {
      const violations = restrictedViolations(current);
      if (violations.length > 0) return reject(403, podSecurityMessage(displayName, violations));
    }
    return { allowed: true, pod: current, warnings, auditAnnotations: audit, rounds, addedViolations: addedViolations(input, current) };
  }

  private async callOnce(
    pod: JsonObject,
    request: ReviewRequestOptions,
    round: number,
    audit: Record<string, string>,
    warnings: string[],
  ): Promise<{ pod: JsonObject; record: RoundRecord } | { code: number; message: string }> {
    const review = buildPodReview(pod, request);
    const sent = review.request["object"] as JsonObject;
    let verified;
    try {
      const raw = await this.client.post(review, this.options.timeoutSeconds ?? 10);
      verified = verifyAdmissionResponse(review.request.uid, raw);
    } catch (err) {
      if (!(err instanceof CallingError)) throw err;
      if (this.options.failurePolicy === "Ignore") {
        audit[`failed-open.mutation.webhook.admission.k8s.io/round_${round}_index_0`] = this.name;
        return { pod, record: { round, failedOpen: err.message, changed: false } };
      }
      return { code: 500, message: `Internal error occurred: failed calling webhook "${this.name}": ${err.message}` };
    }
    warnings.push(...acceptedWarnings(verified.warnings).filter((w) => !warnings.includes(w)));
    for (const [key, value] of Object.entries(verified.auditAnnotations)) audit[`${this.name}/${key}`] = value;
    if (!verified.allowed) {
      const status = verified.status ?? {};
      const detail = status.message || status.reason;
      const message = `admission webhook "${this.name}" denied the request${detail ? `: ${detail}` : " without explanation"}`;
      return { code: Math.max(status.code ?? 400, 400), message };
    }
    const record: RoundRecord = { round, allowed: true, changed: false, ...(verified.patch !== undefined && { patch: verified.patch }) };
    if (verified.patch === undefined || verified.patch.length === 0) return { pod, record };
    if (request.operation === "DELETE") {
      return { code: 500, message: `admission webhook "${this.name}" attempted to modify the object, which is not supported for this operation` };
    }
    // Patch application failures are plain InternalErrors: they ignore failurePolicy
    // (kubernetes/apiserver `mutating/dispatcher.go` callAttrMutatingHook).
    const operations = verified.patch as jsonpatch.Operation[];
    const error = jsonpatch.validate(operations, sent);
    if (error !== undefined) return { code: 500, message: `Internal error occurred: ${error.name}: ${error.message.split("\n")[0] ?? ""}` };
    const patched = jsonpatch.applyPatch(sent, operations, true, false).newDocument;
    const typeErrors = schemaErrors(patched);
    if (typeErrors.length > 0) return { code: 500, message: `Internal error occurred: ${typeErrors.join("; ")}` };
    applyPodDefaults(patched);
    return { pod: patched, record: { ...record, changed: !isDeepStrictEqual(patched, sent) } };
  }

  close(): void {
    this.client.close();
  }
}

function addedViolations(before: JsonObject, after: JsonObject): Violation[] {
  const names = (pod: JsonObject, key: string): string[] => {
    const spec = (pod["spec"] ?? {}) as JsonObject;
    return (Array.isArray(spec[key]) ? (spec[key] as JsonObject[]) : []).map((c) => String(c["name"]));
  };
  const beforeContainers = new Set([...names(before, "initContainers"), ...names(before, "containers")]);
  const beforeVolumes = new Set(names(before, "volumes"));
  return restrictedViolations(after, {
    containers: [...names(after, "initContainers"), ...names(after, "containers")].filter((n) => !beforeContainers.has(n)),
    volumes: names(after, "volumes").filter((n) => !beforeVolumes.has(n)),
  });
}
