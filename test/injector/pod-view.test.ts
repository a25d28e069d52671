/**
 * The in-place checks of untrusted input (injector/view-schema.ts): every field the injector reads is
 * type-checked before use, a wrong one is a denial naming the field, unknown fields pass untouched, and
 * the object handed on is the one received (no copy).
 */
import { describe, expect, it } from "vitest";
import { admit } from "../../injector/admit.js";
import { readPod } from "../../injector/pod.js";
import { parseSettings } from "../../injector/load-settings.js";
import { parseAdmissionReview } from "../../webhook/admission-review.js";
import { af3WorkerPod, annotate, type Obj } from "../support/fixtures.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

const settings = parseSettings(TEST_SETTINGS);

/** A copy of `pod` with the value at `path` replaced (created, if the path does not exist yet). */
function withValue(pod: Obj, path: (string | number)[], value: unknown): Obj {
  const copy = structuredClone(pod);
  let at: Record<string | number, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    at[key] ??= typeof path[i + 1] === "number" ? [] : {};
    at = at[key] as Record<string | number, unknown>;
  }
  at[path[path.length - 1] as string | number] = value;
  return copy;
}

describe("readPod: the fields the injector reads", () => {
  const pod = annotate(af3WorkerPod());

  it("hands on the very object it was given, unknown fields and all", () => {
    const read = readPod(pod);
    expect("pod" in read && read.pod).toBe(pod);
  });

  it.each<[(string | number)[], unknown, RegExp]>([
    [["spec"], undefined, /^spec: expected object, received undefined$/],
    [["spec"], [], /^spec: expected object, received array$/],
    [["metadata"], "x", /^metadata: expected object, received string$/],
    [["metadata", "annotations"], ["a"], /^metadata\.annotations: expected object/],
    [["metadata", "labels"], 1, /^metadata\.labels: expected object/],
    [["metadata", "name"], 5, /^metadata\.name: expected string, received number$/],
    [["metadata", "generateName"], true, /^metadata\.generateName: expected string/],
    [["spec", "containers"], {}, /^spec\.containers: expected array, received object$/],
    [["spec", "containers", 0, "name"], "", /^spec\.containers\.0\.name: must not be empty$/],
    [["spec", "containers", 0, "name"], undefined, /^spec\.containers\.0\.name: expected string, received undefined$/],
    [["spec", "containers", 0, "image"], 7, /^spec\.containers\.0\.image: expected string/],
    [["spec", "containers", 0, "env", 1], "X=1", /^spec\.containers\.0\.env\.1: expected object, received string$/],
    [["spec", "containers", 0, "env", 1, "name"], null, /^spec\.containers\.0\.env\.1\.name: expected string, received null$/],
    [["spec", "containers", 0, "envFrom"], "cm", /^spec\.containers\.0\.envFrom: expected array/],
    [["spec", "containers", 0, "volumeMounts", 0, "mountPath"], 3, /^spec\.containers\.0\.volumeMounts\.0\.mountPath: expected string/],
    [["spec", "containers", 0, "securityContext", "runAsUser"], 1.5, /^spec\.containers\.0\.securityContext\.runAsUser: expected integer, received number$/],
    [["spec", "containers", 0, "securityContext", "runAsGroup"], 2 ** 53, /^spec\.containers\.0\.securityContext\.runAsGroup: expected integer, received number$/],
    [["spec", "containers", 0, "securityContext", "runAsNonRoot"], "yes", /runAsNonRoot: expected boolean/],
    [["spec", "containers", 0, "restartPolicy"], 1, /^spec\.containers\.0\.restartPolicy: expected string/],
    [["spec", "initContainers", 0, "name"], 1, /^spec\.initContainers\.0\.name: expected string/],
    [["spec", "volumes", 0], null, /^spec\.volumes\.0: expected object, received null$/],
    [["spec", "serviceAccountName"], 1, /^spec\.serviceAccountName: expected string/],
    [["spec", "serviceAccount"], {}, /^spec\.serviceAccount: expected string/],
    [["spec", "automountServiceAccountToken"], "false", /^spec\.automountServiceAccountToken: expected boolean, received string$/],
    [["spec", "securityContext", "fsGroup"], "0", /^spec\.securityContext\.fsGroup: expected integer, received string$/],
    [["spec", "hostNetwork"], 1, /^spec\.hostNetwork: expected boolean/],
    [["spec", "os", "name"], undefined, /^spec\.os\.name: expected string/],
  ])("%j = %j is a denial naming the field", (path, value, message) => {
    const object = withValue(pod, path, value);
    const read = readPod(object);
    expect("error" in read && read.error.replace("the object is not a Pod or pod template: ", "")).toMatch(message);
    expect(admit({ object, namespace: "airflow", settings })).toMatchObject({ kind: "deny", code: 400, message: expect.stringContaining(path[0] as string) as unknown });
  });

  it("absent and null lists are fine (YAML `env:` with nothing under it)", () => {
    for (const path of [["spec", "containers", 0, "env"], ["spec", "containers", 0, "volumeMounts"], ["spec", "initContainers"], ["spec", "volumes"], ["metadata", "annotations"]]) {
      expect("pod" in readPod(withValue(pod, path, null))).toBe(true);
      expect("pod" in readPod(withValue(pod, path, undefined))).toBe(true);
    }
  });

  it("the root itself", () => {
    expect(readPod(null)).toEqual({ error: "the object is not a Pod or pod template: (root): expected object, received null" });
    expect(readPod([])).toEqual({ error: "the object is not a Pod or pod template: (root): expected object, received array" });
  });
});

describe("parseAdmissionReview: the envelope", () => {
  const review = (request: Obj): Obj => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "u-1", kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, operation: "CREATE", object: {}, ...request },
  });

  it("hands on the request object itself", () => {
    const body = review({ extra: { anything: true } });
    const parsed = parseAdmissionReview(body);
    expect("request" in parsed && parsed.request).toBe(body["request"]);
  });

  it.each<[string, unknown, string]>([
    ["not an object", "x", "malformed AdmissionReview: (body): expected object, received string"],
    ["kind", { ...review({}), kind: "AdmissionRequest" }, 'malformed AdmissionReview: kind: must be "AdmissionReview"'],
    ["uid empty", review({ uid: "" }), "malformed AdmissionReview: request.uid: must not be empty"],
    ["operation", review({ operation: "PATCH" }), "malformed AdmissionReview: request.operation: must be one of CREATE, UPDATE, DELETE, CONNECT"],
    ["resource", review({ resource: { group: "", version: "v1" } }), "malformed AdmissionReview: request.resource.resource: expected string, received undefined"],
    ["namespace", review({ namespace: null }), "malformed AdmissionReview: request.namespace: expected string, received null"],
    ["userInfo", review({ userInfo: { username: 1 } }), "malformed AdmissionReview: request.userInfo.username: expected string, received number"],
    ["dryRun", review({ dryRun: "true" }), "malformed AdmissionReview: request.dryRun: expected boolean, received string"],
  ])("%s", (_name, body, error) => {
    expect(parseAdmissionReview(body)).toEqual({ error });
  });
});
