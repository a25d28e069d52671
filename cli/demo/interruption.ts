/**
 * How `avi demo` reacts to Ctrl-C/SIGTERM: the first signal rejects whatever step is awaited through
 * {@link Interruption.race} (so teardown starts at once), except during `--keep`'s wait, which it ends
 * normally. A second signal is the command's business (it exits without waiting).
 */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

/** The shell's convention: 128 + the signal number. */
export const interruptedExitCode = (signal: NodeJS.Signals): number => (signal === "SIGTERM" ? 143 : 130);

export class Interruption {
  private reject?: (err: Interrupted) => void;
  private readonly interrupted: Promise<never>;
  private release?: () => void;

  constructor() {
    this.interrupted = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.interrupted.catch(() => undefined);
  }

  /** `p`, or an {@link Interrupted} rejection as soon as a signal arrives. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.interrupted]);
  }

  /** Resolves at the next signal instead of interrupting (`--keep`). */
  async untilSignal(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.release = resolve;
    });
    this.release = undefined;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.release !== undefined) return this.release();
    this.reject?.(new Interrupted(signal));
  }
}
