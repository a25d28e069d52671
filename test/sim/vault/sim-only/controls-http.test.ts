// The /sim/ HTTP controls (for a simulator in another process, e.g. `avi sim vault`), the request log,
// and the Agent/Proxy mode (412 without X-Vault-Request, `command/agent.go` verifyRequestHeader).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

let sim: VaultSim;
beforeEach(async () => {
  sim = await startVaultSim({ clock: { scale: 0, start: Date.parse("2025-06-01T00:00:00Z") } });
});
afterEach(async () => {
  await sim.stop();
});

const control = async (method: string, path: string, body?: unknown, token: string | null = sim.rootToken): Promise<{ status: number; body: WireJson }> => {
  const res = await fetch(`${sim.address}${path}`, { method, headers: token === null ? {} : { "X-Vault-Token": token }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};
const json = async (res: Promise<Response> | Response): Promise<WireJson> => (await (await res).json()) as WireJson;
const vault = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${sim.address}${path}`, { method, headers: { "X-Vault-Token": sim.rootToken, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

describe("/sim/ controls over HTTP", () => {
  it("need the root token", async () => {
    expect((await control("GET", "/sim/state", undefined, null)).status).toBe(403);
    const created = await json(vault("POST", "/v1/auth/token/create", { policies: ["default"] }));
    expect((await control("GET", "/sim/state", undefined, created.auth.client_token)).status).toBe(403);
    expect((await control("GET", "/sim/state")).status).toBe(200);
  });

  it("are never reachable under /v1/", async () => {
    expect((await vault("GET", "/v1/sim/state")).status).toBe(404);
  });

  it("/sim/clock reads, advances and rescales the clock", async () => {
    expect((await control("GET", "/sim/clock")).body).toMatchObject({ now: "2025-06-01T00:00:00Z", scale: 0 });
    const moved = await control("POST", "/sim/clock", { advance: "1h30m" });
    expect(moved.body.now).toBe("2025-06-01T01:30:00Z");
    expect((await control("POST", "/sim/clock", { scale: 60 })).body.scale).toBe(60);
    expect(sim.clock.scale).toBe(60);
  });

  it("a bad body is a 400 naming the field", async () => {
    const res = await control("POST", "/sim/faults", { path: "sys/health", action: { type: "error", status: 42 } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/action\.status/);
    expect((await control("POST", "/sim/clock", { advance: "soon" })).status).toBe(400);
  });

  it("/sim/faults adds, lists and deletes rules", async () => {
    const added = await control("POST", "/sim/faults", { path: "sys/health", action: { type: "error", status: 503 }, count: 2 });
    expect(added.status).toBe(200);
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(503);
    expect((await control("GET", "/sim/faults")).body.faults).toHaveLength(1);
    expect((await control("DELETE", `/sim/faults/${added.body.fault.id}`)).status).toBe(200);
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });

  it("/sim/seal and /sim/unseal; /sim/node flips standby", async () => {
    await control("PUT", "/sim/seal");
    expect((await vault("GET", "/v1/auth/token/lookup-self")).status).toBe(503);
    await control("PUT", "/sim/unseal");
    expect((await vault("GET", "/v1/auth/token/lookup-self")).status).toBe(200);
    await control("PUT", "/sim/node", { standby: true });
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(429);
  });

  it("/sim/revoke revokes a token (by accessor) or a lease behind the client's back", async () => {
    const created = await json(vault("POST", "/v1/auth/token/create", { policies: ["default"], ttl: "1h" }));
    expect((await control("POST", "/sim/revoke", { accessor: created.auth.accessor })).body).toEqual({ revoked: true });
    const after = await fetch(`${sim.address}/v1/auth/token/lookup-self`, { headers: { "X-Vault-Token": created.auth.client_token } });
    expect(after.status).toBe(403);
    expect((await control("POST", "/sim/revoke", { accessor: created.auth.accessor })).status).toBe(404);

    await vault("POST", "/v1/sys/mounts/aws", { type: "aws" });
    await vault("POST", "/v1/aws/roles/u", { credential_type: "iam_user", policy_arns: "arn:aws:iam::aws:policy/X" });
    const creds = await json(vault("GET", "/v1/aws/creds/u"));
    expect((await control("POST", "/sim/revoke", { lease_id: creds.lease_id })).body).toEqual({ revoked: true });
    const renew = await vault("PUT", "/v1/sys/leases/renew", { lease_id: creds.lease_id });
    expect(await json(renew)).toEqual({ errors: ["lease not found"] });
    expect((await control("GET", "/sim/aws/iam-users")).body.users[0].deletedAt).toBeDefined();
  });

  it("/sim/tokens, /sim/leases and /sim/events describe state without any token ID", async () => {
    const created = await json(vault("POST", "/v1/auth/token/create", { policies: ["default"], ttl: "1h" }));
    const tokens = await control("GET", "/sim/tokens");
    expect(tokens.body.tokens).toHaveLength(1);
    expect(tokens.body.tokens[0]).toMatchObject({ accessor: created.auth.accessor, policies: ["default"], revoked: false, expiresAt: "2025-06-01T01:00:00Z" });
    const leases = await control("GET", "/sim/leases");
    expect(leases.body.leases[0]).toMatchObject({ kind: "auth", tokenAccessor: created.auth.accessor });
    const events = await control("GET", "/sim/events?type=token.created");
    expect(events.body.events.map((e: { accessor: string }) => e.accessor)).toContain(created.auth.accessor);
    expect(events.body.events.every((e: { type: string }) => e.type === "token.created")).toBe(true);
    const all = JSON.stringify([tokens.body, leases.body, events.body]);
    expect(all).not.toContain(created.auth.client_token);
    expect(all).not.toContain(sim.rootToken);
  });

  it("an unknown control is a 404 pointing at the docs", async () => {
    const res = await control("GET", "/sim/nope");
    expect(res.status).toBe(404);
    expect(res.body.errors[0]).toContain("docs/vault-simulator.md");
  });
});

describe("request log", () => {
  it("records method, path, query, headers (X-Vault-Request, audit headers), status; tokens redacted, named by accessor", async () => {
    const created = await json(vault("POST", "/v1/auth/token/create", { policies: ["default"] }));
    const since = sim.requestLog.lastSeq;
    await fetch(`${sim.address}/v1/auth/token/lookup-self?x=1`, {
      headers: { "X-Vault-Token": created.auth.client_token, "X-Vault-Request": "true", "X-Airflow-Dag-Id": "etl_daily", "X-Airflow-Task-Id": "load" },
    });
    const [entry] = sim.requestLog.entries({ afterSeq: since });
    expect(entry).toMatchObject({
      method: "GET",
      path: "/v1/auth/token/lookup-self",
      query: { x: "1" },
      status: 200,
      tokenAccessor: created.auth.accessor,
      time: Date.parse("2025-06-01T00:00:00Z"),
    });
    expect(entry!.headers).toMatchObject({ "x-vault-request": "true", "x-airflow-dag-id": "etl_daily", "x-airflow-task-id": "load", "x-vault-token": "<redacted>" });
    expect(JSON.stringify(sim.requestLog.entries())).not.toContain(created.auth.client_token);
  });

  it("filters by method and path glob; /sim/requests serves it; DELETE clears it", async () => {
    await fetch(`${sim.address}/v1/sys/health`);
    await vault("GET", "/v1/auth/token/lookup-self");
    expect(sim.requestLog.entries({ path: "sys/*" }).map((e) => e.path)).toEqual(["/v1/sys/health"]);
    expect(sim.requestLog.entries({ method: "GET", path: "auth/token/lookup-self" })).toHaveLength(1);
    const served = await control("GET", "/sim/requests?path=sys/health");
    expect(served.body.requests).toHaveLength(1);
    await control("DELETE", "/sim/requests");
    expect(sim.requestLog.entries()).toEqual([]);
  });
});

describe("Agent/Proxy listener mode (require_request_header)", () => {
  it("answers 412 missing \"X-Vault-Request\" header unless the header is exactly true", async () => {
    await control("PUT", "/sim/agent-mode", { require_request_header: true });
    const missing = await fetch(`${sim.address}/v1/sys/health`);
    expect(missing.status).toBe(412);
    expect(await json(missing)).toEqual({ errors: ['missing "X-Vault-Request" header'] });
    expect((await fetch(`${sim.address}/v1/sys/health`, { headers: { "X-Vault-Request": "false" } })).status).toBe(412);
    expect((await fetch(`${sim.address}/v1/sys/health`, { headers: { "X-Vault-Request": "true" } })).status).toBe(200);
    await control("PUT", "/sim/agent-mode", { require_request_header: false });
    expect((await fetch(`${sim.address}/v1/sys/health`)).status).toBe(200);
  });

  it("can be switched on at start", async () => {
    const agentMode = await startVaultSim({ requireRequestHeader: true });
    try {
      expect((await fetch(`${agentMode.address}/v1/sys/health`)).status).toBe(412);
    } finally {
      await agentMode.stop();
    }
  });
});

describe("X-Vault-Namespace", () => {
  it("is echoed on the response and otherwise ignored (Community Edition)", async () => {
    const res = await vault("GET", "/v1/auth/token/lookup-self", undefined, { "X-Vault-Namespace": "team-a" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-vault-namespace")).toBe("team-a");
  });

  it("compat.echoNamespaceHeader: false drops the echo", async () => {
    const quiet = await startVaultSim({ compat: { echoNamespaceHeader: false } });
    try {
      const res = await fetch(`${quiet.address}/v1/sys/health`, { headers: { "X-Vault-Namespace": "team-a" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-vault-namespace")).toBeNull();
    } finally {
      await quiet.stop();
    }
  });
});
