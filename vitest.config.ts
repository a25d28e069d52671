import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic, simulators, in-process servers on loopback; runs on Node 20 and 24)
// and `e2e` (real Ceph RGW, real SDKs, processes started from dist/avi.js; needs `npm run build`).
export default defineConfig({
  test: {
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
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
