/**
 * A short, stable, non-reversible identifier for a lease id, token accessor or anything else that
 * must not appear in logs in full: the first 12 hex digits of its SHA-256.
 */
import { createHash } from "node:crypto";

export function fingerprint(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}
