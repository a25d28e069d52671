/** One `avi` subcommand. `run` receives the arguments after the command name and returns the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

const USAGE_ERROR = Symbol.for("airflow-vault-injector.UsageError");

/**
 * A failure the user can fix; printed without a stack trace. `avi agent` is bundled apart from the
 * other commands (scripts/build.mjs), so each bundle has its own copy of this class: `instanceof`
 * checks a registered symbol rather than the prototype chain, so one bundle recognises the other's.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly [USAGE_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { [USAGE_ERROR]?: unknown })[USAGE_ERROR] === true;
  }
}
