/**
 * What a new user sees from the built `dist/avi.js` when something is wrong: one line per problem, no
 * stack trace, the field and the fix named (issue 12, item 5). The agent is a separate bundle
 * (scripts/build.mjs), so its config errors cross a bundle boundary on the way to cli/main.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo.js";
import { selfSignedCert } from "../support/tls-cert.js";

const AVI = join(REPO_ROOT, "dist", "avi.js");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "avi-cli-messages-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function avi(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [AVI, ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 30_000 });
}

describe("avi (built): errors a user can fix", () => {
  it("avi agent with a bad AVI_AGENT_CONFIG: one line per problem, no stack trace, exit 1", () => {
    const result = avi(["agent"], { AVI_AGENT_CONFIG: "{}" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^avi: invalid agent config:\n {2}version: /);
    expect(result.stderr).toMatch(/\n {2}vault: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain("UsageError");
  });

  it("avi agent with arguments: a usage line, no stack trace", () => {
    const result = avi(["agent", "--oops"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^avi: agent takes no arguments \(got --oops\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("avi version --help prints its usage; extra arguments are refused", () => {
    const help = avi(["version", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: avi version\n/);
    const extra = avi(["version", "now"]);
    expect(extra.status).toBe(1);
    expect(extra.stderr).toBe("avi: version takes no arguments (got now)\n");
  });

  it("avi webhook with the certificate and key swapped names the mistake, no OpenSSL error", async () => {
    const { cert: certPem, key: keyPem } = selfSignedCert();
    await writeFile(join(dir, "tls.crt"), certPem);
    await writeFile(join(dir, "tls.key"), keyPem);
    const result = avi(["webhook", "--tls-cert", join(dir, "tls.key"), "--tls-key", join(dir, "tls.crt"), "--settings", join(REPO_ROOT, "examples", "settings.yaml")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/certificate and key are swapped/);
    expect(result.stderr).not.toMatch(/DECODER|routines::|\n\s+at /);
  });
});
