/**
 * A new user's mistakes get a clear message naming the field and the fix (issue 12, item 5): `avi
 * inject -n` against an object's own namespace, annotations on a workload's metadata instead of its pod
 * template, missing required settings.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { runInject } from "../../cli/commands/inject.js";
import { parseSettings } from "../../injector/load-settings.js";
import { INJECT, celeryWorkerDeployment, type Obj } from "../support/fixtures.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

let dir: string;
let settingsFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "avi-messages-"));
  settingsFile = join(dir, "settings.yaml");
  await writeFile(settingsFile, stringify(TEST_SETTINGS));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inject(object: Obj, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runInject(["-f", "-", "--profiles", settingsFile, ...extra], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: () => Promise.resolve(stringify(object)),
    env: {},
  });
  return { code, stdout, stderr };
}

describe("avi inject", () => {
  it("-n never overrides a namespace the object sets (as kubectl refuses), but fills in a missing one", async () => {
    const deployment = celeryWorkerDeployment();
    await expect(inject(deployment, ["-n", "other"])).rejects.toThrow('Deployment/airflow-worker sets namespace "airflow", which does not match --namespace "other": drop -n, or pass -n airflow');
    const same = await inject(deployment, ["-n", "airflow"]);
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    const noNamespace = structuredClone(deployment);
    delete (noNamespace["metadata"] as Obj)["namespace"];
    expect((await inject(noNamespace, ["-n", "airflow"])).stdout).toContain("avi-agent");
  });

  it("annotations on a Deployment's own metadata: not injected, with a hint to move them to the pod template", async () => {
    const deployment = celeryWorkerDeployment({});
    (deployment["metadata"] as Obj)["annotations"] = { ...INJECT };
    const result = await inject(deployment);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("avi: Deployment/airflow-worker: its airflow-vault.io/ annotations are on the Deployment's own metadata, which the webhook never sees: move them to spec.template.metadata.annotations (the pod template)");
    expect(result.stdout).not.toContain("avi-agent");
    // Annotated where the webhook looks: no hint.
    expect((await inject(celeryWorkerDeployment())).stderr).not.toContain("own metadata");
  });
});

describe("settings: a missing required value says so and what to put there", () => {
  const message = (value: unknown): string => {
    try {
      parseSettings(value, "s.yaml");
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("expected the settings to be refused");
  };
  it("vault.address", () => {
    const text = message({ vault: {}, agent: { image: "registry.example/avi:0.1.0" } });
    expect(text).toContain("vault.address: is required: the Vault URL the agent logs in to, e.g. https://vault.vault.svc:8200");
    expect(text).not.toContain("must be an http(s) URL");
    expect(message({ vault: { address: "vault:8200" }, agent: { image: "x" } })).toContain("vault.address: must be an http(s) URL");
  });
  it("the agent section and agent.image", () => {
    const noAgent = message({ vault: { address: "https://vault:8200" } });
    expect(noAgent).toContain("agent: is required: a section with at least `image:`");
    expect(noAgent).not.toContain("expected object");
    expect(message({ vault: { address: "https://vault:8200" }, agent: {} })).toContain("agent.image: is required: the avi image of this release");
  });
});
