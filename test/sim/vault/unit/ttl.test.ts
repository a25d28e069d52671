// framework.CalculateTTL (hashicorp/vault `sdk/framework/lease.go`) as a pure function.
import { describe, expect, it } from "vitest";
import { calculateTtl, TtlError } from "../../../../sim/vault/time/ttl.js";

const mount = { defaultLeaseTtl: 2_764_800, maxLeaseTtl: 2_764_800 };
const T0 = Date.parse("2025-01-01T00:00:00Z");
const base = { now: T0, mount, increment: 0, backendTtl: 0, period: 0, backendMaxTtl: 0, explicitMaxTtl: 0 };

describe("calculateTtl", () => {
  it("TTL = increment, else backend TTL, else the mount default", () => {
    expect(calculateTtl({ ...base, increment: 60, backendTtl: 120 }).ttl).toBe(60);
    expect(calculateTtl({ ...base, backendTtl: 120 }).ttl).toBe(120);
    expect(calculateTtl(base).ttl).toBe(2_764_800);
  });

  it("the max is the smallest of mount max, backend max and explicit max", () => {
    expect(calculateTtl({ ...base, increment: 9999, backendMaxTtl: 600, explicitMaxTtl: 300 }).ttl).toBe(300);
    expect(calculateTtl({ ...base, increment: 9999, backendMaxTtl: 600 }).ttl).toBe(600);
  });

  it("caps to the time left before issue + max, with Vault's warning", () => {
    const r = calculateTtl({ ...base, now: T0 + 3000_000 + 2_000, startTime: T0, increment: 3600, backendMaxTtl: 3600 });
    expect(r.ttl).toBe(598);
    expect(r.warnings).toEqual(['TTL of "1h" exceeded the effective max_ttl of "9m58s"; TTL value is capped accordingly']);
  });

  it("truncates times to the second", () => {
    expect(calculateTtl({ ...base, now: T0 + 999, startTime: T0 + 1, increment: 7200, backendMaxTtl: 3600 }).ttl).toBe(3600);
  });

  it("periodic: TTL = period, increment ignored, no deadline without an explicit max", () => {
    const r = calculateTtl({ ...base, now: T0 + 100 * 86_400_000, startTime: T0, increment: 99, period: 600, backendMaxTtl: 3600 });
    expect(r).toEqual({ ttl: 600, warnings: [] });
  });

  it("periodic above the max: period capped with its own warning", () => {
    expect(calculateTtl({ ...base, period: 7200, backendMaxTtl: 3600 })).toEqual({
      ttl: 3600,
      warnings: ['period of "2h" exceeded the effective max_ttl of "1h"; period value is capped accordingly'],
    });
  });

  it("periodic with an explicit max: capped at issue + explicit max", () => {
    expect(calculateTtl({ ...base, now: T0 + 1_500_000, startTime: T0, period: 3600, explicitMaxTtl: 1800 }).ttl).toBe(300);
  });

  it("at or past the deadline: past the max TTL, cannot renew", () => {
    expect(() => calculateTtl({ ...base, now: T0 + 3600_000, startTime: T0, backendMaxTtl: 3600 })).toThrow(new TtlError("past the max TTL, cannot renew"));
  });
});
