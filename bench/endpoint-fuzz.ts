/**
 * npm run bench:endpoint-fuzz — the built agent as a real process (sim Vault + Kubernetes auth stack),
 * its loopback endpoint and health port fuzzed over raw sockets (test/support/endpoint-fuzz.ts:
 * methods, malformed request targets, missing/wrong/oversized tokens, odd framing), several seeds.
 * After every batch the process must still run and answer /healthz; at the end SIGTERM must exit 0.
 * Last line: RESULT agent_crashes=<processes that died or stopped answering> requests=<sent>.
 * Knobs: FUZZ_SEEDS (default 5), FUZZ_REQUESTS per seed (default 2000).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, startAgentProcess } from "../test/support/agent-process.js";
import { fuzzEndpoint } from "../test/support/endpoint-fuzz.js";
import { stageAgentConfig, startVaultStage } from "../test/support/vault-stage.js";
import { machineInfo } from "./bench-support.js";

const SEEDS = Number(process.env["FUZZ_SEEDS"] ?? 5);
const REQUESTS = Number(process.env["FUZZ_REQUESTS"] ?? 2000);

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}

let crashes = 0;
let sent = 0;
const statuses = new Map<string, number>();
for (let seed = 1; seed <= SEEDS; seed++) {
  const stage = await startVaultStage();
  const agent = startAgentProcess(stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }]), cleanEnv(stage.dir, {}), stage.outputDir);
  try {
    const status = await agent.ready();
    const endpointPort = Number(new URL(status.endpoint?.url ?? "").port);
    const healthPort = status.endpoint?.healthPort ?? 0;
    const token = readFileSync(join(stage.outputDir, "endpoint-token"), "utf8");
    let down = false;
    const outcome = await fuzzEndpoint(
      { endpointPort, healthPort, token, names: ["etl", "other"] },
      {
        seed,
        requests: REQUESTS,
        onBatch: async () => {
          if (!down && (agent.child.exitCode !== null || !(await healthy(healthPort)))) down = true;
        },
      },
    );
    sent += outcome.requests;
    for (const [k, n] of outcome.statuses) statuses.set(k, (statuses.get(k) ?? 0) + n);
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    const code = await agent.stop("SIGTERM");
    if (down || code !== 0) crashes++;
    console.log(`seed ${seed}: ${outcome.requests} requests, alive=${!down}, exit=${code}, metrics ${metrics.length} bytes`);
  } catch (err) {
    crashes++;
    console.log(`seed ${seed}: ${(err as Error).message}\n${agent.output.slice(-20).join("\n")}`);
    await agent.stop("SIGKILL");
  } finally {
    await stage.stop();
  }
}
const m = machineInfo();
console.log(`statuses: ${[...statuses].sort().map(([k, n]) => `${k}=${n}`).join(" ")}`);
console.log(`node ${m.node}, ${m.nproc} cpus, load average ${m.loadavg}`);
console.log(`RESULT agent_crashes=${crashes} requests=${sent}`);
