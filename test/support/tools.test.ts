// The "needs tool X" mechanism itself: a missing tool is a skip with the reason and the install line,
// and under CI=true (where .ci/run installs every tool) a failure.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it, vi, type TestContext } from "vitest";
import type * as Tools from "./tools.js";

const empty = mkdtempSync(join(tmpdir(), "avi-no-tools-"));

async function toolsWith(env: Record<string, string>): Promise<typeof Tools> {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.resetModules();
  return import("./tools.js");
}

afterEach(() => {
  vi.unstubAllEnvs();
});

it("a tool missing from PATH: the reason names it and the Debian packages that install it", async () => {
  const tools = await toolsWith({ PATH: empty, CI: "" });
  expect(tools.missingTools(["go"])).toBe("needs go (go not found or not executable; apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)");
  expect(tools.missingTools([])).toBeUndefined();
  rmSync(empty, { recursive: true, force: true });
});

it("requireTools skips with that reason, or fails under CI=true", async () => {
  const skipped: (string | undefined)[] = [];
  const ctx = { skip: (note?: string) => void skipped.push(note) } as unknown as TestContext;
  const local = await toolsWith({ PATH: "/nonexistent", CI: "" });
  local.requireTools(ctx, "go");
  expect(skipped).toEqual([expect.stringMatching(/^needs go \(go not found or not executable; apt-get install golang-go /)]);
  const ci = await toolsWith({ PATH: "/nonexistent", CI: "true" });
  expect(() => ci.requireTools(ctx, "go")).toThrow(/^CI=true and a tool the tests need is missing: needs go \(go not found/);
  expect(skipped).toHaveLength(1);
});
