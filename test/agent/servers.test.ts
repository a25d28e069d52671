/**
 * The loopback credentials endpoint (docs/agent.md, ECS container-credentials protocol;
 * @aws-sdk/credential-provider-http's fromHttp is used as a real client) and the health /
 * metrics server (Prometheus text format 0.0.4).
 */
import { fromHttp } from "@aws-sdk/credential-providers";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../agent/config.js";
import { startEndpointServer, type EndpointAnswer, type RunningServer } from "../../agent/endpoint-server.js";
import { startHealthServer } from "../../agent/health-server.js";
import { RequestCounters, exposition, renderMetrics } from "../../agent/metrics.js";
import type { PublishedCredential } from "../../agent/published-credential.js";
import { createHarness, started } from "../support/agent-harness.js";
import { engines } from "../support/fake-vault.js";

const TOKEN = "3q2-7wAAAAAendpointtokenAAAAAAAAAAAAAAAAAAAA";
const [spec] = parseAgentConfig({
  version: 1,
  mode: "sidecar",
  vault: { address: "https://vault:8200", role: "r" },
  credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws" }],
  context: { namespace: "n", serviceAccount: "s" },
}).credentials;
const CRED: PublishedCredential = {
  spec: spec!,
  seq: 1,
  credential: { accessKeyId: "ASIAENDPOINT", secretAccessKey: "secret/+=", sessionToken: "" },
  expiration: Date.now() + 3_600_000,
  validUntil: Date.now() + 3_600_000,
};

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function endpoint(answer: (name: string) => EndpointAnswer, seen: [string | undefined, number][] = []): Promise<string> {
  server = await startEndpointServer({ host: "127.0.0.1", port: 0, token: TOKEN, answer, onRequest: (n, s) => seen.push([n, s]) });
  return `http://127.0.0.1:${server.port}`;
}

describe("credentials endpoint", () => {
  it("serves the ECS container-credentials document that the JS SDK's fromHttp accepts", async () => {
    const base = await endpoint((name) => (name === "etl" ? { status: 200, credential: CRED } : { status: 404, message: "unknown" }));
    const res = await fetch(`${base}/v1/credentials/etl`, { headers: { authorization: TOKEN } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["AccessKeyId", "SecretAccessKey", "Token", "Expiration"]);
    expect(body["Token"]).toBe("");
    expect(body["Expiration"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const creds = await fromHttp({ awsContainerCredentialsFullUri: `${base}/v1/credentials/etl`, awsContainerAuthorizationToken: TOKEN })();
    expect(creds.accessKeyId).toBe("ASIAENDPOINT");
    expect(creds.secretAccessKey).toBe("secret/+=");
    expect(creds.expiration?.getTime()).toBe(Math.floor(CRED.expiration / 1000) * 1000);
  });

  it("answers 401 without a token, 403 with a wrong one, 404 for unknown names, 503 before the first fetch", async () => {
    const seen: [string | undefined, number][] = [];
    const base = await endpoint((name) => (name === "etl" ? { status: 503, message: "not fetched yet" } : { status: 404, message: `unknown credential "${name}"` }), seen);
    const get = (path: string, auth?: string): Promise<Response> => fetch(`${base}${path}`, auth === undefined ? {} : { headers: { authorization: auth } });
    expect((await get("/v1/credentials/etl")).status).toBe(401);
    expect((await get("/v1/credentials/etl", "wrong")).status).toBe(403);
    expect((await get("/v1/credentials/etl", `${TOKEN}x`)).status).toBe(403);
    const unknown = await get("/v1/credentials/other", TOKEN);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ Code: "NotFound", Message: 'unknown credential "other"' });
    const early = await get("/v1/credentials/etl", `Bearer ${TOKEN}`);
    expect(early.status).toBe(503);
    expect(early.headers.get("retry-after")).toBe("1");
    expect((await get("/elsewhere", TOKEN)).status).toBe(404);
    expect((await fetch(`${base}/v1/credentials/etl`, { method: "POST", headers: { authorization: TOKEN } })).status).toBe(405);
    expect(seen.map(([, s]) => s)).toEqual([401, 403, 403, 404, 503, 404, 405]);
  });

  it("names the address when the port is taken", async () => {
    await endpoint(() => ({ status: 404, message: "" }));
    await expect(startEndpointServer({ host: "127.0.0.1", port: server!.port, token: TOKEN, answer: () => ({ status: 404, message: "" }) })).rejects.toThrowError(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${server!.port}: .*EADDRINUSE`),
    );
  });

  it("only listens on the address it is given", async () => {
    await endpoint(() => ({ status: 404, message: "" }));
    const other = await fetch(`http://127.0.0.2:${server?.port}/v1/credentials/etl`).then(
      () => "reachable",
      () => "refused",
    );
    expect(other).toBe("refused");
  });
});

describe("health and metrics", () => {
  it("reports liveness, readiness once every credential was written, and Prometheus metrics", async () => {
    const h = createHarness({ credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws" }] }, (v) => v.engines.set("aws/sts/etl", engines.sts(3600)));
    const counters = new RequestCounters();
    counters.count(counters.vault, "POST 200");
    counters.count(counters.endpoint, "etl 200");
    server = await startHealthServer({ host: "127.0.0.1", port: 0, ready: () => h.machine.ready, metrics: () => renderMetrics(h.machine, counters, h.time.now()) });
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    await started(h);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const lines = text.trim().split("\n");
    for (const line of lines) expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+)$/);
    const value = (series: string): number => Number(lines.find((l) => l.startsWith(`${series} `))?.split(" ")[1]);
    expect(value('avi_agent_credential_expiry_timestamp_seconds{credential="etl"}')).toBe(Math.floor((h.time.now() + 3_600_000) / 1000));
    expect(value('avi_agent_vault_logins_total{result="success"}')).toBe(1);
    expect(value('avi_agent_credential_fetches_total{credential="etl"}')).toBe(1);
    expect(value('avi_agent_vault_requests_total{method="POST",outcome="200"}')).toBe(1);
    expect(value("avi_agent_ready")).toBe(1);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("counts failed file writes as a counter and shows the current run of failures as a gauge", async () => {
    const h = createHarness({ credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws" }] }, (v) => v.engines.set("aws/sts/etl", engines.sts(3600)));
    h.failWrites = "ENOSPC";
    await started(h);
    await h.time.advance(4_000);
    const value = (series: string): number => Number(renderMetrics(h.machine, new RequestCounters(), h.time.now()).split("\n").find((l) => l.startsWith(`${series} `))?.split(" ")[1]);
    const failed = value("avi_agent_file_write_failures_total");
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(value("avi_agent_file_write_consecutive_failures")).toBe(failed);
    expect(renderMetrics(h.machine, new RequestCounters(), h.time.now())).toContain("# TYPE avi_agent_file_write_failures_total counter");
    h.failWrites = undefined;
    await h.time.advance(40_000);
    expect(value("avi_agent_file_write_consecutive_failures")).toBe(0);
    expect(value("avi_agent_file_write_failures_total")).toBe(failed);
  });

  it("escapes label values", () => {
    expect(exposition([{ name: "x", help: "h", type: "gauge", samples: [[{ a: 'q"\\\n' }, 1]] }])).toBe('# HELP x h\n# TYPE x gauge\nx{a="q\\"\\\\\\n"} 1\n');
  });
});
