/**
 * `Expiration` as every consumer parses it: UTC, whole seconds, `Z` suffix (`2026-05-01T11:00:00Z`).
 * The JS SDK's RFC 3339 parser rejects offsets; rounding down keeps the served value ≤ the real one.
 */
export function awsExpiration(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
