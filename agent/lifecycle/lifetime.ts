/**
 * One renewal step for anything with a lease: the Vault token and every renewable credential lease.
 * Modelled on hashicorp/vault `api/lifetime_watcher.go`, `(*LifetimeWatcher).doRenewWithOptions`
 * and `calculateGrace` (api module v1.x, as used by Vault Agent 1.15+): after each renewal keep
 * re-computing the grace while the lease still grows, sleep ⅔ of what remains plus ⅓ of the grace,
 * and stop renewing once the next sleep would land inside the grace (the lease hit its max TTL).
 * Pure functions of milliseconds; `random` is injected. The token and credential machines apply the
 * step to their own records, so both follow the same rules and a fleet of agents loads Vault no more
 * than a fleet of Vault Agents would.
 */
import { RENEW_BACKOFF, backoffDelay, refreshRetryDelay } from "../backoff.js";

/**
 * The grace period: uniform in [10 %, 20 %) of the lease (or of the requested increment when that is
 * shorter). Inside the grace the watcher stops renewing and the caller re-authenticates or re-fetches.
 */
export function calculateGrace(leaseMs: number, incrementMs: number, random: number): number {
  const base = incrementMs > 0 && incrementMs < leaseMs ? incrementMs : leaseMs;
  if (base <= 0) return 0;
  const jitterMax = 0.1 * base;
  return jitterMax + random * jitterMax;
}

/** Time to sleep before the next renewal: ⅔ of what remains plus ⅓ of the grace. */
export function renewSleep(remainingMs: number, graceMs: number): number {
  return (2 / 3) * remainingMs + graceMs / 3;
}

/**
 * True when renewing again would land inside the grace (the watcher's exit condition): the lease was
 * capped by its max TTL (or is about to end), so it must be replaced rather than renewed.
 */
export function renewalExhausted(remainingMs: number, graceMs: number): boolean {
  return remainingMs <= graceMs || remainingMs - renewSleep(remainingMs, graceMs) <= graceMs;
}

/**
 * Vault returned less than the increment asked for: it capped the lease at its max TTL (Vault
 * `sdk/framework/lease.go` `CalculateTTL`). A periodic token is capped per period, which Vault says
 * in a warning; that end is not final.
 */
export function capped(remainingMs: number, incrementMs: number, warnings: readonly string[]): boolean {
  return incrementMs > 0 && remainingMs < incrementMs - 1000 && !warnings.some((w) => w.includes("period value is capped"));
}

/** The watcher's memory between renewals of one lease. */
export interface Lifetime {
  /** The increment asked for at each renewal. */
  readonly incrementMs: number;
  /** The longest remaining life Vault granted so far (the grace is re-computed while it grows). */
  readonly priorMs: number;
  readonly graceMs: number;
}

/** Vault's answer to a renewal. */
export interface Renewed {
  readonly remainingMs: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
}

/** Renew again at `at`, or `final`: the end is fixed, replace (re-login, re-fetch) inside the grace. */
export type NextRenewal = { readonly kind: "renew"; readonly at: number } | { readonly kind: "final" };

export interface RenewalStep {
  readonly lifetime: Lifetime;
  /** The lease's new end, counted from when the renewal was sent. */
  readonly endsAt: number;
  readonly next: NextRenewal;
}

/** The step after a successful renewal sent at `sentAt`. */
export function afterRenewal(lifetime: Lifetime, renewed: Renewed, sentAt: number, random: () => number): RenewalStep {
  const remaining = renewed.remainingMs;
  let { priorMs, graceMs } = lifetime;
  if (remaining > priorMs) {
    priorMs = remaining;
    graceMs = calculateGrace(remaining, lifetime.incrementMs, random());
  }
  const final = !renewed.renewable || capped(remaining, lifetime.incrementMs, renewed.warnings) || renewalExhausted(remaining, graceMs);
  return {
    lifetime: { incrementMs: lifetime.incrementMs, priorMs, graceMs },
    endsAt: sentAt + remaining,
    next: final ? { kind: "final" } : { kind: "renew", at: sentAt + renewSleep(remaining, graceMs) },
  };
}

/**
 * The step after a failed renewal that may succeed later (Vault sealed, 5xx, 429, network): the
 * watcher's renew-error backoff, bounded by the remaining life (`refreshRetryDelay`) and by Vault's
 * Retry-After. A retry that would land at or after `endsAt - marginMs` is pointless: `final`.
 */
export function afterRenewalError(failures: number, endsAt: number, marginMs: number, now: number, retryAfterMs: number | undefined, random: () => number): { readonly delayMs: number; readonly next: NextRenewal } {
  const r = random();
  const delayMs = Math.max(refreshRetryDelay(backoffDelay(RENEW_BACKOFF, failures, r), endsAt - now, r), retryAfterMs ?? 0);
  const at = now + delayMs;
  return { delayMs, next: at < endsAt - marginMs ? { kind: "renew", at } : { kind: "final" } };
}
