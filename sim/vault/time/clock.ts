/**
 * The simulator's single source of time. Every TTL (tokens, leases, JWT exp/nbf/iat checks, KV
 * timestamps, STS expirations) reads `now()` from one clock, so a test can freeze time, jump it forward,
 * or run it faster than real time (a 24-hour soak in minutes) and everything stays consistent.
 *
 * Sim time = anchor + (real elapsed since anchor) × scale. Timers are kept in sim time: a real timer is
 * armed only for the earliest one (delay ÷ scale), and `advance()` fires every timer that falls due, in
 * order, synchronously — so expiry side effects happen at their deadline even if nobody asks.
 */

/** What the rest of the simulators need from a clock: epoch milliseconds. */
export interface NowSource {
  now(): number;
}

export interface SimClock extends NowSource {
  /** Sim-time speed relative to real time: 1 = real time, 60 = a minute per second, 0 = frozen. */
  readonly scale: number;
  setScale(scale: number): void;
  /** Jump forward by `ms` of sim time, firing every timer that falls due on the way, in order. */
  advance(ms: number): void;
  /** Set sim time to an absolute epoch-ms instant (forward or backward); timers now due fire. */
  set(epochMs: number): void;
  /** Run `fn` when sim time reaches `atMs`. Returns a cancel function. */
  schedule(atMs: number, fn: () => void): () => void;
  /** Number of pending timers (diagnostics). */
  readonly pendingTimers: number;
  /** Stop the real timer; pending sim timers stay but never fire unless `advance()` is called. */
  dispose(): void;
}

export interface SimClockOptions {
  /** Initial sim time (default: the real current time). */
  start?: number | Date;
  /** Initial scale (default 1). */
  scale?: number;
  /** Called when a timer callback throws (default: rethrown asynchronously via `queueMicrotask`). */
  onTimerError?: (err: unknown) => void;
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

const MAX_REAL_DELAY = 2 ** 31 - 1;

/** Create a clock. TSDoc: see {@link SimClock}. */
export function createSimClock(options: SimClockOptions = {}): SimClock {
  const realNow = (): number => performance.now();
  let anchorSim = options.start instanceof Date ? options.start.getTime() : (options.start ?? Date.now());
  let anchorReal = realNow();
  let scale = validScale(options.scale ?? 1);
  let seq = 0;
  let timers: Timer[] = [];
  let realTimer: NodeJS.Timeout | undefined;
  let disposed = false;
  let firing = false;
  const onTimerError =
    options.onTimerError ??
    ((err: unknown) => {
      queueMicrotask(() => {
        throw err;
      });
    });

  const now = (): number => anchorSim + (realNow() - anchorReal) * scale;

  function reanchor(): void {
    anchorSim = now();
    anchorReal = realNow();
  }

  function fireDue(): void {
    if (firing) return;
    firing = true;
    try {
      for (;;) {
        const next = timers[0];
        if (next === undefined || next.at > now()) break;
        timers.shift();
        if (next.cancelled) continue;
        try {
          next.fn();
        } catch (err) {
          onTimerError(err);
        }
      }
    } finally {
      firing = false;
    }
    arm();
  }

  function arm(): void {
    if (realTimer !== undefined) clearTimeout(realTimer);
    realTimer = undefined;
    timers = timers.filter((t) => !t.cancelled);
    const next = timers[0];
    if (disposed || next === undefined || scale === 0) return;
    const delay = Math.max(0, Math.min(MAX_REAL_DELAY, Math.ceil((next.at - now()) / scale)));
    realTimer = setTimeout(fireDue, delay);
    realTimer.unref();
  }

  return {
    now,
    get scale() {
      return scale;
    },
    setScale(next: number) {
      reanchor();
      scale = validScale(next);
      arm();
    },
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock.advance(${ms}): must be a non-negative number of milliseconds`);
      reanchor();
      // Step through due timers one deadline at a time so each callback sees now() == its deadline.
      const target = anchorSim + ms;
      for (;;) {
        const next = timers.find((t) => !t.cancelled);
        if (next === undefined || next.at > target) break;
        anchorSim = Math.max(anchorSim, next.at);
        anchorReal = realNow();
        fireDue();
      }
      anchorSim = target;
      anchorReal = realNow();
      fireDue();
    },
    set(epochMs: number) {
      if (!Number.isFinite(epochMs)) throw new RangeError(`clock.set(${epochMs}): not a finite epoch-ms value`);
      if (epochMs >= now()) {
        this.advance(epochMs - now());
        return;
      }
      anchorSim = epochMs;
      anchorReal = realNow();
      arm();
    },
    schedule(atMs: number, fn: () => void) {
      const timer: Timer = { at: atMs, seq: seq++, fn, cancelled: false };
      // Binary insertion keeps timers ordered by (at, seq).
      let lo = 0;
      let hi = timers.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const t = timers[mid]!;
        if (t.at < atMs || (t.at === atMs && t.seq < timer.seq)) lo = mid + 1;
        else hi = mid;
      }
      timers.splice(lo, 0, timer);
      if (lo === 0 && !firing) arm();
      return () => {
        timer.cancelled = true;
      };
    },
    get pendingTimers() {
      return timers.filter((t) => !t.cancelled).length;
    },
    dispose() {
      disposed = true;
      if (realTimer !== undefined) clearTimeout(realTimer);
      realTimer = undefined;
    },
  };
}

function validScale(scale: number): number {
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`clock scale ${scale}: must be a finite number ≥ 0 (0 freezes time)`);
  return scale;
}
