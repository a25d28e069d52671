/**
 * The pure timing rules, checked as properties over random inputs: LifetimeWatcher grace and sleep
 * (Vault `api/lifetime_watcher.go`), backoffs (its renew errors; auth in
 * `command/agentproxyshared/auth/auth.go`), and the rotation policy's
 * promises (served Expiration > 15 min ahead where the TTL allows, never past the real end).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { AUTH_BACKOFF, RENEW_BACKOFF, backoffDelay, refreshRetryDelay } from "../../agent/backoff.js";
import { calculateGrace, renewSleep, renewalExhausted } from "../../agent/lifecycle/lifetime.js";
import { BOTOCORE_ADVISORY_REFRESH_MS, LEAD_MS, planReplacement, revocationTime, servedExpiration } from "../../agent/rotation-policy.js";

const MIN = 60_000;
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("LifetimeWatcher math", () => {
  test.prop([fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), unit])("grace is in [10 %, 20 %) of min(lease, increment)", (lease, inc, r) => {
    const base = inc > 0 && inc < lease ? inc : lease;
    const grace = calculateGrace(lease, inc, r);
    expect(grace).toBeGreaterThanOrEqual(0.1 * base);
    expect(grace).toBeLessThanOrEqual(0.2 * base);
  });

  it("has no grace for a zero lease", () => {
    expect(calculateGrace(0, 0, 0.5)).toBe(0);
  });

  test.prop([fc.integer({ min: 1000, max: 10 ** 9 }), unit])("a lease renewed to its full TTL is never exhausted, and the sleep ends before the grace", (lease, r) => {
    const grace = calculateGrace(lease, lease, r);
    expect(renewalExhausted(lease, grace)).toBe(false);
    const sleep = renewSleep(lease, grace);
    expect(lease - sleep).toBeGreaterThan(grace);
  });

  it("is exhausted once what remains is within four graces (capped by a max TTL)", () => {
    expect(renewalExhausted(399, 100)).toBe(true);
    expect(renewalExhausted(403, 100)).toBe(false);
    expect(renewalExhausted(50, 100)).toBe(true);
  });
});

describe("backoff", () => {
  test.prop([fc.integer({ min: 1, max: 40 }), unit])("auth: 1 s doubling to 5 min, up to 25 % shorter", (attempt, r) => {
    const interval = Math.min(300_000, 1000 * 2 ** (attempt - 1));
    const d = backoffDelay(AUTH_BACKOFF, attempt, r);
    expect(d).toBeGreaterThanOrEqual(Math.floor(interval * 0.75));
    expect(d).toBeLessThanOrEqual(interval);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), unit])("renew: 10 s doubling to 5 min, ±50 %", (attempt, r) => {
    const interval = Math.min(300_000, 10_000 * 2 ** (attempt - 1));
    const d = backoffDelay(RENEW_BACKOFF, attempt, r);
    expect(d).toBeGreaterThanOrEqual(Math.floor(interval * 0.5));
    expect(d).toBeLessThanOrEqual(interval * 1.5);
  });

  test.prop([fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 24 * 60 * MIN }), unit])(
    "a refresh retry of a served credential comes within ¼ of its remaining validity (≥ ⅛, ≥ 1 s), never later than the backoff",
    (attempt, left, r) => {
      const backoff = backoffDelay(RENEW_BACKOFF, attempt, r);
      const d = refreshRetryDelay(backoff, left, r);
      expect(d).toBeLessThanOrEqual(backoff);
      expect(d).toBeLessThanOrEqual(Math.max(1_000, left / 4));
      expect(d).toBeGreaterThanOrEqual(Math.min(backoff, Math.max(1_000, left / 8)));
    },
  );
});

describe("rotation policy", () => {
  const t0 = Date.UTC(2026, 4, 1);

  test.prop([fc.integer({ min: 32 * MIN, max: 48 * 60 * MIN }), unit])(
    "TTL ≥ 32 min: replaced no later than end − 16 min, not before half its life; served stays > 15 min ahead until then",
    (ttl, r) => {
      const hardEnd = t0 + ttl;
      const plan = planReplacement({ issuedAt: t0, hardEnd, graceMs: calculateGrace(ttl, ttl, r) });
      expect(plan.shortTtl).toBe(false);
      expect(plan.at).toBeLessThanOrEqual(hardEnd - LEAD_MS);
      expect(plan.at).toBeGreaterThanOrEqual(t0 + ttl / 2);
      // Worst moment: just before the replacement.
      expect(servedExpiration(hardEnd, plan.at) - plan.at).toBeGreaterThan(BOTOCORE_ADVISORY_REFRESH_MS);
    },
  );

  test.prop([fc.integer({ min: 60 * MIN, max: 48 * 60 * MIN }), unit])("long TTLs follow the LifetimeWatcher point (≈ 70 %), not later", (ttl, r) => {
    const grace = calculateGrace(ttl, ttl, r);
    const plan = planReplacement({ issuedAt: t0, hardEnd: t0 + ttl, graceMs: grace });
    expect(plan.at).toBeLessThanOrEqual(t0 + (2 / 3) * ttl + grace / 3);
  });

  test.prop([fc.integer({ min: 60_000, max: 32 * MIN - 1 })])("TTL < 32 min: replaced at ⅔ and flagged", (ttl) => {
    const plan = planReplacement({ issuedAt: t0, hardEnd: t0 + ttl, graceMs: 0.15 * ttl });
    expect(plan.shortTtl).toBe(true);
    expect(plan.at).toBeCloseTo(t0 + (2 / 3) * ttl, 3);
  });

  test.prop([fc.integer({ min: MIN, max: 24 * 60 * MIN }), fc.integer({ min: 1000, max: 24 * 60 * MIN })])("a refresh interval caps the age", (ttl, maxAge) => {
    const plan = planReplacement({ issuedAt: t0, hardEnd: t0 + ttl, graceMs: 0.15 * ttl, maxAgeMs: maxAge });
    expect(plan.at).toBeLessThanOrEqual(t0 + maxAge);
  });

  it("lease-less secrets are re-read every interval; renewable ones are not replaced at all", () => {
    expect(planReplacement({ issuedAt: t0, hardEnd: Infinity, graceMs: 0, maxAgeMs: 5 * MIN }).at).toBe(t0 + 5 * MIN);
    expect(planReplacement({ issuedAt: t0, hardEnd: Infinity, graceMs: 0 }).at).toBe(Infinity);
  });

  test.prop([fc.integer({ min: 0, max: 10 ** 10 }), fc.integer({ min: 0, max: 10 ** 10 })])("never serves past the real end", (validUntil, next) => {
    expect(servedExpiration(t0 + validUntil, t0 + next)).toBeLessThanOrEqual(t0 + validUntil);
  });

  it("revokes superseded leases a minute after their last served Expiration, unless they end within 5 minutes of that", () => {
    const served = t0 + 30 * MIN;
    expect(revocationTime(served, t0 + 12 * 60 * MIN)).toBe(served + MIN);
    expect(revocationTime(served, served + 6 * MIN)).toBeUndefined();
    expect(revocationTime(served, served)).toBeUndefined();
  });
});
