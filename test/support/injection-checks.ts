/**
 * The invariants every injected pod must satisfy, checked the way the API server would see them
 * (kubernetes/apiserver's patch, validation and reinvocation steps): the patch validates and applies, touches no
 * forbidden path, adds no validation error or restricted violation, carries a valid agent config,
 * and a reinvocation (after defaulting and the ServiceAccount plugin) produces no further patch.
 */
import jsonpatch from "fast-json-patch";
import { expect } from "vitest";
import { AGENT_CONFIG_ENV, parseAgentConfig, type AgentConfig } from "../../agent/config.js";
import { admit, type Decision } from "../../injector/admit.js";
import type { Settings } from "../../injector/settings.js";
import { applyPodDefaults, serviceAccountPlugin } from "../../sim/apiserver/admission/defaulting.js";
import { restrictedViolations } from "../../sim/apiserver/admission/pod-security.js";
import { schemaErrors, validationErrors } from "../../sim/apiserver/admission/pod-validation.js";
import type { Obj } from "./fixtures.js";

export const FORBIDDEN_PATHS = ["/metadata/name", "/metadata/namespace", "/metadata/managedFields", "/status", "/metadata/generateName"];
export const INJECTED_VOLUMES = ["avi-credentials", "avi-token", "avi-no-api-token"];

export interface Injected {
  decision: Extract<Decision, { kind: "inject" }>;
  patched: Obj;
  agent: Obj;
  config: AgentConfig;
}

export function injectAndCheck(pod: Obj, namespace: string, settings: Settings, options: { schemaValid?: boolean } = {}): Injected {
  const decision = admit({ object: pod, namespace, settings });
  if (decision.kind !== "inject") throw new Error(`expected injection, got ${decision.kind}: ${"message" in decision ? decision.message : decision.reason}`);
  const ops = decision.patch as jsonpatch.Operation[];
  // What the webhook sends is spliced from templates: it must be the operations' exact JSON.
  expect(decision.patchJson).toBe(JSON.stringify(decision.patch));

  expect(ops.every((op) => op.op === "add")).toBe(true);
  for (const op of ops) expect(FORBIDDEN_PATHS.some((p) => op.path === p || op.path.startsWith(`${p}/`))).toBe(false);
  expect(jsonpatch.validate(ops, pod)).toBeUndefined();
  const patched = jsonpatch.applyPatch(pod, ops, true, false).newDocument;

  // No error the original did not already have (some fixtures are deliberately not valid pods).
  const newErrors = (check: (p: Obj) => string[]): string[] => {
    const before = new Set(check(pod));
    return check(patched).filter((e) => !before.has(e));
  };
  expect(newErrors(validationErrors)).toEqual([]);
  if (options.schemaValid !== false) expect(schemaErrors(patched)).toEqual([]);
  expect(restrictedViolations(patched, { containers: ["avi-agent"], volumes: INJECTED_VOLUMES })).toEqual([]);

  const spec = patched["spec"] as { initContainers: Obj[] };
  const originalInit = ((pod["spec"] as Obj)["initContainers"] as Obj[] | null | undefined) ?? [];
  expect(spec.initContainers.map((c) => c["name"])).toEqual([...originalInit.map((c) => c["name"]), "avi-agent"]);
  const agent = spec.initContainers[spec.initContainers.length - 1] as Obj;
  const configJson = (agent["env"] as { name: string; value?: string }[]).find((e) => e.name === AGENT_CONFIG_ENV)?.value ?? "";
  const config = parseAgentConfig(JSON.parse(configJson));

  // eslint-disable-next-line no-control-regex
  expect(decision.warnings.every((w) => w.length <= 120 && !/[\u0000-\u001f]/.test(w))).toBe(true);

  // Reinvocation: defaulting and the ServiceAccount plugin run on our output, then we are called again.
  const reinvoked = structuredClone(patched);
  applyPodDefaults(reinvoked);
  serviceAccountPlugin(reinvoked);
  const again = admit({ object: reinvoked, namespace, settings });
  expect(again.kind).toBe("skip");
  // The plugin must not have reached the agent: our mount at its path stops it (unless automount is off anyway).
  const reinvokedAgent = ((reinvoked["spec"] as Obj)["initContainers"] as Obj[]).find((c) => c["name"] === "avi-agent") as Obj;
  const apiMounts = (reinvokedAgent["volumeMounts"] as Obj[]).filter((m) => String(m["name"]).startsWith("kube-api-access"));
  expect(apiMounts).toEqual([]);

  return { decision, patched, agent, config };
}

export function envOf(container: Obj): Record<string, string> {
  return Object.fromEntries(((container["env"] as Obj[] | undefined) ?? []).map((e) => [String(e["name"]), typeof e["value"] === "string" ? e["value"] : "<valueFrom>"]));
}

export function containerNamed(pod: Obj, name: string): Obj {
  const spec = pod["spec"] as Obj;
  const all = [...(((spec["initContainers"] as Obj[] | undefined) ?? [])), ...(((spec["containers"] as Obj[] | undefined) ?? []))];
  const hit = all.find((c) => c["name"] === name);
  if (hit === undefined) throw new Error(`no container ${name}`);
  return hit;
}

/**
 * RFC 6902 as evanphx/json-patch applies it: an array is created by exactly one whole-value `add`, and only appended to (`/-`)
 * afterwards; a second whole-value add of the same path would replace the first.
 */
export function arrayDiscipline(ops: readonly { op: string; path: string; value?: unknown }[]): string[] {
  const problems: string[] = [];
  const created = new Set<string>();
  for (const [i, op] of ops.entries()) {
    if (Array.isArray(op.value) || (op.value !== null && typeof op.value === "object" && !op.path.endsWith("/-"))) {
      if (created.has(op.path)) problems.push(`op ${i}: ${op.path} created twice`);
      created.add(op.path);
    }
    if (/\/-?\d+$/.test(op.path)) problems.push(`op ${i}: index path ${op.path}`);
  }
  return problems;
}

