// sys/health status precedence (`http/sys_health.go` getSysHealth) and the sealed 503, driven through the simulator's node
// state controls (a real Vault cannot be put into these states by a test).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

let sim: VaultSim;
beforeAll(async () => {
  sim = await startVaultSim({ clock: { scale: 0 } });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.controls.setNodeState({ initialized: true, sealed: false, standby: false, performanceStandby: false, drSecondary: false, haUnhealthy: false, removed: false });
});

const health = async (query = ""): Promise<{ status: number; body: WireJson }> => {
  const res = await fetch(`${sim.address}/v1/sys/health${query}`);
  return { status: res.status, body: await res.json() };
};

describe("sys/health codes by node state", () => {
  it.each([
    [{ initialized: false }, 501],
    [{ removed: true }, 530],
    [{ sealed: true }, 503],
    [{ standby: true, haUnhealthy: true }, 474],
    [{ drSecondary: true }, 472],
    [{ performanceStandby: true }, 473],
    [{ standby: true }, 429],
  ])("state %o answers %i", async (state, code) => {
    sim.controls.setNodeState(state);
    expect((await health()).status).toBe(code);
  });

  it("each state's code parameter overrides its default", async () => {
    const cases: [Record<string, boolean>, string][] = [
      [{ initialized: false }, "uninitcode"],
      [{ removed: true }, "removedcode"],
      [{ sealed: true }, "sealedcode"],
      [{ standby: true, haUnhealthy: true }, "haunhealthycode"],
      [{ drSecondary: true }, "drsecondarycode"],
      [{ performanceStandby: true }, "performancestandbycode"],
      [{ standby: true }, "standbycode"],
    ];
    for (const [state, param] of cases) {
      sim.controls.setNodeState({ initialized: true, sealed: false, standby: false, performanceStandby: false, drSecondary: false, haUnhealthy: false, removed: false, ...state });
      expect((await health(`?${param}=299`)).status, param).toBe(299);
    }
  });

  it("standbyok turns a standby into the active code; it does not cover a perf standby", async () => {
    sim.controls.setNodeState({ standby: true });
    expect((await health("?standbyok=true")).status).toBe(200);
    sim.controls.setNodeState({ standby: false, performanceStandby: true });
    expect((await health("?standbyok=true")).status).toBe(473);
    expect((await health("?perfstandbyok=true")).status).toBe(200);
  });

  it("precedence: uninit > removed > sealed > HA-unhealthy > DR secondary > perf standby > standby", async () => {
    sim.controls.setNodeState({ initialized: false, removed: true, sealed: true, standby: true, haUnhealthy: true, drSecondary: true, performanceStandby: true });
    expect((await health()).status).toBe(501);
    sim.controls.setNodeState({ initialized: true });
    expect((await health()).status).toBe(530);
    sim.controls.setNodeState({ removed: false });
    expect((await health()).status).toBe(503);
    sim.controls.setNodeState({ sealed: false });
    expect((await health()).status).toBe(474);
    sim.controls.setNodeState({ haUnhealthy: false });
    expect((await health()).status).toBe(472);
    sim.controls.setNodeState({ drSecondary: false });
    expect((await health()).status).toBe(473);
    sim.controls.setNodeState({ performanceStandby: false });
    expect((await health()).status).toBe(429);
  });

  it("the body comes with non-2xx codes too; cluster_name/cluster_id are omitted when sealed", async () => {
    sim.controls.seal();
    const sealed = await health();
    expect(sealed.status).toBe(503);
    expect(sealed.body).toMatchObject({ sealed: true, initialized: true });
    expect(sealed.body).not.toHaveProperty("cluster_name");
    expect(sealed.body).not.toHaveProperty("cluster_id");
    sim.controls.unseal();
    sim.controls.setNodeState({ standby: true });
    const standby = await health();
    expect(standby.status).toBe(429);
    expect(standby.body).toMatchObject({ standby: true, ha_connection_healthy: true });
    expect(standby.body).toHaveProperty("cluster_name");
  });

  it("the Go client's parameter set reads every state as 299 or 200 (Vault `api/sys_health.go`)", async () => {
    const q = "?standbyok=true&perfstandbyok=true&sealedcode=299&uninitcode=299";
    sim.controls.seal();
    expect((await health(q)).status).toBe(299);
    sim.controls.setNodeState({ sealed: false, initialized: false });
    expect((await health(q)).status).toBe(299);
    sim.controls.setNodeState({ initialized: true, performanceStandby: true });
    expect((await health(q)).status).toBe(200);
  });
});

describe("503 while sealed", () => {
  it("every /v1/ call but health, seal-status and unseal answers 503 Vault is sealed", async () => {
    sim.controls.seal();
    const res = await fetch(`${sim.address}/v1/auth/token/lookup-self`, { headers: { "X-Vault-Token": sim.rootToken } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ errors: ["Vault is sealed"] });
    const status = await fetch(`${sim.address}/v1/sys/seal-status`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ sealed: true, type: "shamir", t: 1, n: 1 });
  });

  it("sys/seal (sudo) seals and sys/unseal with the dev key unseals; a wrong key is refused", async () => {
    const seal = await fetch(`${sim.address}/v1/sys/seal`, { method: "PUT", headers: { "X-Vault-Token": sim.rootToken } });
    expect(seal.status).toBe(204);
    const wrong = await fetch(`${sim.address}/v1/sys/unseal`, { method: "PUT", body: JSON.stringify({ key: "bm90LXRoZS1rZXk=" }) });
    expect(wrong.status).toBe(400);
    const unseal = await fetch(`${sim.address}/v1/sys/unseal`, { method: "PUT", body: JSON.stringify({ key: sim.unsealKey }) });
    expect(unseal.status).toBe(200);
    expect(await unseal.json()).toMatchObject({ sealed: false });
    expect((await health()).status).toBe(200);
  });
});
