/**
 * When to replace a credential and which `Expiration` to serve, as pure functions of milliseconds.
 *
 * Consumers cache credentials until shortly before the `Expiration` we serve: botocore refreshes when
 * fewer than 15 min remain (and blocks below 10), the JS SDK v3 at 5 min, minio-py at 10 s
 * (botocore 1.43 `credentials.py` RefreshableCredentials advisory/mandatory timeouts;
 * @aws-sdk/credential-provider-node defaultProvider memoization; minio-py 7.2
 * `minio/credentials/providers.py` Credentials.is_expired). So:
 * - we serve `min(valid-until, next planned replacement + LEAD)` with LEAD = 15 min + 1 min margin:
 *   botocore never sees less than 15 min left (no endpoint call per S3 request) yet picks up a new
 *   credential about a minute after we fetch it;
 * - a credential with a known end is replaced at the LifetimeWatcher point (⅔ of its life plus ⅓ of
 *   the grace, ≈ 70 %) or at `end - LEAD`, whichever is earlier, so the served `Expiration` stays more
 *   than 15 min ahead; if the TTL is shorter than 2 × LEAD that would mean replacing it more often than
 *   twice per lifetime, so it is replaced at ⅔ of its life instead and the caller warns once;
 * - a profile's refresh interval caps a credential's age before replacement (rotation period);
 * - lease-less secrets (KV) are re-read every refresh interval (default 5 min, like Vault Agent's
 *   `static_secret_render_interval`);
 * - an old lease is revoked a minute after the last `Expiration` we served for it, unless it expires
 *   by itself within 5 min of that anyway (saves Vault a request per rotation).
 */

export const BOTOCORE_ADVISORY_REFRESH_MS = 15 * 60_000;
export const SERVE_MARGIN_MS = 60_000;
/** How far ahead of a planned replacement the served `Expiration` lies. */
export const LEAD_MS = BOTOCORE_ADVISORY_REFRESH_MS + SERVE_MARGIN_MS;
export const DEFAULT_KV_REFRESH_MS = 5 * 60_000;
export const REVOKE_AFTER_SERVED_MS = 60_000;
const SKIP_REVOKE_WITHIN_MS = 5 * 60_000;

export interface ReplacementInput {
  /** When the credential was requested from Vault. */
  readonly issuedAt: number;
  /** The end nobody can extend (Infinity while a lease is renewable or the secret has no expiry). */
  readonly hardEnd: number;
  /** The lease's LifetimeWatcher grace (see lifecycle/lifetime.ts). */
  readonly graceMs: number;
  /** Maximum age before re-fetching (profile refreshInterval; KV's re-read interval). */
  readonly maxAgeMs?: number | undefined;
}

export interface Replacement {
  /** When to fetch the replacement (Infinity: never, renewals keep it alive). */
  readonly at: number;
  /** The TTL is too short to keep the served `Expiration` more than 15 min ahead. */
  readonly shortTtl: boolean;
}

export function planReplacement(input: ReplacementInput): Replacement {
  const byAge = input.maxAgeMs === undefined ? Infinity : input.issuedAt + input.maxAgeMs;
  if (!Number.isFinite(input.hardEnd)) return { at: byAge, shortTtl: false };
  const ttl = Math.max(0, input.hardEnd - input.issuedAt);
  const watcherPoint = input.issuedAt + (2 / 3) * ttl + input.graceMs / 3;
  const leadPoint = input.hardEnd - LEAD_MS;
  if (leadPoint - input.issuedAt >= ttl / 2) {
    return { at: Math.min(watcherPoint, leadPoint, byAge), shortTtl: false };
  }
  return { at: Math.min(input.issuedAt + (2 / 3) * ttl, byAge), shortTtl: true };
}

/**
 * The `Expiration` to serve for a credential valid until `validUntil` whose replacement is next
 * attempted at `nextAttemptAt` (Infinity when none is planned). While Vault is unreachable the
 * attempts move later, so the served value creeps forward, never past `validUntil`.
 */
export function servedExpiration(validUntil: number, nextAttemptAt: number): number {
  return Math.min(validUntil, nextAttemptAt + LEAD_MS);
}

/** When to revoke a superseded lease, or undefined when it expires soon enough by itself. */
export function revocationTime(servedUntil: number, validUntil: number): number | undefined {
  const at = servedUntil + REVOKE_AFTER_SERVED_MS;
  return validUntil - at > SKIP_REVOKE_WITHIN_MS ? at : undefined;
}
