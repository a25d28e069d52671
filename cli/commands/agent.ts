/**
 * `avi agent`: the credentials sidecar (or init container). Its whole configuration comes from
 * `AVI_AGENT_CONFIG` (JSON, written by the injector) plus the downward-API pod identity; there are no
 * flags to keep in sync with the injector. SIGTERM/SIGINT: revoke and exit 0 within the grace; a
 * second signal exits at once.
 */
import { AgentConfigError, ENDPOINT_TOKEN_ENV, POD_NAME_ENV, POD_NAMESPACE_ENV, POD_UID_ENV, agentConfigFromEnv } from "../../agent/config.js";
import { EndpointTokenError, endpointTokenFromEnv } from "../../agent/endpoint-token.js";
import { startAgent } from "../../agent/start-agent.js";
import { UsageError, type Command } from "../command.js";
import { AVI_VERSION } from "../version.js";

const HELP = `usage: avi agent

Runs the credentials agent configured by the AVI_AGENT_CONFIG environment variable (JSON, written by
the injector; see docs/agent.md). Pod identity comes from ${POD_NAME_ENV}, ${POD_NAMESPACE_ENV}, ${POD_UID_ENV};
the endpoint token from ${ENDPOINT_TOKEN_ENV} when the injector made it (else the agent makes one).
`;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export const agentCommand: Command = {
  summary: "run the credentials agent (sidecar or init) configured by AVI_AGENT_CONFIG",
  async run(argv) {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(HELP);
      return 0;
    }
    if (argv.length > 0) throw new UsageError(`agent takes no arguments (got ${argv.join(" ")}); it is configured by AVI_AGENT_CONFIG`);
    let cfg;
    let endpointToken;
    try {
      cfg = agentConfigFromEnv(process.env);
      endpointToken = endpointTokenFromEnv(process.env);
    } catch (err) {
      if (err instanceof AgentConfigError || err instanceof EndpointTokenError) throw new UsageError(err.message);
      throw err;
    }
    const agent = await startAgent(cfg, {
      ...(endpointToken !== undefined && { endpointToken }),
      pod: { name: process.env[POD_NAME_ENV], namespace: process.env[POD_NAMESPACE_ENV], uid: process.env[POD_UID_ENV] },
      version: AVI_VERSION,
    });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) process.exit(SIGNAL_EXIT[signal] ?? 1);
      signalled = true;
      agent.stop(signal);
    };
    let signalled = false;
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const code = await agent.done;
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    return code;
  },
};
