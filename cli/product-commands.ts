import type { CommandTable } from "./dispatch.js";

// What the image ships. Each command is imported only when it runs: the agent (started in every task
// pod) must not pay for parsing the webhook or the offline injector.
export const productCommands: CommandTable = {
  agent: { summary: "run the credentials agent configured by AVI_AGENT_CONFIG", load: async () => (await import("./commands/agent.js")).agentCommand },
  version: { summary: "print the version", load: async () => (await import("./commands/version.js")).versionCommand },
  webhook: { summary: "run the mutating admission webhook (HTTPS)", load: async () => (await import("./commands/webhook.js")).webhookCommand },
  inject: { summary: "inject credentials into pod/workload YAML offline", load: async () => (await import("./commands/inject.js")).injectCommand },
};
