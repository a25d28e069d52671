/**
 * Consumers nobody here wrote, against real Ceph RGW through the real agent (dist/avi.js) across
 * rotations: minio-go 7.0.46 (Debian golang-github-minio-minio-go-v7-dev; a small program built
 * offline in GOPATH mode, NewChainCredentials(EnvAWS, IAM), put/get/compare per round, one client for
 * its whole life) and rclone 1.60 (Debian; `env_auth`, provider Ceph; one process per round, as a
 * BashOperator would run it). Both read only the inline AWS_CONTAINER_AUTHORIZATION_TOKEN, so the agent
 * runs as injected with `injection.endpointTokenEnv` (AVI_ENDPOINT_TOKEN); without it they fall back
 * to anonymous requests, which RGW refuses — shown here too.
 *
 * minio-go refreshes once 80 % of the time to the served Expiration has passed (pkg/credentials
 * `Expiry.SetExpiration`, defaultExpiryWindow 0.8). For a lease-less KV credential the agent serves
 * `Expiration = next re-read + 16 min`, so a client that fetched the old key at f refreshes by
 * f + 0.8 × (next re-read + 16 min − f), inside the documented overlap (the old key valid for
 * refreshInterval + 17 min after the new one is in Vault). The test runs minio-go's own expiry check on
 * a clock it moves ahead (IAM's exported `Expiry.CurrentTime`) to the end of that overlap, instead of
 * waiting 17 minutes: the client must have moved to the new key by then, and not before the agent
 * served it.
 */
import { randomBytes } from "node:crypto";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AVI_BIN, cleanEnv, startAgentProcess, type AgentProcess, type AgentStatus } from "../support/agent-process.js";
import { REPO_ROOT } from "../support/repo.js";
import { STAGE_POD, stageAgentConfig, startVaultStage, type VaultStage } from "../support/vault-stage.js";
import { rotateStaticKey, startCephRgw, writeKvV2, type CephRgw, type S3Key } from "./ceph/ceph-rgw.js";
import { goPathWith } from "../support/go-path.js";
import { describeWithTools } from "../support/tools.js";

const GO = "/usr/bin/go";
const RCLONE = "/usr/bin/rclone";
const KV_REFRESH_S = 2;
const STS_REFRESH_S = 3;
const KV_UID = "avi-matrix";


let rgw: CephRgw;
let stage: VaultStage;
let agent: AgentProcess;
let status: AgentStatus;
let home = "";
let minioBin = "";
let endpointToken = "";
let kvKey: S3Key;
/** Owned by the KV user (its keys rotate, the user stays). */
let mgoBucket = "";
const timings: Record<string, number> = {};

const endpointUrl = (name: string): string => `${status.endpoint?.url ?? ""}${name}`;
const served = async (name: string): Promise<{ AccessKeyId: string; Expiration: string }> =>
  (await (await fetch(endpointUrl(name), { headers: { Authorization: endpointToken } })).json()) as { AccessKeyId: string; Expiration: string };

interface Round {
  round: string;
  accessKeyId: string;
  anonymous: boolean;
  ok: boolean;
  same?: boolean;
  error?: string;
}

/** The long-lived minio-go consumer: one line in, one JSON line out. */
function startMinioGo(env: Record<string, string>): { send(cmd: string): Promise<Record<string, unknown>>; stop(): void; child: ChildProcessWithoutNullStreams } {
  const child = spawn(minioBin, [], { env: { PATH: "/usr/bin:/bin", HOME: home, ...env } });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return {
    child,
    send: (cmd) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`minio-go: no answer to "${cmd}" in 30 s; stderr: ${stderr}`)), 30_000);
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        });
        child.stdin.write(`${cmd}\n`);
      }),
    stop: () => {
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

function rclone(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(RCLONE, args, { encoding: "utf8", timeout: 60_000, env: { PATH: "/usr/bin:/bin", HOME: home, ...env } });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describeWithTools(["ceph", "minio-go", "rclone"], "client matrix on real Ceph RGW", () => {
  beforeAll(async () => {
    expect(readFileSync(AVI_BIN, "utf8")).toMatch(/^#!/);
    home = mkdtempSync(join(tmpdir(), "avi-matrix-"));
    // minio-go offline: GOPATH mode over Debian's Go sources (no module proxy, no network).
    const GOPATH = goPathWith(["github.com/minio/minio-go/v7"]);
    if (GOPATH === undefined) throw new Error("Go sources of github.com/minio/minio-go/v7 not found");
    const t = performance.now();
    minioBin = join(home, "minio-consumer");
    const build = spawnSync(GO, ["build", "-o", minioBin, "."], {
      cwd: join(REPO_ROOT, "test/e2e/consumers/minio-go"),
      encoding: "utf8",
      timeout: 300_000,
      env: { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? home, GOPATH, GO111MODULE: "off", GOFLAGS: "", GOTOOLCHAIN: "local" },
    });
    if (build.status !== 0) throw new Error(`go build (minio-go consumer): ${build.stderr}`);
    timings.minioGoBuildMs = performance.now() - t;

    rgw = await startCephRgw();
    stage = await startVaultStage({ stsTtl: "15m" });
    await stage.api("POST", "aws/config/root", { access_key: rgw.vaultUser.accessKey, secret_key: rgw.vaultUser.secretKey, region: rgw.region, sts_endpoint: rgw.endpoint, iam_endpoint: rgw.endpoint });
    await stage.api("POST", "aws/roles/etl", { credential_type: "assumed_role", role_arns: rgw.stsRoleArn, default_sts_ttl: "15m" });
    kvKey = await rgw.createUser(KV_UID);
    await writeKvV2({ address: stage.vault.address, token: stage.vault.rootToken }, "secret", "rgw")(kvKey);
    mgoBucket = `avi-mgo-${randomBytes(3).toString("hex")}`;
    const mb = rclone(["mkdir", `rgw:${mgoBucket}`], rcloneEnv({ AWS_ACCESS_KEY_ID: kvKey.accessKey, AWS_SECRET_ACCESS_KEY: kvKey.secretKey }));
    if (mb.status !== 0) throw new Error(`creating ${mgoBucket}: ${mb.stderr}`);

    endpointToken = randomBytes(32).toString("base64url");
    const common = { endpoint: rgw.endpoint, region: rgw.region };
    const config = stageAgentConfig(stage, [
      { name: "rgw-kv", path: "secret/data/rgw", format: "kv", refreshInterval: `${KV_REFRESH_S}s`, ...common },
      { name: "rgw-sts", path: "aws/sts/etl", format: "aws", ttl: "15m", refreshInterval: `${STS_REFRESH_S}s`, ...common },
    ]);
    agent = startAgentProcess(config, cleanEnv(home, { AVI_POD_NAME: STAGE_POD.podName, AVI_POD_NAMESPACE: STAGE_POD.namespace, AVI_ENDPOINT_TOKEN: endpointToken }), stage.outputDir);
    status = await agent.ready(30_000);
    timings.rgwStartupMs = rgw.startupMs;
  }, 420_000);

  afterAll(async () => {
    await agent?.stop("SIGTERM");
    await stage?.stop();
    await rgw?.stop();
    if (home !== "") rmSync(home, { recursive: true, force: true });
    console.info(`client matrix timings: ${JSON.stringify(Object.fromEntries(Object.entries(timings).filter(([k]) => k.endsWith("Ms")).map(([k, v]) => [k, Math.round(v)])))}`);
  }, 120_000);

  it("minio-go (NewChainCredentials(EnvAWS, IAM), inline token) keeps put/get working across two KV key rotations, moving to each new key inside the overlap", async () => {
    const started = performance.now();
    const env = { S3_ENDPOINT: new URL(rgw.endpoint).host, S3_BUCKET: mgoBucket, AWS_REGION: rgw.region, AWS_CONTAINER_CREDENTIALS_FULL_URI: endpointUrl("rgw-kv"), AWS_CONTAINER_AUTHORIZATION_TOKEN: endpointToken };
    const mgo = startMinioGo(env);
    try {
      let n = 0;
      const round = async (): Promise<Round> => (await mgo.send(`round ${++n}`)) as unknown as Round;
      const first = await round();
      expect(first).toMatchObject({ ok: true, same: true, anonymous: false, accessKeyId: kvKey.accessKey });

      let oldKey = kvKey.accessKey;
      for (let rotation = 1; rotation <= 2; rotation++) {
        const sent = await served("rgw-kv");
        // The rule that keeps minio-go inside the overlap: Expiration ≤ next re-read + 16 min.
        expect(Date.parse(sent.Expiration) - Date.now()).toBeLessThanOrEqual((KV_REFRESH_S + 16 * 60 + 2) * 1000);
        let writtenAt = 0;
        const rotated = await rotateStaticKey({
          rgw,
          uid: KV_UID,
          oldAccessKey: oldKey,
          writeToVault: async (key) => {
            writtenAt = Date.now();
            await writeKvV2({ address: stage.vault.address, token: stage.vault.rootToken }, "secret", "rgw")(key);
          },
          served: async () => (await served("rgw-kv")).AccessKeyId,
          overlapMs: 0,
          consumersSwitched: async () => {
            // The agent serves the new key; minio-go still holds the one it cached (nothing expired yet).
            const cached = await round();
            expect(cached).toMatchObject({ ok: true, same: true, accessKeyId: oldKey });
            // At the end of the documented overlap (refreshInterval + 17 min after the write) minus 5 s,
            // minio-go's own expiry check must already have sent it to the endpoint for the new key.
            const overlapEnd = writtenAt + (KV_REFRESH_S + 17 * 60) * 1000;
            await mgo.send(`offset ${(overlapEnd - 5_000 - Date.now()) / 1000}`);
            const moved = await round();
            await mgo.send("offset 0");
            expect(moved).toMatchObject({ ok: true, same: true });
            return moved.accessKeyId !== oldKey;
          },
          timeoutMs: 60_000,
        });
        // The old key is gone from RGW now; the client works on with the new one.
        const after = await round();
        expect(after).toMatchObject({ ok: true, same: true, accessKeyId: rotated.newKey.accessKey });
        oldKey = rotated.newKey.accessKey;
      }
      timings.minioGoRotationsMs = performance.now() - started;
    } finally {
      mgo.stop();
    }
  }, 180_000);

  it("minio-go without the inline token (token file only) signs nothing: anonymous requests, RGW says AccessDenied", async () => {
    const started = performance.now();
    const mgo = startMinioGo({ S3_ENDPOINT: new URL(rgw.endpoint).host, S3_BUCKET: mgoBucket, AWS_REGION: rgw.region, AWS_CONTAINER_CREDENTIALS_FULL_URI: endpointUrl("rgw-kv"), AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(stage.outputDir, "endpoint-token") });
    try {
      const r = (await mgo.send("round 1")) as unknown as Round;
      expect(r).toMatchObject({ ok: false, anonymous: true, accessKeyId: "" });
      expect(r.error).toMatch(/Access Denied|AccessDenied/i);
    } finally {
      mgo.stop();
    }
    timings.minioGoAnonymousMs = performance.now() - started;
  }, 60_000);

  it("rclone 1.60 (env_auth, provider Ceph, inline token) copies and reads back across three STS rotations; without the inline token it fails", async () => {
    const started = performance.now();
    const env = rcloneEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpointUrl("rgw-sts"), AWS_CONTAINER_AUTHORIZATION_TOKEN: endpointToken });
    const bucket = `avi-rclone-${randomBytes(3).toString("hex")}`;
    const mk = rclone(["mkdir", `rgw:${bucket}`], env);
    expect(mk.status, mk.stderr).toBe(0);
    const keys = new Set<string>();
    for (let round = 1; keys.size < 4 && round <= 40; round++) {
      const key = (await served("rgw-sts")).AccessKeyId;
      const body = `rclone round ${round} ${new Date().toISOString()}`;
      const rc = spawnSync(RCLONE, ["rcat", `rgw:${bucket}/rclone/${round}`], { input: body, encoding: "utf8", timeout: 60_000, env: { PATH: "/usr/bin:/bin", HOME: home, ...env } });
      expect(rc.status, rc.stderr).toBe(0);
      const cat = rclone(["cat", `rgw:${bucket}/rclone/${round}`], env);
      expect(cat.status, cat.stderr).toBe(0);
      expect(cat.stdout).toBe(body);
      keys.add(key);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(keys.size).toBeGreaterThanOrEqual(4);
    timings.rcloneRotationsMs = performance.now() - started;

    const noInline = rcloneEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpointUrl("rgw-sts"), AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(stage.outputDir, "endpoint-token") });
    const denied = rclone(["lsf", `rgw:${bucket}`], noInline);
    expect(denied.status).not.toBe(0);
  }, 180_000);
});

/** rclone's S3 remote `rgw:` from env: provider Ceph, credentials from the environment chain. */
function rcloneEnv(extra: Record<string, string>): Record<string, string> {
  return {
    RCLONE_CONFIG: "/dev/null",
    RCLONE_CONFIG_RGW_TYPE: "s3",
    RCLONE_CONFIG_RGW_PROVIDER: "Ceph",
    RCLONE_CONFIG_RGW_ENV_AUTH: "true",
    RCLONE_CONFIG_RGW_ENDPOINT: rgw.endpoint,
    RCLONE_CONFIG_RGW_REGION: rgw.region,
    AWS_REGION: rgw.region,
    ...extra,
  };
}
