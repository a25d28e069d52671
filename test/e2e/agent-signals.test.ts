/**
 * Signals on the real agent process, with Vault hanging on revocations (a sim fault): SIGTERM ends
 * within the shutdown grace with exit code 0; a second signal ends it at once.
 */
import { describe, expect, it } from "vitest";
import type { AgentProcess } from "../support/agent-process.js";
import { agentStagePerTest } from "../support/agent-stage.js";
import { stageAgentConfig } from "../support/vault-stage.js";

const run = agentStagePerTest();

async function readyAgentWithHangingRevocations(): Promise<AgentProcess> {
  const config = stageAgentConfig(run.stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }], { shutdownGrace: "2s" });
  const a = run.startAgent(config);
  await a.ready();
  run.stage.vault.controls.addFault({ path: "sys/leases/revoke", action: { type: "hang" } });
  return a;
}

describe("agent signals", () => {
  it("SIGTERM: exits 0 once the shutdown grace is over, even when Vault never answers", async () => {
    const agent = await readyAgentWithHangingRevocations();
    const t0 = Date.now();
    const code = await agent.stop("SIGTERM");
    const elapsed = Date.now() - t0;
    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(5_000);
    expect(agent.output.join("\n")).toMatch(/shutdown grace exceeded/);
  }, 30_000);

  it("a second signal exits at once", async () => {
    const agent = await readyAgentWithHangingRevocations();
    const exited = agent.exited;
    agent.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    agent.child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(Date.now() - t0).toBeLessThan(1_000);
  }, 30_000);
});
