/**
 * What the injector needs besides the object itself, declared per object so the caller (the webhook,
 * `avi inject`) fetches or makes only that: the namespace's labels (Istio's namespace-level injection
 * decides whether a classic istio-proxy will be there) and a fresh endpoint token (when the admin
 * setting `injection.endpointTokenEnv` hands one to the app containers). Pure: no look-up, no
 * randomness here.
 */
import { injectSwitch } from "./annotations.js";
import type { Settings } from "./settings.js";

export interface InputNeeds {
  /** The labels of the request's namespace. */
  readonly namespaceLabels: boolean;
  /** A fresh random endpoint token for this pod (see admit's AdmissionInput.endpointToken). */
  readonly endpointToken: boolean;
}

export const NO_INPUTS: InputNeeds = { namespaceLabels: false, endpointToken: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object's annotations when they are a plain object; admit() reports anything malformed. */
function annotationsOf(object: unknown): Record<string, unknown> {
  const meta = isRecord(object) ? object["metadata"] : undefined;
  const annotations = isRecord(meta) ? meta["annotations"] : undefined;
  return isRecord(annotations) ? annotations : {};
}

/** The inputs admit() will use for this object under these settings; none when it will not inject. */
export function inputsNeeded(object: unknown, settings: Settings): InputNeeds {
  const state = injectSwitch(annotationsOf(object));
  if ("error" in state || !state.on) return NO_INPUTS;
  return { namespaceLabels: settings.injection.istio.classicSidecar === "auto", endpointToken: settings.injection.endpointTokenEnv };
}
