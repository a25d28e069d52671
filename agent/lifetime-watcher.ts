/**
 * The timing rules of Vault's `api.LifetimeWatcher` (hashicorp/vault `api/lifetime_watcher.go`,
 * calculateGrace and doRenewWithOptions, @dcdb43d9), as pure functions
 * of milliseconds. The agent renews tokens and renewable leases with them; Vault Agent does the same,
 * so a fleet of our agents loads Vault no more than a fleet of Vault Agents would.
 */

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
