/**
 * Retry delays after failures, as Vault's own agent computes them:
 * - `auth`: Vault Agent auto-auth (`command/agentproxyshared/auth/auth.go`,
 *   `sdk/helper/backoff/backoff.go`): 1 s doubling to 5 min, each delay shortened
 *   by up to 25 % (negative jitter only, so the cap is never exceeded).
 * - `renew`: the LifetimeWatcher's renew-error backoff (cenkalti ExponentialBackOff): 10 s doubling to
 *   5 min, randomization 0.5 (uniform in ±50 % of the interval).
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitter: "down-25" | "spread-50";
}

export const AUTH_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 300_000, jitter: "down-25" };
export const RENEW_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, jitter: "spread-50" };

/** Delay before retry number `attempt` (1 = first retry); `random` is uniform in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const interval = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return policy.jitter === "down-25"
    ? Math.floor(interval * (1 - 0.25 * random))
    : Math.floor(interval * (0.5 + random));
}

/**
 * A failed refresh of a credential that is still being served retries no later than a quarter of
 * its remaining validity (jittered down to an eighth, never below 1 s): after a long Vault outage the
 * renew backoff has grown to minutes (up to 7.5 with its jitter) while the served credential may have
 * only minutes left, and consumers (botocore blocks below 10 min) should not wait out a backoff
 * sized for a healthy credential once Vault is back. Vault's LifetimeWatcher bounds its backoff by the
 * remaining lease in the same spirit (MaxElapsedTime = remaining).
 */
export function refreshRetryDelay(backoffMs: number, remainingValidMs: number, random: number): number {
  const cap = Math.max(1_000, (remainingValidMs / 4) * (0.5 + 0.5 * random));
  return Math.min(backoffMs, cap);
}
