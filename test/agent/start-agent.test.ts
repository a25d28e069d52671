/**
 * The wired agent in-process: real files in a temporary directory, real loopback endpoint and health
 * servers on ephemeral ports, the in-memory Vault fake on fake time. Then `avi agent`'s config errors.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../agent/config.js";
import { EndpointTokenError, endpointTokenFromEnv, newEndpointToken } from "../../agent/endpoint-token.js";
import { startAgent, type RunningAgent } from "../../agent/start-agent.js";
import { agentCommand } from "../../cli/commands/agent.js";
import { UsageError } from "../../cli/command.js";
import { BASE_CONFIG, seededRandom } from "../support/agent-harness.js";
import { FakeTime } from "../support/fake-time.js";
import { FakeVault, engines } from "../support/fake-vault.js";

let dir: string | undefined;
let agent: RunningAgent | undefined;
afterEach(async () => {
  if (agent !== undefined) {
    agent.stop("test end");
    await agent.done;
  }
  agent = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(mode: "sidecar" | "init" = "sidecar"): { time: FakeTime; vault: FakeVault; cfg: ReturnType<typeof parseAgentConfig>; lines: string[]; logger: pino.Logger } {
  dir = mkdtempSync(join(tmpdir(), "avi-agent-"));
  writeFileSync(join(dir, "token"), "eyJhbGciOiJSUzI1NiJ9.e30.sig");
  const cfg = parseAgentConfig({
    ...BASE_CONFIG,
    mode,
    vault: { ...BASE_CONFIG.vault, tokenFile: join(dir, "token") },
    outputDir: join(dir, "out"),
    fileMode: 0o440,
    endpoint: { port: 0 },
    health: { host: "127.0.0.1", port: 0 },
    credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws", endpoint: "http://rgw.test:8080", region: "default" }],
  });
  const time = new FakeTime();
  const vault = new FakeVault(time);
  vault.engines.set("aws/sts/etl", engines.sts(3600));
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
  return { time, vault, cfg, lines, logger };
}

/** Settles fake time and the agent's real file I/O until `check` holds. */
async function until(check: () => boolean, time: FakeTime, settle: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 50 && !check(); i++) {
    await time.advance(0);
    await settle();
  }
  expect(check()).toBe(true);
}

describe("startAgent", () => {
  it("writes the files with their modes, serves the endpoint with the token from endpoint-token, reports ports, revokes on stop", async () => {
    const { time, vault, cfg, logger, lines } = setup();
    agent = await startAgent(cfg, { time, vault, logger, random: seededRandom(3) });
    const a = agent;
    await until(() => a.machine.ready, time, () => a.runtime.settled());
    const out = cfg.outputDir;
    const token = readFileSync(join(out, "endpoint-token"), "utf8");
    expect(token).toBe(a.endpointToken);
    expect(token).not.toMatch(/\s/);
    expect(statSync(join(out, "etl.json")).mode & 0o777).toBe(0o440);
    const status = JSON.parse(readFileSync(join(out, "status.json"), "utf8"));
    expect(status.endpoint.url).toBe(`http://127.0.0.1:${a.endpointPort}/v1/credentials/`);
    expect(status.ready).toBe(true);

    const res = await fetch(`http://127.0.0.1:${a.endpointPort}/v1/credentials/etl`, { headers: { authorization: token } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { AccessKeyId: string }).AccessKeyId).toMatch(/^ASIAFAKE/);
    expect((await fetch(`http://127.0.0.1:${a.healthPort}/ready`)).status).toBe(200);

    a.stop("SIGTERM");
    expect(await a.done).toBe(0);
    agent = undefined;
    expect(vault.count("revokeLease")).toBe(1);
    expect(vault.count("revokeSelf")).toBe(1);
    await expect(fetch(`http://127.0.0.1:${a.endpointPort}/v1/credentials/etl`)).rejects.toThrow();
    expect(readFileSync(join(out, "etl.json"), "utf8")).toMatch(/ASIAFAKE/);
    // A clean run logs no warning or error.
    expect(lines.filter((l) => /"level":(40|50)/.test(l))).toEqual([]);
  });

  it("serves with the injector's token (AVI_ENDPOINT_TOKEN) and writes that same token to endpoint-token", async () => {
    const { time, vault, cfg, logger, lines } = setup();
    const injected = newEndpointToken();
    agent = await startAgent(cfg, { time, vault, logger, random: seededRandom(3), endpointToken: injected });
    const a = agent;
    await until(() => a.machine.ready, time, () => a.runtime.settled());
    expect(a.endpointToken).toBe(injected);
    expect(readFileSync(join(cfg.outputDir, "endpoint-token"), "utf8")).toBe(injected);
    const url = `http://127.0.0.1:${a.endpointPort}/v1/credentials/etl`;
    expect((await fetch(url, { headers: { authorization: injected } })).status).toBe(200);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: newEndpointToken() } })).status).toBe(403);
    expect(lines.join("")).not.toContain(injected);
  });

  it("exits 0 after the shutdown grace when Vault does not answer the revocations", async () => {
    const { time, vault, cfg, lines, logger } = setup();
    agent = await startAgent(cfg, { time, vault, logger });
    const a = agent;
    await until(() => a.machine.ready, time, () => a.runtime.settled());
    vault.delays.revokeLease = 60_000;
    a.stop("SIGTERM");
    await time.advance(5_000);
    expect(await a.done).toBe(0);
    agent = undefined;
    expect(lines.some((l) => l.includes("shutdown grace exceeded"))).toBe(true);
  });

  it("init mode: no servers, exits 0 once written", async () => {
    const { time, vault, cfg, logger } = setup("init");
    agent = await startAgent(cfg, { time, vault, logger });
    expect(agent.endpointPort).toBeUndefined();
    const a = agent;
    await until(() => a.machine.phase === "stopped", time, () => a.runtime.settled());
    expect(await agent.done).toBe(0);
    agent = undefined;
    expect(readFileSync(join(cfg.outputDir, "etl.json"), "utf8")).toMatch(/ASIAFAKE/);
    expect(() => readFileSync(join(cfg.outputDir, "endpoint-token"))).toThrow();
  });
});

describe("avi agent", () => {
  it("refuses an invalid config, naming the field", async () => {
    const saved = process.env["AVI_AGENT_CONFIG"];
    process.env["AVI_AGENT_CONFIG"] = JSON.stringify({ ...BASE_CONFIG, credentials: [{ name: "etl", path: "/v1/aws/sts/etl", format: "aws" }] });
    try {
      await expect(agentCommand.run([])).rejects.toThrowError(UsageError);
      await expect(agentCommand.run([])).rejects.toThrowError(/credentials\.0\.path: must be a Vault API path/);
      delete process.env["AVI_AGENT_CONFIG"];
      await expect(agentCommand.run([])).rejects.toThrowError(/AVI_AGENT_CONFIG is not set/);
      await expect(agentCommand.run(["--port", "1"])).rejects.toThrowError(/takes no arguments/);
    } finally {
      if (saved === undefined) delete process.env["AVI_AGENT_CONFIG"];
      else process.env["AVI_AGENT_CONFIG"] = saved;
    }
  });

  it("refuses a malformed AVI_ENDPOINT_TOKEN before starting, without echoing it", async () => {
    const saved = { config: process.env["AVI_AGENT_CONFIG"], token: process.env["AVI_ENDPOINT_TOKEN"] };
    process.env["AVI_AGENT_CONFIG"] = JSON.stringify({ ...BASE_CONFIG, credentials: [{ name: "etl", path: "aws/sts/etl", format: "aws" }] });
    process.env["AVI_ENDPOINT_TOKEN"] = "short secret value";
    try {
      const failure = agentCommand.run([]);
      await expect(failure).rejects.toThrowError(UsageError);
      await expect(failure).rejects.toThrowError(/AVI_ENDPOINT_TOKEN must be 32-512 characters of base64url .* got 18 characters including others/);
      await expect(failure).rejects.not.toThrowError(/short secret value/);
    } finally {
      for (const [name, value] of [["AVI_AGENT_CONFIG", saved.config], ["AVI_ENDPOINT_TOKEN", saved.token]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("endpointTokenFromEnv", () => {
  it("takes a base64url token of 32-512 characters, absent means the agent makes one", () => {
    const token = newEndpointToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newEndpointToken()).not.toBe(token);
    expect(endpointTokenFromEnv({ AVI_ENDPOINT_TOKEN: token })).toBe(token);
    expect(endpointTokenFromEnv({})).toBeUndefined();
    for (const bad of ["", "a".repeat(31), "a".repeat(513), `${token}=`, `${token.slice(0, 40)} x`, `${token}\n`]) {
      expect(() => endpointTokenFromEnv({ AVI_ENDPOINT_TOKEN: bad }), JSON.stringify(bad)).toThrowError(EndpointTokenError);
    }
  });
});
