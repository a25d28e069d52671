/**
 * Vault's TTL arithmetic, `framework.CalculateTTL` (`sdk/framework/lease.go`), as a pure function. Used for every
 * lease and token: at login/issue (start = now) and at each renewal (start = the lease's issue time).
 * All times are truncated to the second, as Vault does.
 */
import { humanDuration } from "./duration.js";

/** The mount's effective TTL settings (seconds): its tuned values, else the system defaults. */
export interface MountTtls {
  readonly defaultLeaseTtl: number;
  readonly maxLeaseTtl: number;
}

export interface TtlInput {
  /** Current sim time, epoch ms. */
  readonly now: number;
  readonly mount: MountTtls;
  /** Requested increment, seconds (0 = none). Counts from now. Ignored for periodic leases. */
  readonly increment: number;
  /** The backend's TTL (role `token_ttl`, aws `lease`), seconds (0 = none). */
  readonly backendTtl: number;
  /** Period, seconds (0 = not periodic). */
  readonly period: number;
  /** The backend's max TTL (role `token_max_ttl`, aws `lease_max`), seconds (0 = none). */
  readonly backendMaxTtl: number;
  /** Explicit max TTL, seconds (0 = none). */
  readonly explicitMaxTtl: number;
  /** Lease issue time, epoch ms; undefined at issue (start = now). */
  readonly startTime?: number;
}

export interface TtlResult {
  /** Seconds. */
  readonly ttl: number;
  readonly warnings: readonly string[];
}

export class TtlError extends Error {
  override readonly name = "TtlError";
}

const truncSecond = (ms: number): number => Math.floor(ms / 1000);

export function calculateTtl(input: TtlInput): TtlResult {
  const now = truncSecond(input.now);
  const start = input.startTime === undefined ? now : truncSecond(input.startTime);
  let maxTtl = input.mount.maxLeaseTtl;
  if (input.backendMaxTtl > 0 && input.backendMaxTtl < maxTtl) maxTtl = input.backendMaxTtl;
  if (input.explicitMaxTtl > 0 && input.explicitMaxTtl < maxTtl) maxTtl = input.explicitMaxTtl;
  if (maxTtl <= 0) throw new TtlError("max TTL must be greater than zero");

  const warnings: string[] = [];
  let ttl: number;
  let maxValidTime: number | undefined;
  if (input.period > 0) {
    let period = input.period;
    if (period > maxTtl) {
      warnings.push(
        `period of ${JSON.stringify(humanDuration(period))} exceeded the effective max_ttl of ${JSON.stringify(humanDuration(maxTtl))}; period value is capped accordingly`,
      );
      period = maxTtl;
    }
    ttl = period;
    if (input.explicitMaxTtl > 0) maxValidTime = start + input.explicitMaxTtl;
  } else {
    if (input.increment > 0) ttl = input.increment;
    else if (input.backendTtl > 0) ttl = input.backendTtl;
    else ttl = input.mount.defaultLeaseTtl;
    maxValidTime = start + maxTtl;
  }

  if (maxValidTime !== undefined) {
    const maxValidTtl = maxValidTime - now;
    if (maxValidTtl <= 0) throw new TtlError("past the max TTL, cannot renew");
    if (maxValidTtl - ttl < 0) {
      warnings.push(
        `TTL of ${JSON.stringify(humanDuration(ttl))} exceeded the effective max_ttl of ${JSON.stringify(humanDuration(maxValidTtl))}; TTL value is capped accordingly`,
      );
      ttl = maxValidTtl;
    }
  }
  return { ttl, warnings };
}
