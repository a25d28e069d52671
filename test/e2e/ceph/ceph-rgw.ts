/**
 * A throwaway single-node Ceph RGW for e2e tests (mon + memstore OSD + radosgw, all on 127.0.0.1, in its
 * own temp dir), driving `ceph-rgw.sh` next to this file. Settings follow Ceph 16.2 (pacific) options; see ceph-rgw.sh.
 *
 *   if (!cephPackagesPresent()) → skip with CEPH_MISSING_REASON
 *   const rgw = await startCephRgw();          // ~1.9 s; free ports picked, retried on a collision
 *   rgw.endpoint                               // http://127.0.0.1:<port>  (path-style addressing only)
 *   rgw.admin / rgw.vaultUser                  // S3 keys: admin-ops + IAM caps / the principal the role trusts
 *   rgw.stsRoleArn                             // AssumeRole target: s3:* on buckets `avi-*` (rgw.bucketGlob)
 *   await rgw.createKey("avi-admin"); await rgw.removeKey("avi-admin", ak); await rgw.radosgwAdmin([...])
 *   await rgw.stop();                          // SIGKILLs the daemons, removes the dir (~0.05 s)
 *
 * Nothing is left running: the daemons' pids are in `<dir>/run/`, a watchdog started by the script tears
 * everything down within 0.5 s once this process is gone (however it died), and a process `exit` hook
 * does the same synchronously on a normal exit without `stop()`.
 *
 * For a vitest `globalSetup`: `startCephRgw()` there, `provide("ceph", rgw.info)` (plain JSON), and
 * `attachCephRgw(inject("ceph"), { own: false })` in the test files; `stop()` in the teardown.
 *
 * RGW 16.2's limits worth knowing (docs.ceph.com/en/pacific/radosgw/STS; measured here): STS DurationSeconds 900–3600 for this role; AWS SDK JS
 * v3 needs `requestChecksumCalculation: "WHEN_REQUIRED"` (411 otherwise); a removed key answers 403
 * AccessDenied at once; policy JSON must be compact.
 */
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `ceph-rgw.sh`: next to this module, or — when this module is bundled into dist/ (`avi demo`) — at
 * test/e2e/ceph/ in the checkout above the bundle.
 */
function findCephScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "ceph-rgw.sh"), join(dir, "test", "e2e", "ceph", "ceph-rgw.sh")]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(here, "ceph-rgw.sh");
  }
}

export const CEPH_SCRIPT = findCephScript();

/** The Debian packages `ceph-rgw.sh` needs (the `.ci/run` apt line). */
export const CEPH_APT_PACKAGES = ["ceph-mon", "ceph-osd", "radosgw", "ceph-common"] as const;
const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"] as const;

export interface S3Key {
  readonly accessKey: string;
  readonly secretKey: string;
}

/** Plain data (JSON-serializable): what `ceph-rgw.sh up` wrote to `<dir>/info.json`. */
export interface CephRgwInfo {
  readonly dir: string;
  readonly cephConf: string;
  readonly endpoint: string;
  readonly region: string;
  readonly ports: { readonly mon: number; readonly rgw: number; readonly osdMin: number; readonly osdMax: number };
  readonly pids: Readonly<Record<"mon.a" | "osd.0" | "rgw.a", number>>;
  readonly admin: S3Key & { readonly uid: string };
  readonly vault: S3Key & { readonly uid: string };
  readonly stsRoleArn: string;
  readonly bucketGlob: string;
}

export interface CephRgw {
  readonly info: CephRgwInfo;
  readonly endpoint: string;
  readonly region: string;
  /** User `avi-admin`: caps for the admin ops and IAM APIs; owns the test buckets. */
  readonly admin: S3Key & { readonly uid: string };
  /** User `avi-vault`: no caps; the keys for Vault's `aws/config/root`, the only principal `stsRoleArn` trusts. */
  readonly vaultUser: S3Key & { readonly uid: string };
  /** `arn:aws:iam:::role/avi/avi-tasks`: s3:* on buckets matching `bucketGlob` (`avi-*`) and their objects. */
  readonly stsRoleArn: string;
  readonly bucketGlob: string;
  /** Milliseconds from spawning the script to a ready cluster (users and role created). */
  readonly startupMs: number;
  /** Runs `radosgw-admin <args>` against this cluster; parsed JSON output (null when it printed nothing). */
  radosgwAdmin(args: readonly string[]): Promise<unknown>;
  /** Creates a user without caps; its first S3 key. */
  createUser(uid: string): Promise<S3Key>;
  /** Adds a generated S3 key to `uid` (the existing keys stay valid) and returns it. */
  createKey(uid: string): Promise<S3Key>;
  /** Removes one S3 key; RGW refuses it from the very next request (403 AccessDenied). */
  removeKey(uid: string, accessKey: string): Promise<void>;
  /** The access key ids `uid` currently has. */
  listKeys(uid: string): Promise<string[]>;
  /** Kills the daemons and removes the dir (owning handles only). Idempotent. */
  stop(): Promise<void>;
}

export interface StartCephRgwOptions {
  /** Parent of the cluster's temp dir (default os.tmpdir()). */
  readonly parentDir?: string;
  /** Tear down once this pid is gone (default: this process). `null` = no watchdog. */
  readonly watchPid?: number | null;
  /** Attempts when a chosen port was taken before the daemon bound it (default 3). */
  readonly attempts?: number;
}

function onPath(bin: string): boolean {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter).concat(["/usr/bin", "/usr/sbin"])) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      // not in this dir
    }
  }
  return false;
}

/** True when every Ceph binary `ceph-rgw.sh` runs is installed. */
export function cephPackagesPresent(): boolean {
  return BINARIES.every(onPath);
}

export const CEPH_MISSING_REASON = `Ceph packages not installed: apt-get install --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")} (see .ci/run)`;

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Exec> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== "number") {
        reject(new Error(`${file} ${args.join(" ")}: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

/** Exit code of `ceph-rgw.sh up` when a port it chose was taken before the daemon bound it. */
const PORT_TAKEN = 75;

export async function startCephRgw(options: StartCephRgwOptions = {}): Promise<CephRgw> {
  if (!cephPackagesPresent()) throw new Error(CEPH_MISSING_REASON);
  const attempts = options.attempts ?? 3;
  const watchPid = options.watchPid === undefined ? process.pid : options.watchPid;
  const started = performance.now();
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), "avi-ceph-"));
    const env = { ...process.env, ...(watchPid === null ? {} : { WATCH_PID: String(watchPid) }) };
    const result = await exec(CEPH_SCRIPT, ["up", dir], env, 60_000);
    if (result.code === 0) {
      const info = JSON.parse(readFileSync(join(dir, "info.json"), "utf8")) as CephRgwInfo;
      return attachCephRgw(info, { own: true, startupMs: performance.now() - started });
    }
    rmSync(dir, { recursive: true, force: true });
    last = `ceph-rgw.sh up exited ${result.code}:\n${result.stderr}`;
    if (result.code !== PORT_TAKEN) break;
  }
  throw new Error(last);
}

export interface AttachOptions {
  /**
   * The owner tears the cluster down: at `stop()`, and at this process's exit if `stop()` was never
   * called. A non-owner (a test file given a globalSetup's cluster) never does; its `stop()` is a no-op.
   */
  readonly own: boolean;
  readonly startupMs?: number;
}

/** A handle on a running cluster from its info (e.g. provided by a vitest globalSetup). */
export function attachCephRgw(info: CephRgwInfo, options: AttachOptions = { own: false }): CephRgw {
  const env = { ...process.env, CEPH_CONF: info.cephConf };
  const startupMs = options.startupMs ?? 0;
  let stopped = !options.own;
  const downSync = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync(CEPH_SCRIPT, ["down", info.dir], { stdio: "ignore", timeout: 10_000 });
    } catch {
      // best effort at exit; the watchdog tries again
    }
  };
  if (options.own) process.once("exit", downSync);

  const radosgwAdmin = async (args: readonly string[]): Promise<unknown> => {
    const result = await exec("radosgw-admin", args, env, 30_000);
    if (result.code !== 0) throw new Error(`radosgw-admin ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
    const out = result.stdout.trim();
    return out === "" ? null : (JSON.parse(out) as unknown);
  };
  const keysOf = (user: unknown): { access_key: string; secret_key: string }[] => (user as { keys: { access_key: string; secret_key: string }[] }).keys;
  const toKey = (k: { access_key: string; secret_key: string }): S3Key => ({ accessKey: k.access_key, secretKey: k.secret_key });

  return {
    info,
    endpoint: info.endpoint,
    region: info.region,
    admin: info.admin,
    vaultUser: info.vault,
    stsRoleArn: info.stsRoleArn,
    bucketGlob: info.bucketGlob,
    startupMs,
    radosgwAdmin,
    async createUser(uid) {
      const user = await radosgwAdmin(["user", "create", `--uid=${uid}`, `--display-name=${uid}`]);
      const first = keysOf(user)[0];
      if (first === undefined) throw new Error(`radosgw-admin user create --uid=${uid} returned no key`);
      return toKey(first);
    },
    async createKey(uid) {
      const before = new Set(keysOf(await radosgwAdmin(["user", "info", `--uid=${uid}`])).map((k) => k.access_key));
      const after = keysOf(await radosgwAdmin(["key", "create", `--uid=${uid}`, "--key-type=s3", "--gen-access-key", "--gen-secret"]));
      const added = after.find((k) => !before.has(k.access_key));
      if (added === undefined) throw new Error(`radosgw-admin key create --uid=${uid} added no key`);
      return toKey(added);
    },
    async removeKey(uid, accessKey) {
      await radosgwAdmin(["key", "rm", `--uid=${uid}`, "--key-type=s3", `--access-key=${accessKey}`]);
    },
    async listKeys(uid) {
      return keysOf(await radosgwAdmin(["user", "info", `--uid=${uid}`])).map((k) => k.access_key);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", downSync);
      const result = await exec(CEPH_SCRIPT, ["down", info.dir], process.env, 30_000);
      if (result.code !== 0) throw new Error(`ceph-rgw.sh down ${info.dir} exited ${result.code}: ${result.stderr.trim()}`);
    },
  };
}

export interface StaticKeyRotation {
  /** The key that replaced `oldAccessKey`. */
  readonly newKey: S3Key;
  /** Milliseconds from writing the new key to Vault until `served()` returned it. */
  readonly servedAfterMs: number;
  /** Milliseconds the old and the new key were both valid. */
  readonly overlapMs: number;
}

export interface StaticKeyRotationOptions {
  readonly rgw: CephRgw;
  readonly uid: string;
  readonly oldAccessKey: string;
  /** Writes the new key where the agent reads it (e.g. `writeKvV2(...)`). */
  readonly writeToVault: (key: S3Key) => Promise<void>;
  /** The access key id the agent serves now (its endpoint or `<name>.json`). */
  readonly served: () => Promise<string>;
  /**
   * How long both keys stay valid after the agent serves the new one, so every long-lived SDK session
   * refreshes before the old key goes (botocore refreshes once fewer than 15 min remain of the served
   * `Expiration`; the agent's lease-less `Expiration` decides how soon that is).
   */
  readonly overlapMs: number;
  /** Optional: resolves true once the consumers were seen using the new key; waited for before removal. */
  readonly consumersSwitched?: () => Promise<boolean>;
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Scenario 2: rotate a static RGW key through Vault — `radosgw-admin key create`, write the new key to
 * Vault, wait until the agent serves it, keep both valid for `overlapMs` (and until `consumersSwitched`),
 * then remove the old key.
 */
export async function rotateStaticKey(options: StaticKeyRotationOptions): Promise<StaticKeyRotation> {
  const { rgw, uid, oldAccessKey, timeoutMs = 120_000, pollMs = 100 } = options;
  const newKey = await rgw.createKey(uid);
  const createdAt = performance.now();
  await options.writeToVault(newKey);
  const written = performance.now();
  const deadline = written + timeoutMs;
  const waitFor = async (what: string, probe: () => Promise<boolean>): Promise<void> => {
    while (!(await probe())) {
      if (performance.now() > deadline) throw new Error(`rotating ${uid}'s key: timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(pollMs);
    }
  };
  await waitFor(`the agent to serve ${newKey.accessKey}`, async () => (await options.served()) === newKey.accessKey);
  const servedAfterMs = performance.now() - written;
  await sleep(options.overlapMs);
  if (options.consumersSwitched !== undefined) await waitFor("the consumers to use the new key", options.consumersSwitched);
  await rgw.removeKey(uid, oldAccessKey);
  return { newKey, servedAfterMs, overlapMs: performance.now() - createdAt };
}

/** A `writeToVault` for KV v2: `{access_key, secret_key}` at `<mount>/data/<path>` (vault-plugin-secrets-kv `path_data.go`). */
export function writeKvV2(vault: { readonly address: string; readonly token: string }, mount: string, path: string): (key: S3Key) => Promise<void> {
  return async (key) => {
    const res = await fetch(`${vault.address}/v1/${mount}/data/${path}`, {
      method: "POST",
      headers: { "X-Vault-Token": vault.token, "X-Vault-Request": "true", "Content-Type": "application/json" },
      body: JSON.stringify({ data: { access_key: key.accessKey, secret_key: key.secretKey } }),
    });
    if (!res.ok) throw new Error(`writing ${mount}/data/${path}: ${res.status} ${await res.text()}`);
  };
}
