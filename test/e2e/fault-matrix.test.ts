/**
 * The fault matrix, short form: every case of bench/fault-matrix.ts — the same table
 * `npm run bench:faults` prints — against the built agent run as injected, on a clock scaled 600×
 * (shared with sim/vault). Each case checks its own outcome (recovery, exit code, served credential)
 * and, throughout, that no file is ever unreadable and no served credential is expired or, while
 * Vault is reachable, less than 10 minutes from its Expiration.
 */
import { describe, expect, it } from "vitest";
import { FAULT_CASES, faultTable, runFaultCase } from "../../bench/fault-matrix.js";

describe("fault matrix", () => {
  it.each(FAULT_CASES.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const report = await runFaultCase(c, { scale: 600 });
    expect(report.error, report.error).toBeUndefined();
    expect(report.violations, faultTable([report])).toEqual([]);
    expect(report.checks.filter((k) => !k.ok), faultTable([report])).toEqual([]);
    expect(report.passed).toBe(true);
  }, 60_000);
});
