/**
 * How many Vault requests a Vault Agent–style client makes for the same TTLs, the yardstick of the
 * agent benchmark's "Vault requests per pod-hour" figure. It follows Vault's `api/lifetime_watcher.go` and
 * `command/agentproxyshared/auth/auth.go`:
 * - auth: login, then a LifetimeWatcher on the token (which renews immediately, then at
 *   ⅔·remaining + ⅓·grace) until its exit condition, then login again;
 * - a renewable lease: fetched, then a LifetimeWatcher (immediate renewal, then the same rhythm) until
 *   it exits (max TTL reached), then fetched again;
 * - a non-renewable lease: fetched, waited out by the LifetimeWatcher (exit at ⅔ + ⅓ grace), fetched again;
 * - a lease-less secret: read every `static_secret_render_interval` (5 min).
 * It is deliberately the watcher alone: Vault Agent's template runner also re-reads every secret when it
 * gets a new token, which would only make the yardstick larger.
 */
import { calculateGrace, renewSleep, renewalExhausted } from "../agent/lifecycle/lifetime.js";

export type ModelSecret =
  | { readonly kind: "non-renewable"; readonly ttlS: number }
  | { readonly kind: "renewable"; readonly ttlS: number; readonly maxS: number }
  | { readonly kind: "lease-less"; readonly intervalS: number };

export interface ModelScenario {
  readonly hours: number;
  readonly token: { readonly ttlS: number; readonly maxS: number };
  readonly secrets: readonly ModelSecret[];
}

export interface ModelCounts {
  logins: number;
  tokenRenewals: number;
  reads: number;
  leaseRenewals: number;
}

/**
 * One watcher starting at `start` on a lease whose absolute cap is `start + maxMs`; counts renewals
 * before `end` and returns when the watcher exits (the caller re-authenticates or re-fetches then).
 */
function watch(start: number, end: number, ttlMs: number, maxMs: number, renew: boolean, random: () => number, onRenew: () => void): number {
  let now = start;
  let remaining = ttlMs;
  let grace = calculateGrace(ttlMs, ttlMs, random());
  let prior = ttlMs;
  for (;;) {
    if (now >= end) return now;
    if (renew) {
      onRenew();
      remaining = Math.min(ttlMs, start + maxMs - now);
      if (remaining > prior) {
        prior = remaining;
        grace = calculateGrace(remaining, ttlMs, random());
      }
    }
    // The watcher exits before sleeping when the sleep would end inside the grace.
    if (renewalExhausted(remaining, grace)) return now;
    const sleep = renewSleep(remaining, grace);
    now += sleep;
    remaining -= sleep;
  }
}

export function lifetimeWatcherModel(scenario: ModelScenario, random: () => number): ModelCounts {
  const end = scenario.hours * 3_600_000;
  const counts: ModelCounts = { logins: 0, tokenRenewals: 0, reads: 0, leaseRenewals: 0 };
  // Token: login, watcher (immediate renewal included), login again when it exits.
  for (let t = 0; t < end; ) {
    counts.logins++;
    const exit = watch(t, end, scenario.token.ttlS * 1000, scenario.token.maxS * 1000, true, random, () => {
      counts.tokenRenewals++;
    });
    t = Math.max(exit, t + 1000);
  }
  for (const secret of scenario.secrets) {
    for (let t = 0; t < end; ) {
      counts.reads++;
      if (secret.kind === "lease-less") {
        t += secret.intervalS * 1000;
        continue;
      }
      const maxMs = secret.kind === "renewable" ? secret.maxS * 1000 : secret.ttlS * 1000;
      const exit = watch(t, end, secret.ttlS * 1000, maxMs, secret.kind === "renewable", random, () => {
        counts.leaseRenewals++;
      });
      t = Math.max(exit, t + 1000);
    }
  }
  return counts;
}

export function totalRequests(c: ModelCounts): number {
  return c.logins + c.tokenRenewals + c.reads + c.leaseRenewals;
}
