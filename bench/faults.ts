/**
 * The fault matrix, full run: every case of bench/fault-matrix.ts (the table the CI test
 * test/e2e/fault-matrix.test.ts runs too), printed as a table, written to bench/results/faults.json.
 *   npm run bench:faults        (env: SCALE=600 ONLY=<case id,…>)
 * Last line: RESULT faults_passed=<n> faults_total=<m>
 */
import { FAULT_CASES, faultTable, runFaultCase, type CaseReport } from "./fault-matrix.js";
import { machineInfo, writeResults } from "./bench-support.js";

const SCALE = Number(process.env["SCALE"] ?? 600);
const only = process.env["ONLY"]?.split(",");
const cases = FAULT_CASES.filter((c) => only === undefined || only.includes(c.id));
const reports: CaseReport[] = [];
for (const c of cases) {
  const r = await runFaultCase(c, { scale: SCALE });
  reports.push(r);
  console.log(`${r.passed ? "PASS" : "FAIL"} ${c.id} (${(r.realMs / 1000).toFixed(1)} s real)${r.error === undefined ? "" : `\n${r.error}`}${r.violations.length > 0 ? `\n  ${r.violations.join("\n  ")}` : ""}`);
}
const machine = machineInfo();
console.log(`\nfault matrix at ${SCALE}× on ${machine.nproc} cores (load ${machine.loadavg}), Node ${machine.node}\n`);
console.log(faultTable(reports));
const passed = reports.filter((r) => r.passed).length;
writeResults("faults", { date: new Date().toISOString(), command: "npm run bench:faults", machine, scale: SCALE, passed, total: reports.length }, reports.map((r) => ({ id: r.id, passed: r.passed, recovery_ms: r.recoveryMs ?? null, exit: r.exitCode ?? null, real_ms: Math.round(r.realMs), checks: r.checks, violations: r.violations, error: r.error ?? null })));
console.log(`\nRESULT faults_passed=${passed} faults_total=${reports.length}`);
