/**
 * Teardown for `avi demo`: every start pushes its stop, and one unwind runs them newest first — at the
 * end, on failure and on Ctrl-C/SIGTERM alike. Each step is bounded so one hung stop cannot keep the
 * others (e.g. the Ceph cluster's removal) from running, and each problem is reported, never thrown.
 */
export interface CleanupStep {
  /** What the step stops, for the problem report ("Ceph RGW", "the demo's Vault mounts"). */
  readonly what: string;
  readonly run: () => Promise<unknown>;
}

export interface CleanupOptions {
  /** Receives `<what>: <problem>` for each step that failed or did not finish in time. */
  readonly report: (problem: string) => void;
  /** Upper bound per step (default 30 s): a pipeline stop waits for pod termination, Ceph's for its daemons. */
  readonly stepTimeoutMs?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 30_000;

export class CleanupStack {
  private readonly steps: CleanupStep[] = [];
  private readonly stepTimeoutMs: number;

  constructor(private readonly options: CleanupOptions) {
    this.stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  }

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }

  get size(): number {
    return this.steps.length;
  }

  /** Runs every step, newest first, each once; a second call runs only steps pushed since. */
  async unwind(): Promise<void> {
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      const problem = await this.attempt(step);
      if (problem !== undefined) this.options.report(`${step.what}: ${problem}`);
    }
  }

  private async attempt(step: CleanupStep): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`did not finish within ${this.stepTimeoutMs / 1000} s; moving on`), this.stepTimeoutMs);
    });
    try {
      const ran = Promise.resolve()
        .then(step.run)
        .then(
          () => undefined,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        );
      return await Promise.race([ran, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
