import { defineConfig } from "vitest/config";

// Projects: `unit` (pure logic, simulators, in-process servers on loopback; runs on Node 20 and 24),
// `e2e` (real Ceph RGW, real SDKs, processes started from dist/avi.js; needs `npm run build`) and
// `e2e-slow` (the same kind, minutes each: run by `npm run test:slow`, `npm run test:all` and .ci/run).
// The skip-summary reporter lists every skipped test's reason at the end and reports long files' progress.
const E2E_SLOW = ["test/e2e/rgw-scenarios.test.ts", "test/e2e/fault-matrix.test.ts"];

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/skip-summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: E2E_SLOW,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e-slow",
          include: E2E_SLOW,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
