import { UsageError, type Command } from "./command.js";

/** A command name → its summary and a loader, so a command's code is parsed only when it runs. */
export type CommandTable = Readonly<Record<string, { readonly summary: string; readonly load: () => Promise<Command> }>>;

function usage(bin: string, commands: CommandTable): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: ${bin} <command> [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

async function dispatch(bin: string, commands: CommandTable, argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage(bin, commands));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") return dispatch(bin, commands, ["version"]);
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (entry === undefined) {
    process.stderr.write(`${bin}: unknown command "${name}"\n\n${usage(bin, commands)}`);
    return 2;
  }
  const command = await entry.load();
  return command.run(rest);
}

/** Runs the command named by argv and sets the exit code; usage errors print without a stack trace. */
export function runCli(bin: string, commands: CommandTable, argv: readonly string[]): void {
  dispatch(bin, commands, argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) process.stderr.write(`${bin}: ${err.message}\n`);
      else process.stderr.write(`${bin}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
