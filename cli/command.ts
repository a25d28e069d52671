/** One `avi` subcommand. `run` receives the arguments after the command name and returns the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A failure the user can fix; printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
