/**
 * The admission handler (request in, review out): the injector declares the inputs an object needs
 * and the handler fetches or makes only those — no namespace look-up and no endpoint token for pods
 * that are not injected — and a failing look-up becomes a 500 review, never a thrown error.
 */
import { describe, expect, it } from "vitest";
import { inputsNeeded } from "../../injector/admission-inputs.js";
import { parseSettings } from "../../injector/load-settings.js";
import { createAdmissionHandler } from "../../webhook/admission-handler.js";
import type { AdmissionRequest } from "../../webhook/admission-review.js";
import { af3WorkerPod, annotate, type Obj } from "../support/fixtures.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

function request(object: Obj, operation: AdmissionRequest["operation"] = "CREATE"): AdmissionRequest {
  return { uid: "u-1", kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace: "airflow", operation, object };
}

function sources(fail = false) {
  const calls = { labels: [] as string[], tokens: 0 };
  return {
    calls,
    namespaceLabels: { labels: (ns: string) => (calls.labels.push(ns), fail ? Promise.reject(new Error("apiserver down")) : Promise.resolve({ "istio-injection": "enabled" })) },
    endpointToken: () => (calls.tokens++, "t".repeat(43)),
  };
}

describe("inputs the injector declares", () => {
  const settings = parseSettings(TEST_SETTINGS);
  it("none for a pod that does not ask for injection, or says no, or is malformed", () => {
    for (const object of [af3WorkerPod(), annotate(af3WorkerPod(), { "airflow-vault.io/inject": "false" }), null, { metadata: { annotations: [] } }, "pod"]) {
      expect(inputsNeeded(object, settings)).toEqual({ namespaceLabels: false, endpointToken: false });
    }
  });

  it("namespace labels only while Istio detection is automatic; an endpoint token only when the setting is on", () => {
    const pod = annotate(af3WorkerPod());
    expect(inputsNeeded(pod, settings)).toEqual({ namespaceLabels: true, endpointToken: false });
    const never = parseSettings({ ...TEST_SETTINGS, injection: { istio: { classicSidecar: "never" }, endpointTokenEnv: true } });
    expect(inputsNeeded(pod, never)).toEqual({ namespaceLabels: false, endpointToken: true });
  });
});

describe("admission handler", () => {
  it("fetches the labels and makes a token only for a pod it injects", async () => {
    const settings = parseSettings({ ...TEST_SETTINGS, injection: { endpointTokenEnv: true } });
    const s = sources();
    const handler = createAdmissionHandler(() => settings, s);
    expect((await handler(request(af3WorkerPod()))).result.kind).toBe("decided");
    expect((await handler(request(annotate(af3WorkerPod()), "UPDATE"))).result.kind).toBe("ignored");
    expect(s.calls).toEqual({ labels: [], tokens: 0 });
    const review = await handler(request(annotate(af3WorkerPod())));
    expect(review.response.patchType).toBe("JSONPatch");
    expect(s.calls).toEqual({ labels: ["airflow"], tokens: 1 });
  });

  it("a failing look-up is a 500 review naming it, not an exception", async () => {
    const handler = createAdmissionHandler(() => parseSettings(TEST_SETTINGS), sources(true));
    const review = await handler(request(annotate(af3WorkerPod())));
    expect(review.response).toMatchObject({ uid: "u-1", allowed: false, status: { code: 500 } });
    expect(review.response.status?.message).toMatch(/apiserver down/);
  });
});
