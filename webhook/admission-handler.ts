/**
 * The admission surface as one function, `AdmissionRequest → Promise<Review>` (the shape of
 * controller-runtime's `admission.Handler`, sigs.k8s.io/controller-runtime pkg/webhook/admission
 * v0.19): it asks the injector which inputs the object needs (injector/admission-inputs.ts), gets
 * them from its sources — the namespace-label cache, the endpoint-token maker — and reviews. It never
 * throws: a failure becomes a 500 review naming it.
 */
import { NO_INPUTS, inputsNeeded } from "../injector/admission-inputs.js";
import type { Settings } from "../injector/settings.js";
import { failedReview, isPodCreate, reviewPod, type AdmissionRequest, type Review } from "./admission-review.js";
import type { NamespaceLabelLookup } from "./namespace-labels.js";

export interface AdmissionInputSources {
  /** Namespace label look-up (cached); absent, the injector sees only the pod. */
  readonly namespaceLabels?: NamespaceLabelLookup | undefined;
  /** A fresh random endpoint token per call (one per pod, never cached). */
  readonly endpointToken: () => string;
}

export type AdmissionHandler = (request: AdmissionRequest) => Promise<Review>;

export function createAdmissionHandler(settings: () => Settings, sources: AdmissionInputSources): AdmissionHandler {
  return async (request) => {
    try {
      const current = settings();
      const namespace = request.namespace ?? "";
      const needs = isPodCreate(request) && namespace !== "" ? inputsNeeded(request.object, current) : NO_INPUTS;
      const lookup = needs.namespaceLabels ? sources.namespaceLabels : undefined;
      const labels = lookup === undefined ? undefined : await lookup.labels(namespace);
      return reviewPod(request, current, labels, needs.endpointToken ? sources.endpointToken() : undefined);
    } catch (err) {
      return failedReview(request, err);
    }
  };
}
