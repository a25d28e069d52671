/**
 * A real Vault client nobody here wrote, against sim/vault: MariaDB's `hashicorp_key_management`
 * encryption plugin (Debian mariadb-plugin-hashicorp-key-management, MariaDB 10.11) with its KV version
 * check on. The plugin reads `options.version` at the top level of `GET sys/mounts/<kv>/tune` (Vault's
 * `injectDataIntoTopRoutes`) and refuses to start — InnoDB aborts — unless the mount is KV v2; it then
 * reads keys as KV v2 versions (`?version=N` for old ones).
 *
 * The test starts its own `mariadbd` in a temp dir, socket-only (`skip-networking`), and stops it:
 * an encrypted table with ENCRYPTION_KEY_ID, a key rotation picked up (the tablespace's key version
 * moves to 2), a restart that still reads the row (needs versions 1 and 2), and a KV v1 mount refused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";
import { describeWithTools } from "../../../support/tools.js";

const MARIADBD = "/usr/sbin/mariadbd";
const INSTALL_DB = "/usr/bin/mariadb-install-db";
const MARIADB = "/usr/bin/mariadb";


const KEY1_V1 = "0123456789abcdef0123456789abcdef";
const KEY2_V1 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
const KEY2_V2 = "1111111111111111111111111111111111111111111111111111111111111111";

let sim: VaultSim;
let dir = "";
let server: ChildProcess | undefined;
const root = (): Record<string, string> => ({ "X-Vault-Token": sim.rootToken });

function config(mount: string, token: string): string {
  return [
    "[mariadbd]",
    `datadir=${dir}/data`,
    `socket=${dir}/sock`,
    `pid-file=${dir}/pid`,
    `log-error=${dir}/err.log`,
    "skip-networking",
    "bind-address=127.0.0.1",
    ...(process.getuid?.() === 0 ? ["user=root"] : []),
    "skip-log-bin",
    "innodb-buffer-pool-size=16M",
    "innodb-log-file-size=8M",
    "plugin-load-add=hashicorp_key_management",
    `hashicorp-key-management-vault-url=${sim.address}/v1/${mount}`,
    `hashicorp-key-management-token=${token}`,
    "hashicorp-key-management-check-kv-version=on",
    // ms: a rotation is seen at once (the plugin's cache would otherwise hide it for a minute).
    "hashicorp-key-management-cache-version-timeout=1",
    "hashicorp-key-management-cache-timeout=1",
    "innodb-encrypt-tables=ON",
    "innodb-encryption-threads=1",
    "innodb-encryption-rotate-key-age=1",
    "",
  ].join("\n");
}

async function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: dir } });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => child.on("error", reject).on("close", resolve));
  return { code, stdout, stderr };
}

async function sql(statement: string): Promise<string> {
  const r = await run(MARIADB, ["--no-defaults", "-S", `${dir}/sock`, "-u", "root", "-N", "-B", "-e", statement]);
  if (r.code !== 0) throw new Error(`mariadb: ${r.stderr}`);
  return r.stdout.trim();
}

/** Start mariadbd; resolves when its socket answers, rejects with the error log if it exits first. */
async function startServer(): Promise<void> {
  const child = spawn(MARIADBD, [`--defaults-file=${dir}/my.cnf`], { stdio: "ignore" });
  server = child;
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const done = await Promise.race([exited, new Promise<"wait">((r) => setTimeout(() => r("wait"), 250))]);
    if (done !== "wait") {
      server = undefined;
      throw new Error(`mariadbd exited ${done}: ${await readFile(`${dir}/err.log`, "utf8").catch(() => "")}`);
    }
    if (existsSync(`${dir}/sock`) && (await run(MARIADB, ["--no-defaults", "-S", `${dir}/sock`, "-u", "root", "-e", "SELECT 1"])).code === 0) return;
  }
  throw new Error("mariadbd did not answer on its socket within 60 s");
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

describeWithTools(["mariadb"], "MariaDB hashicorp_key_management against sim/vault", () => {
  let token = "";
  beforeAll(async () => {
    sim = await startVaultSim({});
    dir = await mkdtemp(join(tmpdir(), "avi-mariadb-"));
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/mariadb", headers: root(), body: { type: "kv", options: { version: "2" } } });
    await sim.inject({ method: "POST", path: "/v1/sys/mounts/kvone", headers: root(), body: { type: "kv", options: { version: "1" } } });
    await sim.inject({ method: "POST", path: "/v1/mariadb/data/1", headers: root(), body: { data: { data: KEY1_V1 } } });
    await sim.inject({ method: "POST", path: "/v1/mariadb/data/2", headers: root(), body: { data: { data: KEY2_V1 } } });
    // What the plugin's docs ask for: read on the keys and on the mount's tune endpoint, nothing else.
    const policy = ['path "mariadb/data/*" { capabilities = ["read"] }', 'path "sys/mounts/mariadb/tune" { capabilities = ["read"] }', 'path "sys/mounts/kvone/tune" { capabilities = ["read"] }'].join("\n");
    await sim.inject({ method: "PUT", path: "/v1/sys/policies/acl/mariadb", headers: root(), body: { policy } });
    const created = await sim.inject({ method: "POST", path: "/v1/auth/token/create", headers: root(), body: { policies: ["mariadb"], ttl: "1h" } });
    token = (created.json() as { auth: { client_token: string } }).auth.client_token;
    await writeFile(`${dir}/my.cnf`, config("mariadb", token));
    const install = await run(INSTALL_DB, [`--defaults-file=${dir}/my.cnf`, "--auth-root-authentication-method=socket", "--skip-test-db"]);
    if (install.code !== 0) throw new Error(`mariadb-install-db exited ${install.code}: ${(install.stderr + install.stdout).slice(-2000)} ${await readFile(`${dir}/err.log`, "utf8").catch(() => "")}`);
    await startServer();
  }, 120_000);
  afterAll(async () => {
    await stopServer();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
    await sim?.stop();
  }, 60_000);

  it("starts with the version check on: it read sys/mounts/mariadb/tune and found KV v2", () => {
    const tune = sim.requestLog.entries({ method: "GET", path: "sys/mounts/mariadb/tune" });
    expect(tune.length).toBeGreaterThan(0);
    expect(tune.every((e) => e.status === 200)).toBe(true);
  });

  it("an encrypted table with ENCRYPTION_KEY_ID=2 stores and returns a row under key 2, version 1", async () => {
    await sql("CREATE DATABASE avi; CREATE TABLE avi.secrets (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB ENCRYPTED=YES ENCRYPTION_KEY_ID=2; INSERT INTO avi.secrets VALUES (1, 'hello-vault')");
    expect(await sql("SELECT v FROM avi.secrets WHERE id = 1")).toBe("hello-vault");
    expect(await sql("SELECT CONCAT(CURRENT_KEY_ID, '/', CURRENT_KEY_VERSION) FROM information_schema.INNODB_TABLESPACES_ENCRYPTION WHERE NAME = 'avi/secrets'")).toBe("2/1");
  });

  it("a key rotation (a new KV v2 version of key 2) is picked up: the tablespace moves to key version 2", async () => {
    const write = await sim.inject({ method: "POST", path: "/v1/mariadb/data/2", headers: root(), body: { data: { data: KEY2_V2 } } });
    expect((write.json() as { data: { version: number } }).data.version).toBe(2);
    const deadline = Date.now() + 30_000;
    let version = "";
    while (Date.now() < deadline) {
      version = await sql("SELECT CURRENT_KEY_VERSION FROM information_schema.INNODB_TABLESPACES_ENCRYPTION WHERE NAME = 'avi/secrets'");
      if (version === "2") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(version).toBe("2");
    expect(await sql("SELECT v FROM avi.secrets WHERE id = 1")).toBe("hello-vault");
  }, 40_000);

  it("after a restart the row still reads (the plugin fetches the key versions it needs)", async () => {
    await stopServer();
    await startServer();
    expect(await sql("SELECT v FROM avi.secrets WHERE id = 1")).toBe("hello-vault");
    expect(sim.requestLog.entries({ method: "GET", path: "mariadb/data/2" }).length).toBeGreaterThan(0);
  }, 90_000);

  it("pointed at a KV v1 mount, the version check refuses and InnoDB aborts (the failure the top-level copy fixed)", async () => {
    await stopServer();
    await writeFile(`${dir}/my.cnf`, config("kvone", token));
    await expect(startServer()).rejects.toThrow(/Key-value storage must be version number 2 or later/);
  }, 90_000);
});
