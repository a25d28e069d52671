/**
 * `node dist/avi-dev.js demo` end to end, as a user runs it: the `demo ok` line with its numbers, exit codes,
 * `--keep` until a signal, SIGTERM mid-run, the no-Ceph path, and the VAULT_ADDR path against a
 * separately started `avi sim vault`. After each run nothing the demo started is left: no webhook or
 * agent process of this checkout, no Ceph daemon or data dir. `--refresh-interval 3s` keeps each run short.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo.js";
import { cephPackagesPresent } from "./ceph/ceph-rgw.js";

const AVI = join(REPO_ROOT, "dist", "avi.js");
const AVI_DEV = join(REPO_ROOT, "dist", "avi-dev.js");
const ceph = cephPackagesPresent();
const FAST = ["--refresh-interval", "3s"];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

type Child = ChildProcessByStdio<null, Readable, Readable>;

function startDemo(args: readonly string[], env: NodeJS.ProcessEnv = {}): { child: Child; done: Promise<Run>; output: () => string } {
  const base = { ...process.env };
  for (const k of ["VAULT_ADDR", "VAULT_TOKEN", "AVI_DEMO_NO_CEPH"]) delete base[k];
  const child = spawn(process.execPath, [AVI_DEV, "demo", ...args], { env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Run>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

async function until(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(output());
    if (m !== null) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The `demo ok …` numbers. */
function numbers(stdout: string): { rotations: number; s3: number; failures: number } {
  const m = /^demo ok: (\d+) rotations, (\d+) S3 requests, (\d+) failures in [\d.]+ s/m.exec(stdout);
  if (m === null) throw new Error(`no "demo ok" line in:\n${stdout}`);
  return { rotations: Number(m[1]), s3: Number(m[2]), failures: Number(m[3]) };
}

/** Processes the demo of this checkout could have left: its webhook, agents, tasks, Ceph daemons (by data dir). */
function leftovers(cephDir: string | undefined): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    const ours = cmd.includes(`${AVI} webhook`) || cmd.includes(`${AVI} agent`) || cmd.includes("avi-demo.exit") || (cephDir !== undefined && cmd.includes(cephDir));
    if (ours) found.push(`${pid}: ${cmd}`);
  }
  return found;
}

const cephDirOf = (stdout: string): string | undefined => /data in (\S+), removed at exit/.exec(stdout)?.[1];

function expectClean(stdout: string): void {
  const dir = cephDirOf(stdout);
  if (dir !== undefined) expect(existsSync(dir), `${dir} was left behind`).toBe(false);
  expect(leftovers(dir)).toEqual([]);
  // Never a secret: no session token, secret key or sim root token in the output (only key-id prefixes).
  expect(stdout).not.toMatch(/SecretAccessKey|SessionToken|hvs\.[A-Za-z0-9]{24}/);
}

beforeAll(() => {
  if (!existsSync(AVI_DEV)) throw new Error("dist/avi-dev.js is missing: run `npm run build` first (npm test does)");
});

describe("avi demo (built)", () => {
  it(`runs end to end${ceph ? " with Ceph RGW" : " (Ceph packages missing: the no-Ceph path)"}: demo ok, ≥ 2 rotations, 0 failures, exit 0, nothing left`, async () => {
    const run = await startDemo(FAST).done;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const n = numbers(run.stdout);
    expect(n.rotations).toBeGreaterThanOrEqual(2);
    expect(n.failures).toBe(0);
    expect(run.stdout).toMatch(/mode sidecar: avi-agent runs as a native sidecar/);
    expect(run.stdout).toMatch(/the webhook answered a JSONPatch of \d+ operations:\n {6}add \/spec\/volumes\/-/);
    expect(run.stdout).toMatch(/pod Succeeded; avi-agent exited 0/);
    expect(run.stdout).toMatch(/the agent revoked its leases and its Vault token at exit/);
    if (ceph) {
      expect(run.stdout).toMatch(/object storage: Ceph RGW\)/);
      expect(n.s3).toBeGreaterThan(0);
      // boto3's one session signed with at least three different keys (the first plus two rotations)
      const keys = /keys that signed them: (.*)/.exec(run.stdout)![1]!.split(", ");
      expect(keys.length).toBeGreaterThanOrEqual(3);
    }
    expect(run.stderr).toBe("");
    expectClean(run.stdout);
  });

  it("without Ceph (--no-ceph): credentials are issued, served and rotated; only the S3 writes are skipped", async () => {
    const run = await startDemo([...FAST, "--no-ceph"]).done;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Ceph RGW: skipped \(--no-ceph/);
    const n = numbers(run.stdout);
    expect(n).toEqual({ rotations: 2, s3: 0, failures: 0 });
    expect(run.stdout).toMatch(/agent ready: minio-etl issued by Vault and served on http:\/\/127\.0\.0\.1:\d+\/v1\/credentials\/minio-etl: ASIA/);
    expect(run.stdout).toMatch(/object storage: none, S3 writes skipped\)/);
    expectClean(run.stdout);
  });

  it("--keep serves credentials until SIGINT, printing how to reach them; then finishes and cleans up (AVI_DEMO_NO_CEPH=1)", async () => {
    const demo = startDemo([...FAST, "--keep"], { AVI_DEMO_NO_CEPH: "1" });
    const keep = await until(demo.output, /credentials endpoint: +curl -s -H "Authorization: \$\(cat (\S+)\)" (\S+)\n/);
    expect(demo.output()).toMatch(/Vault \(simulator, dev only\): +export VAULT_ADDR=http:\/\/127\.0\.0\.1:\d+ VAULT_TOKEN=hvs\./);
    const res = await fetch(keep[2]!, { headers: { Authorization: readFileSync(keep[1]!, "utf8") } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { AccessKeyId: string }).AccessKeyId).toMatch(/^ASIA/);
    demo.child.kill("SIGINT");
    const run = await demo.done;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(numbers(run.stdout).failures).toBe(0);
    expect(existsSync(keep[1]!)).toBe(false);
    expect(leftovers(undefined)).toEqual([]);
  });

  it("SIGTERM mid-run: exit 143, everything stopped and removed", async () => {
    const demo = startDemo(FAST);
    await until(demo.output, /agent ready: /);
    demo.child.kill("SIGTERM");
    const run = await demo.done;
    expect(run.code, run.stdout + run.stderr).toBe(143);
    expect(run.stdout).toMatch(/avi demo: interrupted by SIGTERM; cleaning up/);
    expect(run.stdout).not.toMatch(/^demo ok/m);
    const dir = cephDirOf(run.stdout);
    if (dir !== undefined) expect(existsSync(dir)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  describe("VAULT_ADDR: a Vault the demo configures through its HTTP API only (a separate `avi sim vault`)", () => {
    let vault: Child;
    let address = "";
    const token = `demo-${randomBytes(8).toString("hex")}`;
    beforeAll(async () => {
      vault = spawn(process.execPath, [AVI_DEV, "sim", "vault", "--listen", "127.0.0.1:0", "--root-token", token], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      vault.stdout.on("data", (c: Buffer) => (out += c.toString()));
      address = (await until(() => out, /listening on (http:\/\/\S+)/, 10_000))[1]!;
    });
    afterAll(async () => {
      if (vault.exitCode !== null) return;
      const exited = new Promise((r) => vault.once("exit", r));
      vault.kill("SIGTERM");
      await exited;
    });

    const api = async (path: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${address}/v1/${path}`, { headers: { "X-Vault-Token": token } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: Record<string, unknown> }).data;
    };

    it("configures Kubernetes auth (TokenReview → the API-server simulator), the AWS engine and a policy; rotates; removes its mounts at the end", async () => {
      const run = await startDemo(FAST, { VAULT_ADDR: address, VAULT_TOKEN: token, AVI_DEMO_NO_CEPH: "1" }).done;
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/using the Vault at VAULT_ADDR=http:\/\/127\.0\.0\.1:\d+ \(an avi sim vault\)/);
      expect(run.stdout).not.toMatch(/vault simulator on/); // no in-process simulator
      const n = numbers(run.stdout);
      expect(n.rotations).toBeGreaterThanOrEqual(2);
      expect(n.failures).toBe(0);
      expect(run.stdout).toMatch(/\(Vault: VAULT_ADDR http:\/\/127\.0\.0\.1:\d+ \(avi sim vault\);/);
      expect(Object.keys(await api("sys/mounts"))).not.toContain("aws-demo/");
      expect(Object.keys(await api("sys/auth"))).not.toContain("kubernetes-demo/");
      expect(((await api("sys/policies/acl?list=true"))["keys"] as string[]).includes("avi-demo")).toBe(false);
      expect(run.stdout).not.toContain(token);
      expectClean(run.stdout);
    });

    it("without VAULT_TOKEN it says what is missing and exits 1 before starting anything", async () => {
      const run = await startDemo(["--no-ceph"], { VAULT_ADDR: address }).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^avi: VAULT_ADDR is set but VAULT_TOKEN is not/);
    });
  });
});
