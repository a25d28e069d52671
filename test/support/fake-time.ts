/**
 * A manual clock for the agent's Clock & Timers: tests move time with `advance()`; due timers fire in
 * time order, and the test settles pending promise chains between them. No real waiting.
 */
import type { Cancel, Clock, Timers } from "../../agent/clock.js";

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export class FakeTime implements Clock, Timers {
  private pending: Pending[] = [];
  private seq = 0;

  constructor(private current = Date.UTC(2026, 4, 1, 10, 0, 0)) {}

  now(): number {
    return this.current;
  }

  at(at: number, fn: () => void): Cancel {
    const entry = { at, seq: this.seq++, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  /** A promise that resolves when fake time reaches now + ms. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.current + ms, resolve));
  }

  get timers(): number {
    return this.pending.length;
  }

  /** When the next timer fires (Infinity when none is armed). */
  get nextAt(): number {
    return this.pending.reduce((min, p) => Math.min(min, p.at), Infinity);
  }

  /** Moves time forward by `ms`, firing due timers in order and settling between them. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await flush();
    for (;;) {
      const due = this.pending.filter((p) => p.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
      await flush();
    }
    this.current = Math.max(this.current, target);
    await flush();
  }
}

/** Lets every promise chain that is not waiting on fake time run to completion. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
