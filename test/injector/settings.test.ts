import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vaultPort, matchesAny } from "../../injector/settings.js";
import { parseSettings, parseSettingsText } from "../../injector/load-settings.js";
import { quantityValue } from "../../injector/quantity.js";
import { REPO_ROOT } from "../support/repo.js";

const minimal = { vault: { address: "https://vault.vault.svc:8200" }, agent: { image: "avi:1" } };

describe("settings", () => {
  it("fills the documented defaults", () => {
    const s = parseSettings(minimal);
    expect(s.vault).toEqual({ address: "https://vault.vault.svc:8200", authMount: "kubernetes", role: "airflow", audience: "vault" });
    expect(s.agent).toMatchObject({
      runAsUser: 65532,
      runAsGroup: 65532,
      endpointPort: 9911,
      healthPort: 9912,
      healthHost: "0.0.0.0",
      tokenExpirationSeconds: 3600,
      shutdownGrace: 5,
      logLevel: "info",
      mountPath: "/var/run/secrets/airflow-vault",
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "96Mi" } },
    });
    expect(s.injection).toEqual({
      allowAdHocCredentials: false,
      defaultMode: "sidecar",
      deniedNamespaces: ["kube-system", "kube-public"],
      istio: { classicSidecar: "auto", strategy: "auto", proxyUID: 1337 },
      endpointTokenEnv: false,
    });
    expect(s.profiles).toEqual({});
  });

  it("rejects unknown keys at any level, naming the path", () => {
    expect(() => parseSettings({ ...minimal, vault: { ...minimal.vault, adress: "x" } })).toThrowError(/vault: unknown key "adress"/);
    expect(() => parseSettings({ ...minimal, profiles: { etl: { path: "aws/sts/etl", format: "aws", allowedNamespace: ["a"] } } })).toThrowError(
      /profiles.etl: unknown key "allowedNamespace"/,
    );
    expect(() => parseSettings({ ...minimal, extra: true })).toThrowError(/\(top level\): unknown key "extra"/);
  });

  it("lists every problem at once, with the fix", () => {
    const bad = {
      vault: { address: "vault:8200" },
      agent: { image: "", tokenExpirationSeconds: 300, runAsUser: 0, endpointPort: 9000, healthPort: 9000, resources: { requests: { memory: "128Mi" }, limits: { memory: "64Mi" } } },
      profiles: { "Bad Name": { path: "aws/x", format: "aws" }, etl: { path: "/v1/aws", format: "s3" } },
    };
    let message = "";
    try {
      parseSettings(bad, "settings.yaml");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^settings.yaml is invalid \(see docs\/settings.md\):/);
    expect(message).toMatch(/vault.address: must be an http\(s\) URL/);
    expect(message).toMatch(/agent.image: is required/);
    expect(message).toMatch(/agent.tokenExpirationSeconds: must be at least 600/);
    expect(message).toMatch(/agent.runAsUser: must be a non-root id/);
    expect(message).toMatch(/profiles.Bad Name: profile names must be/);
    expect(message).toMatch(/profiles.etl.path: must be a Vault API path/);
    expect(message).toMatch(/profiles.etl.format: /);
  });

  it("cross-field rules: ports differ, requests <= limits, mount path not over the token dirs", () => {
    expect(() => parseSettings({ ...minimal, agent: { image: "i", endpointPort: 9000, healthPort: 9000 } })).toThrowError(/agent.healthPort: must differ/);
    expect(() => parseSettings({ ...minimal, agent: { image: "i", resources: { requests: { memory: "128Mi" }, limits: { memory: "64Mi" } } } })).toThrowError(
      /agent.resources.requests.memory: must not exceed limits.memory/,
    );
    expect(() => parseSettings({ ...minimal, agent: { image: "i", mountPath: "/var/run/secrets/kubernetes.io" } })).toThrowError(/agent.mountPath: must not overlap/);
    expect(() => parseSettings({ ...minimal, agent: { image: "i", resources: { requests: { cpu: "lots" } } } })).toThrowError(/Kubernetes quantity/);
  });

  it("profiles parse durations and keep policy lists", () => {
    const s = parseSettings({ ...minimal, profiles: { etl: { path: "aws/sts/etl", format: "aws", ttl: "1h", refreshInterval: "90s", allowedNamespaces: ["airflow-*"] } } });
    expect(s.profiles["etl"]).toEqual({ path: "aws/sts/etl", format: "aws", ttl: 3600, refreshInterval: 90, allowedNamespaces: ["airflow-*"] });
  });

  it("reads YAML and JSON text; empty and broken files are clear errors", () => {
    expect(parseSettingsText(JSON.stringify(minimal)).agent.image).toBe("avi:1");
    expect(() => parseSettingsText("", "s.yaml")).toThrowError(/s.yaml is empty/);
    expect(() => parseSettingsText("vault: [", "s.yaml")).toThrowError(/s.yaml is not valid YAML\/JSON/);
  });

  it("the shipped example is valid", () => {
    const s = parseSettingsText(readFileSync(join(REPO_ROOT, "examples", "settings.yaml"), "utf8"));
    expect(Object.keys(s.profiles)).toEqual(["minio-etl", "ceph-archive"]);
  });

  it("helpers: Vault port, globs, quantities", () => {
    expect(vaultPort(parseSettings(minimal))).toBe(8200);
    expect(vaultPort(parseSettings({ ...minimal, vault: { address: "https://vault.example.com" } }))).toBe(443);
    expect(matchesAny("airflow-prod", ["airflow-*"])).toBe(true);
    expect(matchesAny("airflow", ["airflow-*"])).toBe(false);
    expect(matchesAny("a.b", ["a*b"])).toBe(true);
    expect(quantityValue("64Mi")).toBe(64 * 2 ** 20);
    expect(quantityValue("10m")).toBeCloseTo(0.01);
    expect(quantityValue("2e3")).toBe(2000);
    expect(quantityValue("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(quantityValue("abc")).toBeUndefined();
  });
});

describe("agent-config compatibility (checked once per settings load)", () => {
  it("reports settings the agent's schema would reject", async () => {
    const { checkAgentConfigCompatible } = await import("../../injector/agent-config.js");
    const good = parseSettings(minimal);
    expect(checkAgentConfigCompatible(good)).toBeUndefined();
    // Bypass the settings schema to simulate drift between the two schemas.
    const drifted = { ...good, agent: { ...good.agent, healthPort: good.agent.endpointPort } };
    expect(checkAgentConfigCompatible(drifted)).toMatch(/health.port: must differ from endpoint.port/);
  });
});
