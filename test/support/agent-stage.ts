/**
 * A fresh Vault stage for each test, and the agent processes the test starts on it: after the test every
 * agent still running is killed and the stage stopped, so a failed assertion leaves nothing behind.
 */
import { afterEach, beforeEach } from "vitest";
import { cleanEnv, startAgentProcess, type AgentProcess } from "./agent-process.js";
import { startVaultStage, type StageOptions, type VaultStage } from "./vault-stage.js";

export interface AgentStage {
  /** The current test's stage (set in beforeEach). */
  readonly stage: VaultStage;
  /** Starts `avi agent` with `config`, HOME in the stage dir and `extraEnv`, writing to the stage's output dir. */
  startAgent(config: unknown, extraEnv?: Record<string, string>): AgentProcess;
}

export function agentStagePerTest(options: StageOptions = {}): AgentStage {
  let current: VaultStage | undefined;
  const agents: AgentProcess[] = [];
  beforeEach(async () => {
    current = await startVaultStage(options);
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop("SIGKILL")));
    await current?.stop();
    current = undefined;
  });
  return {
    get stage(): VaultStage {
      if (current === undefined) throw new Error("agentStagePerTest: the stage exists only inside a test");
      return current;
    },
    startAgent(config, extraEnv = {}) {
      const stage = this.stage;
      const agent = startAgentProcess(config, cleanEnv(stage.dir, extraEnv), stage.outputDir);
      agents.push(agent);
      return agent;
    },
  };
}
