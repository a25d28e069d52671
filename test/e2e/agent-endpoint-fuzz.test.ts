/**
 * The real agent process (`node dist/avi.js agent`) against hostile requests from inside the pod
 * (issue 11, items 7, 8, 10): a malformed %-escape without a token used to end the process with an
 * uncaught URIError; request names used to become metric series; a taken port must end the agent.
 * bench/endpoint-fuzz.ts runs the same fuzz longer and prints RESULT agent_crashes=.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agentStagePerTest } from "../support/agent-stage.js";
import { fuzzEndpoint } from "../support/endpoint-fuzz.js";
import { stageAgentConfig } from "../support/vault-stage.js";

const run = agentStagePerTest();

async function get(port: number, path: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, token === undefined ? {} : { headers: { authorization: token } });
  return { status: res.status, text: await res.text() };
}

describe("agent endpoint under hostile requests", () => {
  it("survives GET /v1/credentials/% and a seeded fuzz; metrics label only configured names; SIGTERM still revokes", async () => {
    const { stage } = run;
    const agent = run.startAgent(stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }]));
    const status = await agent.ready();
    const endpointPort = Number(new URL(status.endpoint?.url ?? "").port);
    const healthPort = status.endpoint?.healthPort ?? 0;
    const token = readFileSync(join(stage.outputDir, "endpoint-token"), "utf8");

    // The original crash: decoding happened before the token check.
    expect((await get(endpointPort, "/v1/credentials/%")).status).toBe(401);
    expect((await get(endpointPort, "/v1/credentials/%", token)).status).toBe(404);
    expect((await get(endpointPort, "/v1/credentials/etl", token)).status).toBe(200);

    const outcome = await fuzzEndpoint(
      { endpointPort, healthPort, token, names: ["etl", "nope"] },
      {
        seed: 11,
        requests: 600,
        onBatch: () => {
          expect(agent.child.exitCode, agent.output.join("\n")).toBeNull();
          return Promise.resolve();
        },
      },
    );
    expect(outcome.statuses.get("200")).toBeGreaterThan(0);
    expect(agent.child.exitCode).toBeNull();
    expect((await get(healthPort, "/healthz")).status).toBe(200);
    expect((await get(endpointPort, "/v1/credentials/etl", token)).status).toBe(200);

    const metrics = (await get(healthPort, "/metrics")).text;
    const labels = new Set([...metrics.matchAll(/^avi_agent_endpoint_requests_total\{credential="([^"]*)"/gm)].map((m) => m[1]));
    expect([...labels].sort()).toEqual(["-", "etl"]);
    expect(metrics.length).toBeLessThan(20_000);

    expect(await agent.stop("SIGTERM")).toBe(0);
    expect(agent.output.join("\n")).toMatch(/revoked/);
  }, 120_000);

  it("exits non-zero at once with a clear message when the endpoint or health port is taken", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (const taken of [{ endpoint: { port } }, { health: { host: "127.0.0.1", port } }]) {
        const agent = run.startAgent(stageAgentConfig(run.stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }], taken));
        const t0 = Date.now();
        const code = await agent.exited;
        expect(code).not.toBe(0);
        expect(code).not.toBeNull();
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(agent.output.join("\n")).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      }
    } finally {
      blocker.close();
    }
  }, 60_000);
});
