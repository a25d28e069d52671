/**
 * Signals on the real agent process, with Vault hanging on revocations (a sim fault): SIGTERM ends
 * within the shutdown grace with exit code 0; a second signal ends it at once.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, startAgentProcess, type AgentProcess } from "../support/agent-process.js";
import { stageAgentConfig, startVaultStage, type VaultStage } from "../support/vault-stage.js";

let stage: VaultStage;
let agent: AgentProcess | undefined;

beforeEach(async () => {
  stage = await startVaultStage();
});

afterEach(async () => {
  await agent?.stop("SIGKILL");
  agent = undefined;
  await stage.stop();
});

async function readyAgentWithHangingRevocations(): Promise<AgentProcess> {
  const config = stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }], { shutdownGrace: "2s" });
  const a = startAgentProcess(config, cleanEnv(stage.dir, {}), stage.outputDir);
  await a.ready();
  stage.vault.controls.addFault({ path: "sys/leases/revoke", action: { type: "hang" } });
  return a;
}

describe("agent signals", () => {
  it("SIGTERM: exits 0 once the shutdown grace is over, even when Vault never answers", async () => {
    agent = await readyAgentWithHangingRevocations();
    const t0 = Date.now();
    const code = await agent.stop("SIGTERM");
    const elapsed = Date.now() - t0;
    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(5_000);
    expect(agent.output.join("\n")).toMatch(/shutdown grace exceeded/);
  }, 30_000);

  it("a second signal exits at once", async () => {
    agent = await readyAgentWithHangingRevocations();
    const exited = agent.exited;
    agent.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    agent.child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(1_000);
  }, 30_000);
});
