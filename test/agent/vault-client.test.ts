/**
 * The Vault client against a scripted loopback server: wire headers, retries (Vault `api/client.go`
 * DefaultRetryPolicy and our minting rule), timeouts, error classification (`sdk/logical/response_util.go`),
 * 200/202/204 handling, KV 404-with-body (vault-plugin-secrets-kv `path_data.go`), health bodies on any
 * status (`http/sys_health.go`), TLS with a CA bundle, redirects.
 */
import { getEventListeners } from "node:events";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig, type AgentConfig } from "../../agent/config.js";
import { createVaultClient, type VaultApi } from "../../agent/vault-client.js";
import { combineSignals } from "../../agent/vault-transport.js";
import { VaultError } from "../../agent/vault-errors.js";
import { json, startHttpStub, type HttpStub } from "../support/http-stub.js";
import { selfSignedCert } from "../support/tls-cert.js";

const AUTH = {
  request_id: "r",
  lease_id: "",
  renewable: false,
  lease_duration: 0,
  data: null,
  wrap_info: null,
  warnings: null,
  mount_type: "kubernetes",
  auth: {
    client_token: "hvs.CAESIlogintoken",
    accessor: "acc123456789012345678901",
    policies: ["default", "app"],
    token_policies: ["default", "app"],
    metadata: { role: "app" },
    lease_duration: 3600,
    renewable: true,
    entity_id: "e",
    token_type: "service",
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  },
};

const STS = {
  request_id: "r",
  lease_id: "aws/sts/etl/abc",
  renewable: false,
  lease_duration: 3599,
  data: { access_key: "ASIAEXAMPLE", secret_key: "secret", security_token: "tok", session_token: "tok", arn: "arn", ttl: 3599 },
  wrap_info: null,
  warnings: null,
  auth: null,
};

function config(address: string, vault: Record<string, unknown> = {}): AgentConfig {
  return parseAgentConfig({
    version: 1,
    mode: "sidecar",
    vault: { address, role: "airflow", maxRetries: 2, ...vault },
    credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws" }],
    context: { namespace: "airflow", serviceAccount: "worker" },
  });
}

interface Harness {
  client: VaultApi;
  sleeps: number[];
  attempts: string[];
}

function harness(address: string, vault: Record<string, unknown> = {}, headers: Record<string, string> = { "X-Airflow-Dag-Id": "etl" }): Harness {
  const sleeps: number[] = [];
  const attempts: string[] = [];
  const client = createVaultClient({
    vault: config(address, vault).vault,
    headers,
    userAgent: "avi-test",
    transport: {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
      onAttempt: (_m, outcome) => attempts.push(outcome),
    },
  });
  return { client, sleeps, attempts };
}

async function failure(p: Promise<unknown>): Promise<VaultError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VaultError);
    return err as VaultError;
  }
  throw new Error("expected a rejection");
}

let stub: HttpStub;
afterEach(async () => {
  await stub?.close();
});

describe("vault client: wire", () => {
  it("logs in without a token, with role + jwt, X-Vault-Request and audit headers", async () => {
    stub = await startHttpStub(json(200, AUTH));
    const { client } = harness(stub.url);
    const auth = await client.login("jwt-value");
    expect(auth).toMatchObject({ clientToken: "hvs.CAESIlogintoken", leaseDurationS: 3600, renewable: true, warnings: [] });
    const [req] = stub.requests;
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe("/v1/auth/kubernetes/login");
    expect(JSON.parse(req?.body ?? "")).toEqual({ role: "airflow", jwt: "jwt-value" });
    expect(req?.headers["x-vault-request"]).toBe("true");
    expect(req?.headers["x-airflow-dag-id"]).toBe("etl");
    expect(req?.headers["x-vault-token"]).toBeUndefined();
    expect(req?.headers["user-agent"]).toBe("avi-test");
  });

  it("sends each call's own token, even concurrently, and ignores VAULT_TOKEN/VAULT_NAMESPACE", async () => {
    stub = await startHttpStub(json(200, STS));
    process.env["VAULT_TOKEN"] = "hvs.fromenv";
    process.env["VAULT_NAMESPACE"] = "envns";
    try {
      const { client } = harness(stub.url);
      await Promise.allSettled([client.read("hvs.one", "aws/sts/etl"), client.read("hvs.two", "aws/sts/etl"), client.login("j")]);
    } finally {
      delete process.env["VAULT_TOKEN"];
      delete process.env["VAULT_NAMESPACE"];
    }
    const tokens = stub.requests.map((r) => r.headers["x-vault-token"]).sort();
    expect(tokens).toEqual(["hvs.one", "hvs.two", undefined].sort());
    expect(stub.requests.every((r) => r.headers["x-vault-namespace"] === undefined)).toBe(true);
  });

  it("sends the configured namespace and query parameters", async () => {
    stub = await startHttpStub(json(200, STS));
    const { client } = harness(stub.url, { namespace: "team-a" });
    const secret = await client.read("hvs.t", "aws/sts/etl", { query: { ttl: "3600s" }, minting: true });
    expect(stub.requests[0]?.url).toBe("/v1/aws/sts/etl?ttl=3600s");
    expect(stub.requests[0]?.headers["x-vault-namespace"]).toBe("team-a");
    expect(secret).toMatchObject({ leaseId: "aws/sts/etl/abc", leaseDurationS: 3599, renewable: false });
    expect(secret.data?.["access_key"]).toBe("ASIAEXAMPLE");
  });

  it("renews leases and tokens with integer increments, revoke-self with an empty body", async () => {
    stub = await startHttpStub();
    stub.next(
      json(200, { lease_id: "aws/creds/x/1", renewable: true, lease_duration: 600, data: null, warnings: ['TTL of "1h" exceeded the effective max_ttl of "10m"; TTL value is capped accordingly'], auth: null }),
      json(200, AUTH),
      (_req, res) => {
        res.writeHead(204, { "content-type": "application/json" });
        res.end();
      },
    );
    const { client } = harness(stub.url);
    const lease = await client.renewLease("hvs.t", "aws/creds/x/1", 3600);
    expect(lease).toMatchObject({ leaseDurationS: 600, renewable: true });
    expect(lease.warnings[0]).toMatch(/capped/);
    await client.renewSelf("hvs.t", 3600);
    await client.revokeSelf("hvs.t");
    expect(stub.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ["PUT", "/v1/sys/leases/renew", JSON.stringify({ lease_id: "aws/creds/x/1", increment: 3600 })],
      ["POST", "/v1/auth/token/renew-self", JSON.stringify({ increment: 3600 })],
      ["POST", "/v1/auth/token/revoke-self", "{}"],
    ]);
  });

  it("accepts 202 for lease revocation (node-vault alone rejects it)", async () => {
    stub = await startHttpStub((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" });
      res.end();
    });
    const { client } = harness(stub.url);
    await expect(client.revokeLease("hvs.t", "aws/creds/x/1")).resolves.toBeUndefined();
    expect(stub.requests[0]?.body).toBe(JSON.stringify({ lease_id: "aws/creds/x/1" }));
  });

  it("returns health bodies for sealed and standby statuses", async () => {
    stub = await startHttpStub();
    stub.next(json(503, { initialized: true, sealed: true, standby: true, version: "1.16.0" }), json(429, { initialized: true, sealed: false, standby: true }));
    const { client } = harness(stub.url, { maxRetries: 0 });
    expect(await client.health()).toMatchObject({ sealed: true, version: "1.16.0" });
    expect(await client.health()).toMatchObject({ sealed: false, standby: true });
    expect(stub.requests[0]?.url).toBe("/v1/sys/health?standbyok=true");
  });
});

describe("vault client: errors", () => {
  it.each([
    [403, "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n", "invalid-token"],
    [403, "1 error occurred:\n\t* permission denied\n\n", "permission-denied"],
    [403, "service account name not authorized", "permission-denied"],
    [400, "lease not found", "lease-not-found"],
    [400, "lease is not renewable", "lease-not-renewable"],
    [400, "invalid lease", "lease-not-found"],
    [400, "missing role", "bad-request"],
    [500, "past the max TTL, cannot renew", "max-ttl"],
  ] as const)("%d %j → %s", async (status, message, kind) => {
    stub = await startHttpStub(json(status, { errors: [message] }));
    const { client } = harness(stub.url, { maxRetries: 0 });
    const err = await failure(client.renewLease("hvs.t", "l", 0));
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
    expect(err.message).not.toMatch(/\n/);
  });

  it("keeps the body of a KV v2 404 for a deleted version, and none for a plain 404", async () => {
    stub = await startHttpStub();
    const deleted = { lease_id: "", renewable: false, lease_duration: 0, data: { data: null, metadata: { version: 3, deletion_time: "2024-01-01T00:00:00Z", destroyed: false } }, warnings: null, auth: null };
    stub.next(json(404, deleted), json(404, { errors: [] }));
    const { client } = harness(stub.url);
    const first = await failure(client.read("hvs.t", "secret/data/rgw"));
    expect(first.kind).toBe("not-found");
    expect(first.body).toEqual(deleted);
    const second = await failure(client.read("hvs.t", "secret/data/rgw"));
    expect(second.kind).toBe("not-found");
    expect(second.body).toBeUndefined();
    expect(stub.requests).toHaveLength(2);
  });

  it("rejects a response without the documented shape, naming the field", async () => {
    stub = await startHttpStub(json(200, { auth: { client_token: "hvs.x", renewable: "yes", lease_duration: 3600 } }));
    const { client } = harness(stub.url);
    const err = await failure(client.login("j"));
    expect(err.kind).toBe("invalid-response");
    expect(err.message).toMatch(/auth\.renewable/);
  });
});

describe("vault client: retries", () => {
  it("retries idempotent calls on 5xx and 412 with linear jitter, not on 501", async () => {
    stub = await startHttpStub(json(200, AUTH));
    stub.next(json(500, { errors: ["internal error"] }), json(412, { errors: ["required index state not present"] }));
    const { client, sleeps } = harness(stub.url);
    await client.renewSelf("hvs.t", 0);
    expect(stub.requests).toHaveLength(3);
    expect(sleeps).toEqual([1250, 2500]);

    stub.next(json(501, { errors: [] }));
    const err = await failure(client.renewSelf("hvs.t", 0));
    expect(err.status).toBe(501);
    expect(stub.requests).toHaveLength(4);
  });

  it("honours Retry-After on 429 (seconds and HTTP date) and gives up after maxRetries", async () => {
    stub = await startHttpStub(json(429, { errors: ["rate limit quota exceeded"] }, { "retry-after": "3" }));
    const { client, sleeps } = harness(stub.url);
    const err = await failure(client.read("hvs.t", "secret/data/x"));
    expect(err.kind).toBe("rate-limited");
    expect(err.retryAfterMs).toBe(3000);
    expect(sleeps).toEqual([3000, 3000]);
    expect(stub.requests).toHaveLength(3);

    stub.next(json(503, { errors: ["Vault is sealed"] }, { "retry-after": new Date(Date.now() + 20_000).toUTCString() }));
    await expect(client.read("hvs.t", "secret/data/x")).rejects.toThrow(/rate limit/);
    expect(sleeps[2]).toBeGreaterThan(18_000);
    expect(sleeps[2]).toBeLessThanOrEqual(20_000);
  });

  it("hands a Retry-After beyond the in-call cap back to the caller instead of sleeping", async () => {
    stub = await startHttpStub(json(429, { errors: ["lease count quota exceeded"] }, { "retry-after": "600" }));
    const { client, sleeps } = harness(stub.url);
    const err = await failure(client.read("hvs.t", "aws/sts/etl", { minting: true }));
    // 600 s asked, capped at the auth backoff's maximum (5 min).
    expect(err.retryAfterMs).toBe(300_000);
    expect(sleeps).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it("never retries a minting read that Vault may have processed (500, dropped connection)", async () => {
    stub = await startHttpStub();
    stub.next(json(500, { errors: ["1 error occurred:\n\t* internal error\n\n"] }), (_req, res) => res.socket?.destroy());
    const { client, sleeps } = harness(stub.url);
    expect((await failure(client.read("hvs.t", "aws/sts/etl", { minting: true }))).kind).toBe("server");
    expect((await failure(client.read("hvs.t", "aws/sts/etl", { minting: true }))).kind).toBe("transport");
    expect(stub.requests).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it("retries a minting read that provably was not processed (sealed, 412, 429)", async () => {
    stub = await startHttpStub(json(200, STS));
    stub.next(json(503, { errors: ["Vault is sealed"] }), json(429, { errors: ["rate limit quota exceeded"] }));
    const { client } = harness(stub.url);
    await client.read("hvs.t", "aws/sts/etl", { minting: true });
    expect(stub.requests).toHaveLength(3);
    stub.next(json(503, { errors: ["Vault is sealed"] }), json(503, { errors: ["Vault is sealed"] }), json(503, { errors: ["Vault is sealed"] }));
    expect((await failure(client.read("hvs.t", "aws/sts/etl", { minting: true }))).kind).toBe("sealed");
  });

  it("retries a minting login when the connection was refused (nothing was sent)", async () => {
    const holder = createNetServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const { port } = holder.address() as AddressInfo;
    await new Promise<void>((r) => holder.close(() => r()));
    stub = await startHttpStub();
    const { client, sleeps, attempts } = harness(`http://127.0.0.1:${port}`);
    const err = await failure(client.login("j"));
    expect(err.kind).toBe("transport");
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(attempts).toEqual(["ECONNREFUSED", "ECONNREFUSED", "ECONNREFUSED"]);
    expect(sleeps).toHaveLength(2);
  });

  it("times out a slow response per attempt and retries it only when not minting", async () => {
    stub = await startHttpStub(() => undefined);
    const { client, attempts } = harness(stub.url, { timeout: "150ms", maxRetries: 1 });
    expect((await failure(client.read("hvs.t", "aws/sts/etl", { minting: true }))).kind).toBe("timeout");
    expect(attempts).toEqual(["ETIMEDOUT"]);
    expect((await failure(client.read("hvs.t", "secret/data/x"))).kind).toBe("timeout");
    expect(attempts).toEqual(["ETIMEDOUT", "ETIMEDOUT", "ETIMEDOUT"]);
  });

  it("leaves no listener on the caller's long-lived signal once a request is over (no AbortSignal.any retention)", async () => {
    stub = await startHttpStub(json(200, STS));
    const { client } = harness(stub.url);
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) await client.read("hvs.t", "aws/sts/etl", { signal: controller.signal });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("combines the caller's signal with the request timeout, and releases both", () => {
    const caller = new AbortController();
    const timeout = new AbortController();
    const a = combineSignals(caller.signal, timeout.signal);
    timeout.abort(new Error("deadline"));
    expect(a.combined.aborted).toBe(true);
    expect((a.combined.reason as Error).message).toBe("deadline");
    const b = combineSignals(caller.signal, new AbortController().signal);
    caller.abort(new Error("stop"));
    expect((b.combined.reason as Error).message).toBe("stop");
    const c = combineSignals(new AbortController().signal, new AbortController().signal);
    c.release();
    expect(c.combined.aborted).toBe(false);
    a.release();
    b.release();
    expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(timeout.signal, "abort")).toHaveLength(0);
  });

  it("stops at once when the caller cancels", async () => {
    stub = await startHttpStub(() => undefined);
    const { client } = harness(stub.url);
    const controller = new AbortController();
    const pending = failure(client.renewSelf("hvs.t", 0, { signal: controller.signal }));
    await new Promise((r) => setImmediate(r));
    controller.abort();
    expect((await pending).kind).toBe("aborted");
  });
});

describe("vault client: TLS and redirects", () => {
  it("trusts the configured CA bundle and refuses an unknown certificate without retrying", async () => {
    const { cert, key } = selfSignedCert();
    stub = await startHttpStub(json(200, AUTH), (handler) => createHttpsServer({ cert, key }, handler));
    const trusted = harness(stub.url, { caCert: cert });
    await expect(trusted.client.login("j")).resolves.toMatchObject({ renewable: true });
    const untrusted = harness(stub.url);
    const err = await failure(untrusted.client.login("j"));
    expect(err.kind).toBe("tls");
    expect(untrusted.attempts).toHaveLength(1);
  });

  it("follows one same-origin redirect with the same method, body and token", async () => {
    stub = await startHttpStub(json(200, AUTH));
    stub.next(json(307, { errors: [] }, { location: "/v1/auth/token/renew-self?moved=1" }));
    const { client } = harness(stub.url);
    await client.renewSelf("hvs.t", 60);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]).toMatchObject({ method: "POST", body: JSON.stringify({ increment: 60 }) });
    expect(stub.requests[1]?.headers["x-vault-token"]).toBe("hvs.t");
  });

  it("refuses a redirect to another origin: neither the token nor the login JWT leaves", async () => {
    const other = await startHttpStub(json(200, AUTH));
    try {
      stub = await startHttpStub(json(307, { errors: [] }, { location: `${other.url}/v1/auth/kubernetes/login` }));
      const { client } = harness(stub.url);
      const err = await failure(client.login("jwt.secret.value"));
      expect(err.message).toMatch(/refusing redirect from http:\/\/127\.0\.0\.1:\d+ to http:\/\/127\.0\.0\.1:\d+: the request carries the Vault token or login JWT/);
      expect((await failure(client.renewSelf("hvs.t", 60))).message).toMatch(/refusing redirect/);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("refuses a redirect from https to http", async () => {
    const { cert, key } = selfSignedCert();
    stub = await startHttpStub(json(307, { errors: [] }, { location: "http://127.0.0.1:1/v1/auth/token/renew-self" }), (handler) => createHttpsServer({ cert, key }, handler));
    const { client } = harness(stub.url, { caCert: cert });
    const err = await failure(client.renewSelf("hvs.t", 0));
    expect(err.message).toMatch(/TLS downgrade/);
  });
});

describe("vault client: hostile or broken Vault (issue 11)", () => {
  it.each([
    ["0", 0],
    ["absurd", 1e13],
    ["negative", -5],
  ])("a token lease_duration that is %s is a named invalid-response error", async (_what, ttl) => {
    stub = await startHttpStub(json(200, { ...AUTH, auth: { ...AUTH.auth, lease_duration: ttl } }));
    const err = await failure(harness(stub.url).client.login("jwt"));
    expect(err.kind).toBe("invalid-response");
    expect(err.message).toMatch(/lease_duration/);
  });

  it("a leased secret with lease_duration 0 or an absurd one is refused; a lease-less KV secret with 0 is fine", async () => {
    stub = await startHttpStub(json(200, { ...STS, lease_duration: 0 }));
    expect((await failure(harness(stub.url).client.read("hvs.t", "aws/sts/etl"))).message).toMatch(/unusable secret lease_duration 0/);
    await stub.close();
    stub = await startHttpStub(json(200, { ...STS, lease_duration: 1e13 }));
    expect((await failure(harness(stub.url).client.read("hvs.t", "aws/sts/etl"))).message).toMatch(/unusable secret lease_duration 10000000000000/);
    await stub.close();
    stub = await startHttpStub(json(200, { ...STS, lease_id: "", lease_duration: 0 }));
    expect((await harness(stub.url).client.read("hvs.t", "secret/data/x")).leaseDurationS).toBe(0);
  });

  it("caps a non-JSON error body and strips control characters", async () => {
    const page = `<html>\u001b[31m${"x".repeat(100_000)}</html>`;
    stub = await startHttpStub((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(page);
    });
    const err = await failure(harness(stub.url, { maxRetries: 0 }).client.read("hvs.t", "secret/data/x"));
    expect(err.message.length).toBeLessThan(400);
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it.each(["aws/%2e%2e/%2e%2e/sys/health", "aws\\..\\sys/health", "aws/../sim/clock"])("refuses to send the token to %s", async (path) => {
    stub = await startHttpStub(json(200, STS));
    const err = await failure(harness(stub.url).client.read("hvs.t", path));
    expect(err.kind).toBe("bad-request");
    expect(err.message).toMatch(/refusing a Vault path/);
    expect(stub.requests).toHaveLength(0);
  });
});
