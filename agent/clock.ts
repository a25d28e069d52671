/**
 * Time as the agent sees it: a wall clock (epoch milliseconds; the served `Expiration` is wall-clock
 * time, so a monotonic clock would not do) and absolute-time timers. Both are injected so tests drive
 * time and benchmarks compress it; nothing in the agent calls Date.now() or setTimeout() directly.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Cancels a scheduled timer; calling it twice, or after the timer fired, is harmless. */
export type Cancel = () => void;

export interface Timers {
  /** Runs `fn` once `clock.now() >= at` (immediately, on a later tick, if `at` is already past). */
  at(at: number, fn: () => void): Cancel;
}

// setTimeout overflows above 2^31-1 ms (~24.8 days) and fires at once; longer waits re-arm.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Timers on a clock that runs `scale` times faster than real time (scale 1 = real time). The scaled
 * clock starts at the real time of creation; benchmarks and soak tests use it to compress hours.
 */
export class ScaledTime implements Clock, Timers {
  private readonly origin = Date.now();

  constructor(private readonly scale = 1) {
    if (!(scale > 0)) throw new Error(`time scale must be positive, got ${scale}`);
  }

  now(): number {
    return this.origin + (Date.now() - this.origin) * this.scale;
  }

  at(at: number, fn: () => void): Cancel {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = Math.max(0, (at - this.now()) / this.scale);
      handle = setTimeout(
        () => {
          if (cancelled) return;
          if (this.now() < at) arm();
          else fn();
        },
        Math.min(Math.ceil(delay), MAX_TIMEOUT_MS),
      );
    };
    arm();
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    };
  }
}

/** The real clock and timers. */
export const systemTime = new ScaledTime(1);
