import jsonpatch from "fast-json-patch";
import { describe, expect, it } from "vitest";
import { PatchBuilder, pointer, type PatchOperation } from "../../injector/json-patch.js";
import { parseSettings } from "../../injector/load-settings.js";
import { annotate, istioBarePod, type Obj } from "../support/fixtures.js";
import { arrayDiscipline, injectAndCheck } from "../support/injection-checks.js";
import { readFixture } from "../support/repo.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

describe("JSON pointer and patch building", () => {
  it("escapes ~ before / (RFC 6901)", () => {
    expect(pointer(["metadata", "annotations", "airflow-vault.io/status"])).toBe("/metadata/annotations/airflow-vault.io~1status");
    expect(pointer(["a~/b"])).toBe("/a~0~1b");
    expect(pointer(["a~/b"])).toBe(`/${jsonpatch.escapePathComponent("a~/b")}`);
  });

  it("creates a missing (or null) array once, appends to an existing one", () => {
    const b = new PatchBuilder();
    b.append(["spec", "volumes"], undefined, [{ name: "a" }, { name: "b" }]);
    b.append(["spec", "initContainers"], null, [{ name: "c" }]);
    b.append(["spec", "containers", 0, "env"], [], [{ name: "X" }]);
    b.append(["spec", "x"], [], []);
    expect(b.operations).toEqual([
      { op: "add", path: "/spec/volumes", value: [{ name: "a" }, { name: "b" }] },
      { op: "add", path: "/spec/initContainers", value: [{ name: "c" }] },
      { op: "add", path: "/spec/containers/0/env/-", value: { name: "X" } },
    ]);
    expect(b.json()).toBe(JSON.stringify(b.operations));
    const doc = { spec: { initContainers: null, containers: [{ env: [] }] } };
    expect(jsonpatch.applyPatch(doc, b.operations as jsonpatch.Operation[], true, false).newDocument).toEqual({
      spec: { initContainers: [{ name: "c" }], containers: [{ env: [{ name: "X" }] }], volumes: [{ name: "a" }, { name: "b" }] },
    });
  });

  it("creates a missing map whole, sets keys of an existing one", () => {
    const b = new PatchBuilder();
    b.setEntries(["metadata", "annotations"], undefined, { "a/b": "1", c: "2" });
    b.setEntries(["metadata", "labels"], { x: "y" }, { "a/b": "1" });
    expect(b.operations).toEqual([
      { op: "add", path: "/metadata/annotations", value: { "a/b": "1", c: "2" } },
      { op: "add", path: "/metadata/labels/a~1b", value: "1" },
    ]);
    expect(b.json()).toBe(JSON.stringify(b.operations));
  });

  it("Istio's expected patch for a pod without arrays follows the same discipline (the rule is right)", () => {
    const istio = JSON.parse(readFixture("k8s", "istio", "TestWebhookInject_no_initContainers_containers_volumes.patch")) as jsonpatch.Operation[];
    expect(arrayDiscipline(istio as PatchOperation[])).toEqual([]);
    const input = { metadata: {}, spec: { imagePullSecrets: [{ name: "p0" }] } };
    expect(jsonpatch.validate(istio, input)).toBeUndefined();
  });

  it("our patch for Istio's bare pod (no initContainers, volumes, env or mounts) creates each array once", () => {
    const pod = annotate(istioBarePod());
    const { decision, patched } = injectAndCheck(pod, "default", parseSettings(TEST_SETTINGS));
    expect(arrayDiscipline(decision.patch)).toEqual([]);
    expect(decision.patch.map((op) => op.path)).toEqual([
      "/spec/volumes",
      "/spec/initContainers",
      "/spec/containers/0/volumeMounts",
      "/spec/containers/0/env",
      "/metadata/annotations/airflow-vault.io~1status",
    ]);
    expect((patched["spec"] as Obj)["imagePullSecrets"]).toEqual([{ name: "p0" }]);
  });
});
