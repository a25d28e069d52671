/**
 * Regression tests for the adversarial review of the injector (issue 11): bounded work and bounded
 * replies for attacker-chosen annotation values, own-property profile lookups, Vault paths that URL
 * parsing would move, pods that mount the injected volumes themselves, and reserved credential names.
 * CPU cost itself is measured by bench/hostile-reviews.ts (timing belongs in bench/).
 */
import { describe, expect, it } from "vitest";
import { admit, type Decision } from "../../injector/admit.js";
import { LIMITS } from "../../injector/annotations.js";
import { parseSettings } from "../../injector/load-settings.js";
import { SettingsError } from "../../injector/settings.js";
import { closest, MAX_SUGGEST_LENGTH } from "../../injector/suggest.js";
import { AgentConfigError, isPlainVaultPath, parseAgentConfig } from "../../agent/config.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";
import type { Obj } from "../support/fixtures.js";

const settings = parseSettings(TEST_SETTINGS);
const adHocSettings = parseSettings({ ...TEST_SETTINGS, injection: { allowAdHocCredentials: true } });
const ON = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" };

function pod(annotations: Record<string, unknown> = ON, spec: Obj = {}): Obj {
  return {
    metadata: { generateName: "etl-", annotations },
    spec: { serviceAccountName: "airflow-worker", containers: [{ name: "base", image: "apache/airflow:3.1.0" }], ...spec },
  };
}

const decide = (object: Obj, s = settings): Decision => admit({ object, namespace: "airflow", settings: s });

function denial(object: Obj, s = settings): { code: number; message: string } {
  const d = decide(object, s);
  if (d.kind !== "deny") throw new Error(`expected a denial, got ${d.kind}`);
  return { code: d.code, message: d.message };
}

describe("attacker-sized annotation values (item 1)", () => {
  it("an unknown container name of any length gets no suggestion and a short message", () => {
    const long = "a".repeat(40 * 1024);
    expect(closest(long, ["base", "a".repeat(40 * 1024 + 1)])).toBeUndefined();
    const many = Array.from({ length: 60 }, (_, i) => ({ name: `c${"x".repeat(60)}${i}`, image: "x" }));
    const d = denial(pod({ ...ON, "airflow-vault.io/containers": "x".repeat(63) }, { containers: many }));
    expect(d.message).toMatch(/has no container "x{63}" \(did you mean "cx{60}0"\?\); containers: cx{60}0, /);
    expect(d.message.length).toBeLessThan(1500);
  });

  it("a value over the length bound is refused before it is split, and not echoed", () => {
    const value = "a,".repeat(300 * 1024) + "a";
    const d = denial(pod({ ...ON, "airflow-vault.io/containers": value }));
    expect(d.message).toMatch(/the value has \d+ characters, more than the 4096 allowed/);
    expect(d.message.length).toBeLessThan(300);
  });

  it("lists are bounded in entries and in name length; duplicates are still found", () => {
    const many = Array.from({ length: LIMITS.listItems + 1 }, (_, i) => `p${i}`).join(",");
    expect(denial(pod({ ...ON, "airflow-vault.io/credentials": many })).message).toMatch(/more than 32 entries/);
    expect(denial(pod({ ...ON, "airflow-vault.io/credentials": "p".repeat(64) })).message).toMatch(/longer than 63 characters/);
    expect(denial(pod({ ...ON, "airflow-vault.io/credentials": "minio-etl,archive,minio-etl" })).message).toMatch(/"minio-etl" is listed twice/);
  });

  it("many unknown keys give a bounded list of problems", () => {
    const annotations: Record<string, string> = { ...ON };
    for (let i = 0; i < 5000; i++) annotations[`airflow-vault.io/${"k".repeat(200)}${i}`] = "v";
    const d = denial(pod(annotations));
    expect(d.message).toMatch(/and \d+ more problems$/);
    expect(d.message.match(/unknown annotation/g)?.length).toBeLessThanOrEqual(LIMITS.errors);
    expect(d.message.length).toBeLessThan(LIMITS.errors * 400);
  });

  it("ad-hoc credentials are bounded in number", () => {
    const annotations: Record<string, string> = { "airflow-vault.io/inject": "true" };
    for (let i = 0; i < 40; i++) annotations[`airflow-vault.io/credential.c${i}.path`] = `aws/sts/c${i}`;
    expect(denial(pod(annotations), adHocSettings).message).toMatch(/more than 32 ad-hoc credentials/);
  });

  it("suggestions still work for names of normal length", () => {
    expect(closest("minio-et", ["archive", "minio-etl"])).toBe("minio-etl");
    expect(closest("x".repeat(MAX_SUGGEST_LENGTH + 1), ["x".repeat(MAX_SUGGEST_LENGTH + 1)])).toBeUndefined();
  });

  it("a pod with very many containers is refused with a message", () => {
    const containers = Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, image: "x" }));
    expect(denial(pod(ON, { containers })).message).toMatch(/has 65 containers and init containers; avi injects pods with at most 64/);
  });
});

describe("own-property profile lookups (item 2)", () => {
  it.each(["constructor", "tostring", "valueof", "hasownproperty"])("credentials: %s is an unknown profile", (name) => {
    expect(denial(pod({ ...ON, "airflow-vault.io/credentials": name }))).toEqual({ code: 400, message: expect.stringMatching(`no credential profile "${name}"`) as unknown });
  });

  it("the settings' profiles have no prototype", () => {
    expect(Object.getPrototypeOf(settings.profiles)).toBeNull();
    expect(Object.keys(settings.profiles)).toEqual(["minio-etl", "archive"]);
  });
});

describe("ad-hoc Vault paths that URL parsing would move (item 3)", () => {
  it.each(["aws/%2e%2e/%2e%2e/sys/health", "aws/%2E%2E/sys/health", "aws\\..\\sys/health", "aws/./sts/x", "aws//sts", "aws/sts/x?ttl=1", "aws/sts/x#y", "aws/st s", "sim/../clock"])(
    "%s is refused",
    (path) => {
      expect(isPlainVaultPath(path)).toBe(false);
      const d = denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credential.x.path": path }), adHocSettings);
      expect(d.message).toMatch(/credential\.x\.path: must be a Vault API path of plain segments/);
    },
  );

  it("ordinary paths pass", () => {
    for (const path of ["aws/sts/etl", "secret/data/rgw/etl", "minio/creds/etl-1", "aws/creds/a.b@c=d"]) expect(isPlainVaultPath(path)).toBe(true);
  });
});

describe("pods that mount the injected volumes themselves (item 4)", () => {
  it("an app or init container mounting avi-token is denied", () => {
    const app = pod(ON, { containers: [{ name: "base", image: "x", volumeMounts: [{ name: "avi-token", mountPath: "/t" }] }] });
    expect(denial(app).message).toMatch(/container "base" mounts volume "avi-token", the agent's Vault login token/);
    const init = pod(ON, { initContainers: [{ name: "steal", image: "x", volumeMounts: [{ name: "avi-token", mountPath: "/t", readOnly: true }] }] });
    expect(denial(init).message).toMatch(/container "steal" mounts volume "avi-token"/);
  });

  it("mounting avi-credentials read-write is denied, read-only is allowed", () => {
    const rw = pod(ON, { containers: [{ name: "base", image: "x" }, { name: "side", image: "x", volumeMounts: [{ name: "avi-credentials", mountPath: "/c" }] }] });
    expect(denial(rw).message).toMatch(/container "side" mounts volume "avi-credentials" read-write/);
    const ro = pod({ ...ON, "airflow-vault.io/containers": "base" }, { containers: [{ name: "base", image: "x" }, { name: "side", image: "x", volumeMounts: [{ name: "avi-credentials", mountPath: "/c", readOnly: true }] }] });
    expect(decide(ro).kind).toBe("inject");
  });
});

describe("other findings (item 6)", () => {
  it.each(["/var/run/secrets/airflow-vault/", "/var/run/secrets//airflow-vault", "/var/run/secrets/airflow-vault//"])("a mount at %s clashes with the credentials mount", (mountPath) => {
    const p = pod(ON, { containers: [{ name: "base", image: "x", volumeMounts: [{ name: "data", mountPath }] }] });
    expect(denial(p).message).toMatch(/already mounts volume "data" at \/var\/run\/secrets\/airflow-vault/);
  });

  it.each([
    [{ hostPID: true }, "hostPID"],
    [{ shareProcessNamespace: true }, "shareProcessNamespace"],
    [{ containers: [{ name: "base", image: "x", securityContext: { privileged: true } }] }, "a privileged container"],
  ])("warns when other processes can read the agent's secrets (%o)", (spec, what) => {
    const d = decide(pod(ON, spec));
    expect(d.kind).toBe("inject");
    expect(d.warnings.some((w) => w.includes(what) && w.includes("other processes can read"))).toBe(true);
  });

  it("an ordinary pod gets no such warning", () => {
    expect(decide(pod()).warnings.filter((w) => w.includes("other processes"))).toEqual([]);
  });
});

describe("reserved credential names (item 11)", () => {
  it.each(["status", "endpoint-token", "aws", "airflow"])("%s is refused as an ad-hoc name, a profile name and in the agent config", (name) => {
    const d = denial(pod({ "airflow-vault.io/inject": "true", [`airflow-vault.io/credential.${name}.path`]: "aws/sts/x" }), adHocSettings);
    expect(d.message).toMatch(`credential name "${name}" is reserved for the agent's own files`);
    expect(() => parseSettings({ ...TEST_SETTINGS, profiles: { [name]: { path: "aws/sts/x", format: "aws" } } })).toThrow(SettingsError);
    const cfg = {
      version: 1,
      mode: "sidecar",
      vault: { address: "https://vault:8200", role: "r" },
      credentials: [{ name, path: "aws/sts/x", format: "aws" }],
      context: { namespace: "n", serviceAccount: "s" },
    };
    expect(() => parseAgentConfig(cfg)).toThrow(AgentConfigError);
    expect(() => parseAgentConfig(cfg)).toThrow(/credentials\.0\.name: is reserved/);
  });
});
