/**
 * The patch's JSON text is rendered with the agent container spliced in from a per-settings template
 * (injector/json-template.ts): it must be byte for byte JSON.stringify of the operations, and a settings
 * reload (a new, frozen settings object) must never be served from the old one's template.
 */
import { describe, expect, it } from "vitest";
import { agentContainer, type AgentContainerInput } from "../../injector/agent-container.js";
import { agentContainerJson } from "../../injector/patch.js";
import { admit } from "../../injector/admit.js";
import { jsonTemplate } from "../../injector/json-template.js";
import { parseSettings } from "../../injector/load-settings.js";
import { af2WorkerPod, af3WorkerPod, annotate, istioBarePod, kpoPodWithXcomSidecar } from "../support/fixtures.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

const tricky = ['{"a":"b"}', "plain", "", 'quote " backslash \\ slash /', "ünïcödé ✓ 🚀", "\u0000\u001f\u2028\u2029", "\u0000avi:hole0\u0000", "\u0000avi:hole1\u0000"];

describe("jsonTemplate", () => {
  it("gives JSON.stringify's bytes for any string", () => {
    const build = (value: string) => ({ name: "x", env: [{ name: "C", value }, { name: "D", value: "d" }], n: 1 });
    const fill = jsonTemplate(build);
    for (const value of tricky) expect(fill(value)).toBe(JSON.stringify(build(value)));
  });

  it("fills two holes (configuration and endpoint token) with JSON.stringify's bytes", () => {
    const build = (config: string, token: string) => ({ env: [{ name: "C", value: config }, { name: "T", value: token }] });
    const fill = jsonTemplate(build, 2);
    for (const config of tricky) for (const token of tricky) expect(fill(config, token)).toBe(JSON.stringify(build(config, token)));
    const swapped = jsonTemplate((config: string, token: string) => [token, config], 2);
    expect(swapped("a", "b")).toBe('["b","a"]');
  });

  it("renders in full when the placeholder is not there exactly once", () => {
    const dropped = (value: string) => ({ length: value.length });
    const twice = (value: string) => [value, value];
    const fromSettings = (value: string) => ({ image: "\u0000avi:hole0\u0000", value });
    for (const build of [dropped, twice, fromSettings]) {
      const fill = jsonTemplate(build);
      for (const value of tricky) expect(fill(value)).toBe(JSON.stringify(build(value)));
    }
  });
});

describe("the agent container's JSON", () => {
  const settings = parseSettings(TEST_SETTINGS);

  it.each([
    ["sidecar", 65532, true],
    ["sidecar", 1337, false],
    ["init", 65532, true],
    ["init", 1337, false],
  ] as const)("%s, uid %d, API token masked %s: JSON.stringify of the container, for any configuration", (mode, runAsUser, maskApiToken) => {
    for (const configJson of tricky) {
      const input: AgentContainerInput = { settings, mode, runAsUser, maskApiToken, configJson };
      expect(agentContainerJson(input)).toBe(JSON.stringify(agentContainer(input)));
      const withToken: AgentContainerInput = { ...input, endpointToken: `token-${configJson}` };
      expect(agentContainerJson(withToken)).toBe(JSON.stringify(agentContainer(withToken)));
    }
  });

  it("follows a settings reload, while the old settings keep their own template", () => {
    const input = { mode: "sidecar", runAsUser: 65532, maskApiToken: true, configJson: "{}" } as const;
    const before = agentContainerJson({ ...input, settings });
    const reloaded = parseSettings({ ...TEST_SETTINGS, agent: { ...TEST_SETTINGS.agent, image: "registry.example/avi:0.2.0" } });
    expect(agentContainerJson({ ...input, settings: reloaded })).toContain('"image":"registry.example/avi:0.2.0"');
    expect(agentContainerJson({ ...input, settings })).toBe(before);
  });

  it("settings cannot change under a template: parsed settings are frozen all the way down", () => {
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.agent.resources.requests)).toBe(true);
    expect(Object.isFrozen(settings.profiles["minio-etl"]?.allowedNamespaces)).toBe(true);
    expect(() => {
      (settings.agent as { image: string }).image = "other";
    }).toThrow(TypeError);
  });

  it("every container is a new object: applying the patch and defaulting it cannot reach the settings", () => {
    const input: AgentContainerInput = { settings, mode: "sidecar", runAsUser: 65532, maskApiToken: true, configJson: "{}" };
    const a = agentContainer(input);
    const resources = a["resources"] as { requests: Record<string, string> };
    resources.requests["cpu"] = "1";
    expect(settings.agent.resources.requests.cpu).toBe("10m");
    expect(agentContainer(input)).not.toBe(a);
  });
});

describe("Decision.patchJson", () => {
  const settings = parseSettings(TEST_SETTINGS);
  it.each([
    ["Airflow 3 worker", () => annotate(af3WorkerPod()), "airflow"],
    ["Airflow 2 worker, init mode", () => annotate(af2WorkerPod(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl,archive", "airflow-vault.io/mode": "init" }), "airflow"],
    ["KPO pod with XCom sidecar", () => annotate(kpoPodWithXcomSidecar()), "default"],
    ["Istio's bare pod (every array created)", () => annotate(istioBarePod()), "default"],
  ])("%s: the bytes of JSON.stringify(patch)", (_name, make, namespace) => {
    const decision = admit({ object: make(), namespace, settings });
    if (decision.kind !== "inject") throw new Error(`expected injection, got ${decision.kind}`);
    expect(decision.patchJson).toBe(JSON.stringify(decision.patch));
  });
});

describe("the injection plan", () => {
  it("is plain data: it survives a JSON round trip unchanged and carries no rendered JSON", () => {
    const settings = parseSettings({ ...TEST_SETTINGS, injection: { endpointTokenEnv: true } });
    for (const pod of [annotate(af3WorkerPod()), annotate(af2WorkerPod()), annotate(kpoPodWithXcomSidecar())]) {
      const decision = admit({ object: pod, namespace: "airflow", settings, endpointToken: "e".repeat(43) });
      if (decision.kind !== "inject") throw new Error(decision.kind);
      expect(JSON.parse(JSON.stringify(decision.plan))).toEqual(decision.plan);
      expect(Object.values(decision.plan).some((v) => typeof v === "string" && v.startsWith("{"))).toBe(false);
    }
  });
});
