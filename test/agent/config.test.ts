import { describe, expect, it } from "vitest";
import { AgentConfigError, agentConfigFromEnv, defaultCredentialName, parseAgentConfig } from "../../agent/config.js";
import { parseDurationSeconds } from "../../agent/duration.js";

const minimal = {
  version: 1,
  mode: "sidecar",
  vault: { address: "https://vault.vault.svc:8200", role: "airflow" },
  credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws", ttl: "1h" }],
  context: { namespace: "airflow", serviceAccount: "airflow-worker" },
};

describe("agent config", () => {
  it("applies defaults and parses durations to seconds", () => {
    const cfg = parseAgentConfig(minimal);
    expect(cfg.vault.authMount).toBe("kubernetes");
    expect(cfg.vault.timeout).toBe(10);
    expect(cfg.credentials[0]?.ttl).toBe(3600);
    expect(cfg.shutdownGrace).toBe(5);
    expect(cfg.endpoint.port).toBe(9911);
    expect(defaultCredentialName(cfg)).toBe("etl");
  });

  it("names the offending field", () => {
    const bad = { ...minimal, credentials: [{ name: "Bad Name", path: "/v1/aws/x", format: "s3" }] };
    expect(() => parseAgentConfig(bad)).toThrowError(/credentials\.0\.name: .*\n.*credentials\.0\.path: .*\n.*credentials\.0\.format/);
  });

  it("rejects unknown keys, duplicate names and a default that is not a credential", () => {
    expect(() => parseAgentConfig({ ...minimal, extra: 1 })).toThrowError(/extra/);
    const dup = { ...minimal, credentials: [minimal.credentials[0], minimal.credentials[0]], defaultCredential: "nope" };
    expect(() => parseAgentConfig(dup)).toThrowError(/duplicate credential name "etl"[\s\S]*defaultCredential: "nope" is not one of/);
  });

  it("reports a missing or non-JSON env var as a config error", () => {
    expect(() => agentConfigFromEnv({})).toThrowError(AgentConfigError);
    expect(() => agentConfigFromEnv({ AVI_AGENT_CONFIG: "{" })).toThrowError(/not valid JSON/);
    expect(agentConfigFromEnv({ AVI_AGENT_CONFIG: JSON.stringify(minimal) }).mode).toBe("sidecar");
  });
});

describe("durations", () => {
  it.each([
    ["1h", 3600],
    ["1h30m", 5400],
    ["90s", 90],
    ["1.5h", 5400],
    ["500ms", 0.5],
    ["300", 300],
    [45, 45],
  ])("%s -> %d s", (input, seconds) => {
    expect(parseDurationSeconds(input)).toBeCloseTo(seconds);
  });

  it.each(["1d", "h", "-5s", "1h 30m", "1h-"])("rejects %j", (input) => {
    expect(() => parseDurationSeconds(input)).toThrowError(/invalid duration/);
  });

  it("treats an empty string as zero, as Vault does", () => {
    expect(parseDurationSeconds("")).toBe(0);
  });
});
