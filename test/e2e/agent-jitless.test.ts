/**
 * The agent runs with `--jitless` (agent/config.ts AGENT_NODE_OPTIONS), which turns WebAssembly off,
 * so Node's global `fetch` (undici, whose HTTP parser is llhttp compiled to WebAssembly) cannot work
 * in it. These tests prove the agent never needs it: its bundle takes nothing from undici and names no
 * global `fetch` or `WebAssembly`, and a real agent run (start, credentials served, revocation at
 * SIGTERM) never loads Node's bundled undici at all.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_OPTIONS } from "../../agent/config.js";
// @ts-expect-error -- the build script is plain ESM JavaScript without types
import { buildAll } from "../../scripts/build.mjs";
import { agentStagePerTest } from "../support/agent-stage.js";
import { stageAgentConfig } from "../support/vault-stage.js";

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

describe("agent bundle under --jitless", () => {
  let dir: string;
  let agentMeta: Metafile;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-jitless-"));
    agentMeta = ((await buildAll(join(dir, "dist"))) as { agent: Metafile }).agent;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes no code from undici and names no global fetch or WebAssembly", () => {
    expect(Object.keys(agentMeta.inputs).filter((p) => /undici/.test(p))).toEqual([]);
    const source = readFileSync(join(dir, "dist", "commands", "agent.js"), "utf8");
    // A call of the global (not a method such as `client.fetch(`), or the global object's property.
    expect(source.match(/(?<![\w$.])fetch\s*\(|globalThis\.fetch\b|\bWebAssembly\b|\bnew\s+(Request|Response|Headers)\s*\(/g)).toBeNull();
  });
});

describe("agent process under --jitless", () => {
  const run = agentStagePerTest();

  it("starts, serves credentials and revokes at SIGTERM without loading undici", async () => {
    expect(AGENT_NODE_OPTIONS.split(" ")).toContain("--jitless");
    const { stage } = run;
    const report = join(stage.dir, "modules.json");
    const preload = join(stage.dir, "module-report.cjs");
    writeFileSync(preload, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify({ wasm: typeof WebAssembly, modules: process.moduleLoadList })));\n`);
    const config = stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }]);
    const agent = run.startAgent(config, { NODE_OPTIONS: `${AGENT_NODE_OPTIONS} --require ${preload}` });
    const status = await agent.ready();
    expect(status.credentials["etl"]?.version).not.toBeNull();
    expect(await agent.stop("SIGTERM")).toBe(0);
    expect(stage.vault.requestLog.entries({}).some((e) => /revoke/.test(e.path))).toBe(true);
    const seen = JSON.parse(readFileSync(report, "utf8")) as { wasm: string; modules: string[] };
    expect(seen.wasm).toBe("undefined"); // the run really was jitless
    expect(seen.modules.filter((m) => /undici/.test(m))).toEqual([]);
  }, 30_000);
});
