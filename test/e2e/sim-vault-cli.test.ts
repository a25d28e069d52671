/**
 * The built `dist/avi-dev.js sim vault` as a real process: prints its address, answers the Vault API and the
 * /sim/ controls, refuses a non-loopback address, and exits 0 on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSts } from "../sim/vault/support/fake-sts-server.js";

const AVI = fileURLToPath(new URL("../../dist/avi-dev.js", import.meta.url));
let child: ChildProcessByStdio<null, Readable, Readable>;
let address = "";
let stdout = "";

beforeAll(async () => {
  if (!existsSync(AVI)) throw new Error("dist/avi-dev.js is missing: run `npm run build` first (npm test does)");
  child = spawn(process.execPath, [AVI, "sim", "vault", "--listen", "127.0.0.1:0", "--clock-scale", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  address = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (\S+)/.exec(stdout);
      if (m !== null && stdout.includes("VAULT_TOKEN")) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`avi sim vault exited early with ${code}`)));
  });
});
afterAll(() => {
  if (child.exitCode === null) child.kill("SIGKILL");
});

describe("avi sim vault (built)", () => {
  it("prints VAULT_ADDR and the generated root token, which works", async () => {
    expect(stdout).toContain(`export VAULT_ADDR=${address}`);
    expect(stdout).toMatch(/development\/test only/);
    const token = /export VAULT_TOKEN=(\S+)/.exec(stdout)![1]!;
    expect(token).toMatch(/^hvs\.[A-Za-z0-9]{24}$/);
    const res = await fetch(`${address}/v1/auth/token/lookup-self`, { headers: { "X-Vault-Token": token } });
    expect(res.status).toBe(200);
    const clock = await fetch(`${address}/sim/clock`, { method: "POST", headers: { "X-Vault-Token": token }, body: JSON.stringify({ advance: "1h" }) });
    expect(((await clock.json()) as { scale: number }).scale).toBe(0);
  });

  it("calls a real STS endpoint for assumed_role (the SDK loads inside the bundle)", async () => {
    const token = /export VAULT_TOKEN=(\S+)/.exec(stdout)![1]!;
    const sts = await startFakeSts();
    try {
      const call = (method: string, path: string, body?: unknown): Promise<Response> =>
        fetch(`${address}/v1/${path}`, { method, headers: { "X-Vault-Token": token }, body: body === undefined ? undefined : JSON.stringify(body) });
      await call("POST", "sys/mounts/aws", { type: "aws" });
      await call("POST", "aws/config/root", { access_key: "AKIAE2ETESTROOTKEY00", secret_key: "x".repeat(40), region: "us-east-1", sts_endpoint: sts.url });
      await call("POST", "aws/roles/app", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/App" });
      const res = await call("GET", "aws/sts/app");
      expect(res.status).toBe(200);
      expect(sts.calls.map((c) => c.action)).toEqual(["AssumeRole"]);
      expect(sts.calls[0]?.auth?.accessKeyId).toBe("AKIAE2ETESTROOTKEY00");
    } finally {
      await sts.stop();
    }
  });

  it("exits 1 with the reason for a non-loopback address", () => {
    const result = spawnSync(process.execPath, [AVI, "sim", "vault", "--listen", "0.0.0.0:8200"], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^avi: --listen: .*loopback only/);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(`${address}/v1/sys/health`)).rejects.toThrow();
  });
});
