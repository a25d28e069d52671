import { defineConfig } from "vitest/config";

// Projects: `unit` (pure logic, simulators, in-process servers on loopback; runs on Node 20 and 24),
// `e2e` (real Ceph RGW, real SDKs, processes started from dist/avi.js; needs `npm run build`) and
// `e2e-slow` (the same kind, minutes each: run by `npm run test:slow`, `npm run test:all` and .ci/run).
// The skip-summary reporter lists every skipped test's reason at the end and reports long files' progress.
const E2E_SLOW = ["test/e2e/rgw-scenarios.test.ts", "test/e2e/fault-matrix.test.ts", "test/e2e/ceph-rgw.test.ts"];

// The AWS SDK warns on every Node below its next minimum (22) that future SDK releases will not run
// there. The image ships Node 24 and CI runs the unit suite on it too; on an older host Node the
// notice would only bury real output (and fail tests that expect a consumer's stderr to be empty).
const nodeMajor = Number(process.versions.node.split(".")[0]);
const env = nodeMajor < 22 ? { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } : {};

export default defineConfig({
  test: {
    env,
    reporters: ["default", "./test/support/skip-summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
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
        extends: true,
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
