/**
 * The real-Ceph half of issue 4, piece by piece: a throwaway Ceph RGW (test/e2e/ceph/), sim/vault's AWS
 * engine minting REAL RGW STS credentials through `sts_endpoint` (Vault api-docs/secret/aws), and the task
 * programs the scenarios run (test/e2e/tasks/), each fed credentials the simplest way: a container
 * credentials stub rotating between two real STS credentials, files rendered by the agent's own writers.
 * Skipped, with the reason as the test name, when the Ceph packages are missing.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import Fastify, { type FastifyInstance } from "fastify";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderAirflowConnections } from "../../agent/airflow-connections.js";
import { renderAwsConfig } from "../../agent/aws-config-file.js";
import type { CredentialSpec } from "../../agent/config.js";
import { renderCredentialProcess } from "../../agent/credential-process.js";
import type { PublishedCredential } from "../../agent/published-credential.js";
import { startVaultSim, type VaultSim } from "../../sim/vault/index.js";
import { cleanEnv, run, until } from "../support/agent-process.js";
import { REPO_ROOT } from "../support/repo.js";
import { DEBIAN_PYTHON, describeWithTools } from "../support/tools.js";
import { rotateStaticKey, startCephRgw, writeKvV2, type CephRgw, type S3Key } from "./ceph/ceph-rgw.js";

const PYTHON = DEBIAN_PYTHON;
const TASKS = join(REPO_ROOT, "test/e2e/tasks");
const BUCKET = "avi-e2e";

interface StsCredential extends S3Key {
  readonly sessionToken: string;
  readonly expiration: string;
}

let rgw: CephRgw;
let vault: VaultSim;
let home: string;
let sts: [StsCredential, StsCredential];
let stopMs = 0;

function s3(key: S3Key & { sessionToken?: string }): S3Client {
  const config: S3ClientConfig = {
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
    credentials: { accessKeyId: key.accessKey, secretAccessKey: key.secretKey, ...(key.sessionToken === undefined ? {} : { sessionToken: key.sessionToken }) },
  };
  return new S3Client(config);
}

async function status(fn: () => Promise<unknown>): Promise<number> {
  try {
    await fn();
    return 200;
  } catch (err) {
    return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
  }
}

async function roundTrip(client: S3Client, key: string, body: string): Promise<string> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString() ?? "";
}

async function vaultApi(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${vault.address}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": vault.rootToken, "X-Vault-Request": "true", "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function readSts(ttl: string): Promise<StsCredential> {
  const res = await vaultApi("GET", `aws/sts/tasks?ttl=${ttl}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  const data = res.json["data"] as Record<string, string>;
  const expiration = new Date(Date.now() + Number(res.json["lease_duration"]) * 1000).toISOString();
  return { accessKey: data["access_key"] ?? "", secretKey: data["secret_key"] ?? "", sessionToken: data["session_token"] ?? "", expiration };
}

/** A stand-in for the agent's loopback endpoint (docs/agent.md) serving `pick()`'s credential. */
async function credentialsStub(token: string, pick: () => StsCredential): Promise<{ url: string; app: FastifyInstance; hits: () => number }> {
  const app = Fastify();
  let hits = 0;
  app.get("/v1/credentials/tasks", async (req, reply) => {
    hits++;
    if (req.headers.authorization === undefined) return reply.code(401).send({ message: "missing token" });
    if (req.headers.authorization !== token) return reply.code(403).send({ message: "wrong token" });
    const c = pick();
    return { AccessKeyId: c.accessKey, SecretAccessKey: c.secretKey, Token: c.sessionToken, Expiration: c.expiration };
  });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url: `${address}/v1/credentials/tasks`, app, hits: () => hits };
}

function published(spec: CredentialSpec, c: StsCredential): PublishedCredential {
  const expiration = Date.parse(c.expiration);
  return { spec, seq: 1, credential: { accessKeyId: c.accessKey, secretAccessKey: c.secretKey, sessionToken: c.sessionToken }, expiration, validUntil: expiration };
}

describeWithTools(["ceph", "boto3", "awscli"], "real Ceph RGW", () => {
  beforeAll(async () => {
    rgw = await startCephRgw();
    vault = await startVaultSim({ clock: { scale: 1 } });
    home = mkdtempSync(join(tmpdir(), "avi-ceph-home-"));
    await s3(rgw.admin).send(new CreateBucketCommand({ Bucket: BUCKET }));
  }, 60_000);

  afterAll(async () => {
    await vault?.stop();
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
    const t0 = performance.now();
    await rgw?.stop();
    stopMs = performance.now() - t0;
    console.log(`ceph-rgw: bring-up ${Math.round(rgw?.startupMs ?? 0)} ms, teardown ${Math.round(stopMs)} ms`);
    if (rgw !== undefined) expect(existsSync(rgw.info.dir)).toBe(false);
    for (const pid of Object.values(rgw?.info.pids ?? {})) expect(processRunning(pid)).toBe(false);
  });

  it("comes up on loopback with its own ports and dir, and serves S3 to the admin keys", async () => {
    expect(rgw.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(rgw.info.dir.startsWith(tmpdir())).toBe(true);
    for (const pid of Object.values(rgw.info.pids)) expect(processRunning(pid)).toBe(true);
    expect(await roundTrip(s3(rgw.admin), "admin/hello.txt", "hello ceph")).toBe("hello ceph");
    // anonymous requests are refused: auth is on
    expect(await status(() => s3({ accessKey: "AKIANOTAKEY000000000", secretKey: "x".repeat(40) }).send(new GetObjectCommand({ Bucket: BUCKET, Key: "admin/hello.txt" })))).toBe(403);
  });

  it("radosgw-admin key create/remove: both keys work, then the removed one gets 403 at once", async () => {
    const first = await rgw.createUser("e2e-rotate");
    const second = await rgw.createKey("e2e-rotate");
    expect(second.accessKey).not.toBe(first.accessKey);
    expect(await rgw.listKeys("e2e-rotate")).toEqual(expect.arrayContaining([first.accessKey, second.accessKey]));
    const list = (k: S3Key) => status(() => s3(k).send(new CreateBucketCommand({ Bucket: "avi-rotate" })));
    expect([await list(first), await list(second)]).toEqual([200, 200]);
    await rgw.removeKey("e2e-rotate", first.accessKey);
    expect([await list(first), await list(second)]).toEqual([403, 200]);
    expect(await rgw.listKeys("e2e-rotate")).toEqual([second.accessKey]);
  });

  it("sim/vault's AWS engine with sts_endpoint = RGW mints real STS credentials (Vault api-docs/secret/aws)", async () => {
    expect((await vaultApi("POST", "sys/mounts/aws", { type: "aws" })).status).toBe(204);
    const root = { access_key: rgw.vaultUser.accessKey, secret_key: rgw.vaultUser.secretKey, region: rgw.region, sts_endpoint: rgw.endpoint, iam_endpoint: rgw.endpoint };
    expect((await vaultApi("POST", "aws/config/root", root)).status).toBe(204);
    expect((await vaultApi("POST", "aws/roles/tasks", { credential_type: "assumed_role", role_arns: rgw.stsRoleArn })).status).toBe(204);

    const res = await vaultApi("GET", "aws/sts/tasks?ttl=900s");
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ renewable: false, lease_id: expect.stringMatching(/^aws\/sts\/tasks\/.+/) as unknown });
    // counted from RGW's Expiration against real time: a few seconds under 900
    expect(Number(res.json["lease_duration"])).toBeGreaterThan(880);
    expect(Number(res.json["lease_duration"])).toBeLessThanOrEqual(900);
    const data = res.json["data"] as Record<string, unknown>;
    expect(data["session_token"]).toBe(data["security_token"]);
    expect(String(data["arn"])).toMatch(/^arn:aws:sts:::assumed-role\/avi\/avi-tasks\//);

    // RGW's own minimum (900 s) comes back as Vault's 400 "Error assuming role: …"
    const short = await vaultApi("GET", "aws/sts/tasks?ttl=600s");
    expect(short.status).toBe(400);
    expect(JSON.stringify(short.json["errors"])).toMatch(/^\["Error assuming role: /);

    sts = [await readSts("900s"), await readSts("900s")];
    expect(sts[0].accessKey).not.toBe(sts[1].accessKey);
  });

  it("the STS credentials work with @aws-sdk/client-s3 and Debian boto3; outside the role's buckets they are refused", async () => {
    const [a] = sts;
    const client = s3(a);
    expect(await roundTrip(client, "sts/js.txt", "via sts (js)")).toBe("via sts (js)");
    expect(await status(() => client.send(new CreateBucketCommand({ Bucket: "not-avi" })))).toBe(403);
    expect(await status(() => s3({ accessKey: a.accessKey, secretKey: a.secretKey }).send(new GetObjectCommand({ Bucket: BUCKET, Key: "sts/js.txt" })))).not.toBe(200);

    const py = [
      "import boto3, os, sys",
      "c = boto3.client('s3', endpoint_url=os.environ['EP'], region_name='us-east-1')",
      `c.put_object(Bucket='${BUCKET}', Key='sts/py.txt', Body=b'via sts (boto3)')`,
      `sys.stdout.write(c.get_object(Bucket='${BUCKET}', Key='sts/py.txt')['Body'].read().decode())`,
    ].join("\n");
    const env = cleanEnv(home, { EP: rgw.endpoint, AWS_ACCESS_KEY_ID: a.accessKey, AWS_SECRET_ACCESS_KEY: a.secretKey, AWS_SESSION_TOKEN: a.sessionToken });
    const result = await run(PYTHON, ["-c", py], env);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("via sts (boto3)");
  });

  describe("task programs", () => {
    const token = "endpoint-token-for-tests";
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "avi-tasks-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function podEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
      // what the webhook injects (docs/injection.md) plus the inline token for botocore 1.29
      const tokenFile = join(dir, "endpoint-token");
      writeFileSync(tokenFile, token);
      return cleanEnv(home, {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
        AWS_ENDPOINT_URL_S3: rgw.endpoint,
        AWS_REGION: rgw.region,
        ...extra,
      });
    }

    it("s3_loop.py: one long-lived boto3 session across rotating credentials, zero failures, every object verified", async () => {
      // switch the served credential every 700 ms; 900 s credentials are inside botocore's 15-min
      // advisory window, so it asks the endpoint before each request and picks up each switch
      const started = Date.now();
      const stub = await credentialsStub(token, () => sts[Math.floor((Date.now() - started) / 700) % 2] as StsCredential);
      try {
        const report = join(dir, "loop.json");
        const env = podEnv(stub.url, { S3_LOOP_BUCKET: BUCKET, S3_LOOP_SECONDS: "3", S3_LOOP_INTERVAL: "0.05", S3_LOOP_REPORT: report });
        const result = await run(PYTHON, [join(TASKS, "s3_loop.py")], env);
        expect(result.code, result.stderr).toBe(0);
        const r = JSON.parse(readFileSync(report, "utf8")) as LoopReport;
        expect(r).toMatchObject({ ok: true, failedRequests: 0, failures: [], mismatches: [], credentialMethod: "container-role", endpoint: rgw.endpoint });
        expect(r.objects).toBeGreaterThan(10);
        expect(r.verified).toBe(r.objects);
        expect(r.requests.total).toBe(r.requests.head_bucket + r.requests.create_bucket + r.requests.put + r.requests.get + r.requests.verify);
        expect(new Set(r.accessKeyIds.map((k) => k.accessKeyId))).toEqual(new Set([sts[0].accessKey, sts[1].accessKey]));
        expect(r.accessKeyChanges).toBe(1);
        expect(stub.hits()).toBeGreaterThan(r.requests.put);
      } finally {
        await stub.app.close();
      }
    });

    it("s3_loop.py: a refused credential shows as counted failures with the error, and exit 1", async () => {
      const bad = { ...sts[0], secretKey: "0".repeat(40) };
      const stub = await credentialsStub(token, () => bad);
      try {
        const report = join(dir, "loop-bad.json");
        const stop = join(dir, "stop");
        writeFileSync(stop, "");
        const env = podEnv(stub.url, { S3_LOOP_BUCKET: BUCKET, S3_LOOP_SECONDS: "2", S3_LOOP_STOP_FILE: stop, S3_LOOP_REPORT: report });
        const result = await run(PYTHON, [join(TASKS, "s3_loop.py")], env);
        expect(result.code).toBe(1);
        const r = JSON.parse(readFileSync(report, "utf8")) as LoopReport;
        expect(r.ok).toBe(false);
        expect(r.objects).toBe(0); // the stop file was there from the start: no rounds
        expect(r.failedRequests).toBe(1);
        expect(r.failures[0]).toMatchObject({ op: "head_bucket", status: 403, accessKeyId: sts[0].accessKey });
      } finally {
        await stub.app.close();
      }
    });

    it("awscli_check.sh: Debian aws-cli through the agent's aws/config credential_process profile", async () => {
      const spec: CredentialSpec = { name: "tasks", path: "aws/sts/tasks", format: "aws", endpoint: rgw.endpoint, region: rgw.region };
      writeFileSync(join(dir, "tasks.json"), renderCredentialProcess(published(spec, sts[1])));
      mkdirSync(join(dir, "aws"), { recursive: true });
      writeFileSync(join(dir, "aws/config"), renderAwsConfig([spec], dir));
      const env = cleanEnv(home, { AWS_CONFIG_FILE: join(dir, "aws/config"), AWS_ENDPOINT_URL_S3: rgw.endpoint });
      const result = await run(join(TASKS, "awscli_check.sh"), ["tasks", BUCKET], env);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, profile: "tasks", bucket: BUCKET, accessKeyId: sts[1].accessKey });
    });

    it("sdk_s3_check.mjs: @aws-sdk/client-s3 on its default chain through the endpoint (token file)", async () => {
      const stub = await credentialsStub(token, () => sts[0]);
      try {
        const env = podEnv(stub.url);
        delete env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]; // the JS SDK reads the file
        const result = await run(process.execPath, [join(TASKS, "sdk_s3_check.mjs"), BUCKET, "3"], env);
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, objects: 3, accessKeyIds: [sts[0].accessKey], failures: [] });
      } finally {
        await stub.app.close();
      }
    });

    it("airflow_conn_check.py: the agent's connections.json loads as LocalFilesystemBackend loads it and reaches RGW", async () => {
      const spec: CredentialSpec = { name: "tasks", path: "aws/sts/tasks", format: "aws", endpoint: rgw.endpoint, region: rgw.region, airflowConnId: "rgw_default" };
      const file = join(dir, "connections.json");
      writeFileSync(file, renderAirflowConnections([published(spec, sts[0])]));
      const ok = await run(PYTHON, [join(TASKS, "airflow_conn_check.py"), file, "rgw_default", BUCKET], cleanEnv(home, {}));
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, connType: "aws", accessKeyId: sts[0].accessKey, hasSessionToken: true, endpoint: rgw.endpoint, region: rgw.region });

      // Airflow's own rules refuse what the backend would refuse (`airflow/secrets/local_filesystem.py`)
      const bad = join(dir, "bad.json");
      writeFileSync(bad, JSON.stringify({ rgw_default: { conn_type: "aws", login: "x", token: "y" } }));
      const refused = await run(PYTHON, [join(TASKS, "airflow_conn_check.py"), bad, "rgw_default", BUCKET], cleanEnv(home, {}));
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/AirflowException: The object have illegal keys: token/);
      const txt = join(dir, "connections.txt");
      writeFileSync(txt, "{}");
      const wrongType = await run(PYTHON, [join(TASKS, "airflow_conn_check.py"), txt, "rgw_default", BUCKET], cleanEnv(home, {}));
      expect(wrongType.code).toBe(3);
      expect(wrongType.stderr).toMatch(/AirflowUnsupportedFileTypeException/);
    });

    it("rotateStaticKey: new RGW key → Vault KV → served → old key removed (scenario 2's helper)", async () => {
      const first = await rgw.createUser("e2e-static");
      const write = writeKvV2({ address: vault.address, token: vault.rootToken }, "secret", "rgw-static");
      await write(first);
      const served = async (): Promise<string> => String(((await vaultApi("GET", "secret/data/rgw-static")).json["data"] as { data: Record<string, string> }).data["access_key"]);
      expect(await served()).toBe(first.accessKey);
      const rotation = await rotateStaticKey({ rgw, uid: "e2e-static", oldAccessKey: first.accessKey, writeToVault: write, served, overlapMs: 200 });
      expect(await served()).toBe(rotation.newKey.accessKey);
      expect(rotation.overlapMs).toBeGreaterThanOrEqual(200);
      expect(await rgw.listKeys("e2e-static")).toEqual([rotation.newKey.accessKey]);
      const create = (k: S3Key) => status(() => s3(k).send(new CreateBucketCommand({ Bucket: "avi-static" })));
      expect([await create(first), await create(rotation.newKey)]).toEqual([403, 200]);
    });
  });
});

describeWithTools(["ceph"], "ceph-rgw.sh watchdog", () => {
  it("tears the cluster down once the watched process dies (a test runner killed mid-run leaves nothing)", async () => {
    const parent = spawn("sleep", ["600"], { stdio: "ignore" });
    const rgwOfDead = await startCephRgw({ watchPid: parent.pid ?? null });
    const pids = Object.values(rgwOfDead.info.pids);
    expect(pids.every(processRunning)).toBe(true);
    parent.kill("SIGKILL");
    await until(() => (existsSync(rgwOfDead.info.dir) ? undefined : true), 10_000, "the watchdog to remove the cluster dir");
    expect(pids.some(processRunning)).toBe(false);
    await rgwOfDead.stop(); // idempotent on a dir that is already gone
  });
});

interface LoopReport {
  ok: boolean;
  endpoint: string | null;
  credentialMethod: string | null;
  requests: { head_bucket: number; create_bucket: number; put: number; get: number; verify: number; total: number };
  failedRequests: number;
  failures: { op: string; status: number | null; accessKeyId: string | null }[];
  objects: number;
  verified: number;
  mismatches: unknown[];
  accessKeyIds: { accessKeyId: string; requests: number }[];
  accessKeyChanges: number;
}

function processRunning(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2];
    return state !== "Z";
  } catch {
    return false;
  }
}
