import { UsageError, type Command } from "./command.js";

// Each command is imported only when it runs: the agent (started in every task pod) must not pay
// for parsing the webhook, the simulators or the offline injector.
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  agent: { summary: "run the credentials agent configured by AVI_AGENT_CONFIG", load: async () => (await import("./commands/agent.js")).agentCommand },
  version: { summary: "print the version", load: async () => (await import("./commands/version.js")).versionCommand },
  webhook: { summary: "run the mutating admission webhook (HTTPS)", load: async () => (await import("./commands/webhook.js")).webhookCommand },
  inject: { summary: "inject credentials into pod/workload YAML offline", load: async () => (await import("./commands/inject.js")).injectCommand },
  demo: { summary: "run the product end to end on this machine (Vault, webhook, agent, Ceph RGW when installed)", load: async () => (await import("./commands/demo.js")).demoCommand },
  sim: { summary: "run a test double: `avi sim vault` (dev/test only)", load: async () => (await import("./commands/sim.js")).simCommand },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: avi <command> [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") return main(["version"]);
  const entry = commands[name];
  if (entry === undefined) {
    process.stderr.write(`avi: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`avi: ${err.message}\n`);
    else process.stderr.write(`avi: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
