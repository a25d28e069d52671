/**
 * One version of a credential (what one fetch returned) and when to renew and replace it. The
 * replacement point comes from rotation-policy.ts, bounded by the token that created the lease.
 */
import type { CredentialSpec } from "../config.js";
import type { S3Credential } from "../credential-format.js";
import { DEFAULT_KV_REFRESH_MS, LEAD_MS, planReplacement } from "../rotation-policy.js";
import type { Lifetime } from "./lifetime.js";
import type { TokenView } from "./token.js";
import type { Context } from "./types.js";

/** Lower bound between two requests for the same credential (guards against zero-length plans). */
export const MIN_INTERVAL_MS = 1_000;
/** Assumed lease life when nothing better is known (for "is this token good for minting?"). */
const ASSUMED_TTL_MS = 3600_000;

export interface Version {
  readonly seq: number;
  readonly credential: S3Credential;
  readonly leaseId: string;
  /** Token generation that created the lease (leases die with their token). */
  readonly tokenGen: number | undefined;
  /** When the secret was (last) requested: issue time for leases, last read for KV. */
  issuedAt: number;
  /** Current lease end (Infinity when the secret has no expiry). */
  leaseEnd: number;
  readonly leaseMs: number;
  renewable: boolean;
  lifetime: Lifetime;
  renewAt: number;
  /** Planned replacement; moves later (never earlier) while replacements fail. */
  replaceAt: number;
  /** Known to be revoked in Vault (lease not found, creating token died). */
  leaseLost: boolean;
  /** Superseded versions: the last Expiration served. */
  servedUntil?: number;
}

/** How long a newly minted lease of this credential is expected to live. */
function expectedLife(spec: CredentialSpec, current: Version | undefined): number {
  if (current !== undefined && current.leaseMs > 0) return current.leaseMs;
  if (spec.ttl !== undefined && spec.ttl > 0) return spec.ttl * 1000;
  return ASSUMED_TTL_MS;
}

/**
 * A lease dies with the token that created it: when the token's end is fixed and less than half of
 * what a fresh login would give (or of the lease's expected life) remains, log in before minting.
 */
export function tooShortForMinting(spec: CredentialSpec, current: Version | undefined, token: TokenView, now: number): boolean {
  return spec.format !== "kv" && token.fixedEnd && token.expiresAt - now < Math.min(expectedLife(spec, current), token.incrementMs) / 2;
}

/** (Re)computes a version's replacement time. `fresh`: just fetched. `bound`: its token's fixed end. */
export function planVersion(ctx: Context, spec: CredentialSpec, v: Version, bound: number, fresh: boolean, warned: Set<string>): void {
  const hardEnd = v.renewable ? bound : Math.min(v.leaseEnd, bound);
  const maxAgeMs = spec.refreshInterval !== undefined ? spec.refreshInterval * 1000 : spec.format === "kv" ? DEFAULT_KV_REFRESH_MS : undefined;
  const plan = planReplacement({ issuedAt: v.issuedAt, hardEnd, graceMs: v.lifetime.graceMs, maxAgeMs });
  // Bound by its token's end (not by its own lease): once that end is fixed, a fresh login gives a
  // full life, so replace it LEAD ahead of that end — not at ⅔ of what was left, as for a short TTL.
  const tokenBounded = bound < (v.renewable ? Infinity : v.leaseEnd);
  const planned = tokenBounded ? Math.min(plan.at, bound - LEAD_MS) : plan.at;
  const at = Math.max(planned, fresh ? v.issuedAt + MIN_INTERVAL_MS : ctx.now);
  v.replaceAt = fresh ? at : Math.min(v.replaceAt, Math.max(at, ctx.now));
  if (fresh && plan.shortTtl && hardEnd === v.leaseEnd && !warned.has("short-ttl")) {
    warned.add("short-ttl");
    const ttlS = Math.round((hardEnd - v.issuedAt) / 1000);
    ctx.log("warn", "credential TTL is too short to keep the served Expiration more than 15 minutes ahead; botocore will re-read the endpoint on every call. Request a TTL of at least 32m", {
      credential: spec.name,
      ttl_s: ttlS,
      min_ttl_s: (2 * LEAD_MS) / 1000,
    });
  }
}
