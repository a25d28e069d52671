import { UsageError, type Command } from "../command.js";

// Simulators are loaded only when asked for: each pulls in its own (test-only) code.
const simulators: Record<string, { summary: string; load: () => Promise<Command> }> = {
  vault: { summary: "Vault HTTP API simulator (dev/test only, like `vault server -dev`)", load: async () => (await import("./sim-vault.js")).simVaultCommand },
};

function usage(): string {
  const lines = Object.entries(simulators).map(([name, s]) => `  ${name.padEnd(6)}  ${s.summary}`);
  return `usage: avi sim <simulator> [options]\n\nsimulators:\n${lines.join("\n")}\n`;
}

export const simCommand: Command = {
  summary: "run a test double (vault)",
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      process.stdout.write(usage());
      return name === undefined ? 2 : 0;
    }
    const entry = simulators[name];
    if (entry === undefined) throw new UsageError(`unknown simulator "${name}"; available: ${Object.keys(simulators).join(", ")}`);
    return (await entry.load()).run(rest);
  },
};
