// Contract tests for sys/health (hashicorp/vault `http/sys_health.go`; api-docs/system/health). The node-state cases (sealed, standby, …)
// need the simulator's controls and live in sim-only/health-states.test.ts.
import { expect, it } from "vitest";
import { describeContract } from "../support/target.js";

describeContract("http/sys_health.go: sys/health on an active node", (t) => {
  it("is unauthenticated and answers 200 with the CE body fields", async () => {
    const res = await t().request("GET", "/v1/sys/health", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      replication_performance_mode: "disabled",
      replication_dr_mode: "disabled",
      enterprise: false,
    });
    for (const key of ["server_time_utc", "version", "cluster_name", "cluster_id", "echo_duration_ms", "clock_skew_ms", "replication_primary_canary_age_ms"]) {
      expect(res.body).toHaveProperty(key);
    }
    expect(Number.isInteger(res.body.server_time_utc)).toBe(true);
  });

  it("activecode overrides the active status (e.g. 299)", async () => {
    expect((await t().request("GET", "/v1/sys/health?activecode=299", { token: null })).status).toBe(299);
  });

  it("codes for states the node is not in do not change the answer", async () => {
    const res = await t().request("GET", "/v1/sys/health?standbycode=299&sealedcode=299&uninitcode=299&perfstandbyok=true&standbyok=true", { token: null });
    expect(res.status).toBe(200);
  });

  it.each(["activecode", "standbycode", "drsecondarycode", "performancestandbycode", "sealedcode", "uninitcode"])("a non-integer %s is 400 {\"errors\":[]}", async (param) => {
    const res = await t().request("GET", `/v1/sys/health?${param}=abc`, { token: null });
    expect(res.status).toBe(400);
    expect(res.text).toBe('{"errors":[]}\n');
  });

  it.each(["standbyok", "perfstandbyok"])("a non-bool %s is 400 {\"errors\":[]}", async (param) => {
    const res = await t().request("GET", `/v1/sys/health?${param}=perhaps`, { token: null });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [] });
  });

  it("accepts parseutil bools (1, t, TRUE)", async () => {
    for (const v of ["1", "t", "TRUE"]) expect((await t().request("GET", `/v1/sys/health?standbyok=${v}`, { token: null })).status).toBe(200);
  });

  it("HEAD answers the same status with no body", async () => {
    const res = await t().request("HEAD", "/v1/sys/health?activecode=204", { token: null });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    const plain = await t().request("HEAD", "/v1/sys/health", { token: null });
    expect(plain.status).toBe(200);
    expect(plain.text).toBe("");
  });
});
