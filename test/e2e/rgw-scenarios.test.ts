/**
 * Issue 4, scenarios 1, 2, 4, 6 and 7 on real Ceph RGW: an annotated Airflow 3 KubernetesExecutor worker
 * pod goes through the kube-apiserver simulator's admission path to the built webhook, sim/kubelet runs
 * the mutated pod (the agent exactly as injected), sim/vault's AWS engine mints real RGW STS
 * credentials (`sts_endpoint` = RGW) and its KV v2 holds static RGW user keys. The task programs are
 * Debian's boto3 / aws-cli and @aws-sdk/client-s3 with nothing but the injected env and files.
 *
 * One RGW and one pipeline for the file. Each scenario prints one JSON summary line (`scenario N: {…}`)
 * with the rotations, request counts and failures it observed. Skipped, with the reason as the test
 * name, when the Ceph packages are missing.
 */
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AVI_IMAGE, startPodPipeline, type PodPipeline } from "../../sim/pipeline/index.js";
import { AVI_IMAGE_CONFIG, buildTaskImage, buildTestImage } from "../support/oci.js";
import { inRepo, nodeLayer, NODE_IN_CONTAINER, repoLayer, type ImageTable, type PodResult, type RunningPod } from "../../sim/kubelet/index.js";
import { watchCredentialFiles } from "./credential-files-watch.js";
import { af3WorkerPod, annotate, type Obj } from "../support/fixtures.js";
import { REPO_ROOT } from "../support/repo.js";
import { DEBIAN_PYTHON, describeWithTools } from "../support/tools.js";
import { rotateStaticKey, startCephRgw, writeKvV2, type CephRgw, type S3Key } from "./ceph/ceph-rgw.js";

const PYTHON = DEBIAN_PYTHON;
// The task programs as containers see them: the repository is an image layer at a fixed path (sim/kubelet).
const TASKS = inRepo(REPO_ROOT, "test/e2e/tasks");
const REPO = repoLayer(REPO_ROOT);
const CREDENTIALS_DIR = "/var/run/secrets/airflow-vault";
const LOGS = "/opt/airflow/logs"; // the worker pod's `logs` emptyDir: reports, progress and stop files

/** How often the agent re-reads KV / rotates STS credentials in these profiles (the refresh schedule). */
const STS_REFRESH_S = 3;
const KV_REFRESH_S = 2;
const STATIC_UID = "avi-static";

let rgw: CephRgw;
let pipeline: PodPipeline;
let staticKey: S3Key;
const kubeletLog: string[] = [];

interface LoopReport {
  ok: boolean;
  credentialMethod: string | null;
  durationSeconds: number;
  requests: { head_bucket: number; create_bucket: number; put: number; get: number; verify: number; total: number };
  failedRequests: number;
  failures: unknown[];
  objects: number;
  verified: number;
  mismatches: unknown[];
  accessKeyIds: { accessKeyId: string; firstSeen: string; lastSeen: string; requests: number }[];
  accessKeyChanges: number;
}

interface LoopProgress {
  round: number;
  accessKeyId: string | null;
  accessKeyIds: string[];
  requests: number;
  failedRequests: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The Airflow 3 worker pod with the inject annotation; `base` gets `env` from the pod author. */
function workerPod(credentials: string, env: Record<string, string>, extra: { containers?: Obj[]; annotations?: Record<string, string> } = {}): Obj {
  const pod = annotate(af3WorkerPod(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": credentials, ...extra.annotations });
  // A unique name per pod, as the executor's create_unique_id gives every task try.
  (pod["metadata"] as Obj)["name"] = `etl-load-s3-${randomBytes(4).toString("hex")}`;
  const spec = pod["spec"] as { containers: Obj[] };
  const base = spec.containers[0]!;
  base["env"] = [...((base["env"] as Obj[] | undefined) ?? []), ...Object.entries(env).map(([name, value]) => ({ name, value }))];
  spec.containers.push(...(extra.containers ?? []));
  return pod;
}

function envOf(pod: Obj, container: string): Record<string, string | undefined> {
  const c = ((pod["spec"] as Obj)["containers"] as Obj[]).find((x) => x["name"] === container)!;
  return Object.fromEntries(((c["env"] as { name: string; value?: string }[] | undefined) ?? []).map((e) => [e.name, e.value]));
}

async function admitted(pod: Obj): Promise<Obj> {
  const outcome = await pipeline.admit(pod, { namespace: "airflow" });
  if (!outcome.allowed) throw new Error(outcome.message);
  return outcome.pod;
}

function start(pod: Obj, images: ImageTable, isolation?: "oci"): RunningPod {
  return pipeline.run(pod, {
    images,
    ...(isolation !== undefined && { isolation }),
    objects: { configMaps: { "airflow-config": { "airflow.cfg": "[core]\nexecutor = KubernetesExecutor\n" } } },
    log: (l) => kubeletLog.push(l),
    ...(process.env["AVI_TEST_LOG"] !== undefined && { onContainerLog: (c: string, chunk: string) => process.stderr.write(`[${c}] ${chunk}`) }),
  });
}

const S3_LOOP_IMAGE = { "apache/airflow": { replace: [PYTHON, join(TASKS, "s3_loop.py")], layers: [REPO] } };

/** s3_loop.py's env: runs until the stop file appears (bounded by `seconds`), reports into the logs volume. */
function loopEnv(bucket: string, seconds: number): Record<string, string> {
  return {
    S3_LOOP_BUCKET: bucket,
    S3_LOOP_SECONDS: String(seconds),
    S3_LOOP_INTERVAL: "0.05",
    S3_LOOP_STOP_FILE: `${LOGS}/stop`,
    S3_LOOP_PROGRESS_FILE: `${LOGS}/progress.json`,
    S3_LOOP_REPORT: `${LOGS}/report.json`,
  };
}

/** Follows a running s3_loop.py through its progress file in the pod's `logs` volume. */
function loop(running: RunningPod): { progress: () => LoopProgress | undefined; stop: () => void; report: () => LoopReport } {
  // The kubelet creates the volumes once the pod starts.
  const logs = (file: string): string | undefined => {
    try {
      return join(running.volumePath("logs"), file);
    } catch {
      return undefined;
    }
  };
  return {
    progress: () => {
      const path = logs("progress.json");
      return path === undefined ? undefined : readJson<LoopProgress>(path);
    },
    stop: () => writeFileSync(logs("stop")!, ""),
    report: () => {
      const r = readJson<LoopReport>(logs("report.json")!);
      if (r === undefined) throw new Error(`s3_loop.py wrote no report; pod logs: ${JSON.stringify(running.logs("base"))}`);
      return r;
    },
  };
}

function expectSucceeded(result: PodResult): void {
  expect(result.phase, `${result.message ?? ""} ${JSON.stringify(result.logs)}`).toBe("Succeeded");
  const agent = result.containers.find((c) => c.name === "avi-agent")!;
  expect(agent.exitCode).toBe(0);
}

function expectCleanLoop(r: LoopReport): void {
  expect(r.failures).toEqual([]);
  expect(r.mismatches).toEqual([]);
  expect(r).toMatchObject({ ok: true, failedRequests: 0, credentialMethod: "container-role" });
  expect(r.objects).toBeGreaterThan(0);
  expect(r.verified).toBe(r.objects);
}

function loopSummary(r: LoopReport, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    keysSigning: r.accessKeyIds.length,
    rotationsSeenByBoto3: r.accessKeyChanges,
    requests: r.requests,
    failedRequests: r.failedRequests,
    objects: r.objects,
    verified: r.verified,
    loopSeconds: r.durationSeconds,
  };
}

/** STS credentials minted so far (Vault leases under aws/sts/rgw-tasks, ended ones included). */
function stsLeases(): number {
  return pipeline.vault.controls.leases({ includeEnded: true }).filter((l) => l.kind === "secret" && l.path.startsWith("aws/sts/rgw-tasks")).length;
}

/** Scenario 1: boto3's long-lived session across STS rotations; the pod on `images` (and `isolation`). */
async function scenario1(images: ImageTable, bucket: string, isolation?: "oci"): Promise<void> {
  const pod = await admitted(workerPod("rgw-sts", loopEnv(bucket, 120)));
  const env = envOf(pod, "base");
  // What the task gets: nothing but the injected env (the inline token for botocore 1.29).
  expect(Object.keys(env)).toEqual(expect.arrayContaining(["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION"]));
  expect(env).not.toHaveProperty("AWS_ACCESS_KEY_ID");

  const started = Date.now();
  const leasesBefore = stsLeases();
  const running = start(pod, images, isolation);
  try {
    const task = loop(running);
    // Until the session signed with three different keys (two rotations), then a few more rounds.
    await until(() => ((task.progress()?.accessKeyIds.length ?? 0) >= 3 ? true : undefined), 90_000, "boto3 to sign with a third STS key");
    const rounds = task.progress()!.round;
    await until(() => (task.progress()!.round >= rounds + 10 ? true : undefined), 30_000, "ten more rounds");
    task.stop();
    const result = await running.result;
    expectSucceeded(result);
    if (isolation !== undefined) expect(result.isolation).toBe(isolation);
    const r = task.report();
    expectCleanLoop(r);
    expect(r.accessKeyChanges).toBeGreaterThanOrEqual(2);
    const minted = stsLeases() - leasesBefore;
    expect(minted).toBeGreaterThanOrEqual(r.accessKeyIds.length);
    console.info(`scenario 1: ${JSON.stringify(loopSummary(r, { isolation: result.isolation, stsCredentialsMinted: minted, podMs: Date.now() - started }))}`);
  } finally {
    await running.remove();
  }
}

describeWithTools(["ceph", "boto3", "awscli"], "issue 4 scenarios on real Ceph RGW", () => {
  beforeAll(async () => {
    rgw = await startCephRgw();
    const common = { endpoint: rgw.endpoint, region: rgw.region };
    pipeline = await startPodPipeline({
      profiles: {
        // RGW's minimum STS duration (900 s) keeps the served Expiration inside botocore's 15-minute
        // advisory window, so the session asks the endpoint before each request; the refresh interval
        // rotates the credential every few seconds (docs/agent.md, "When credentials are refreshed").
        "rgw-sts": { path: "aws/sts/rgw-tasks", format: "aws", ttl: "15m", refreshInterval: `${STS_REFRESH_S}s`, airflowConnId: "rgw_default", ...common },
        "rgw-static": { path: "secret/data/rgw-static", format: "kv", refreshInterval: `${KV_REFRESH_S}s`, ...common },
      },
      settings: { injection: { endpointTokenEnv: true } },
      vault: { clock: { scale: 1 } },
    });
    await pipeline.vaultApi("POST", "sys/mounts/aws", { type: "aws" });
    await pipeline.vaultApi("POST", "aws/config/root", { access_key: rgw.vaultUser.accessKey, secret_key: rgw.vaultUser.secretKey, region: rgw.region, sts_endpoint: rgw.endpoint, iam_endpoint: rgw.endpoint });
    await pipeline.vaultApi("POST", "aws/roles/rgw-tasks", { credential_type: "assumed_role", role_arns: rgw.stsRoleArn });
    staticKey = await rgw.createUser(STATIC_UID);
    await writeKvV2({ address: pipeline.vault.address, token: pipeline.vault.rootToken }, "secret", "rgw-static")(staticKey);
    await pipeline.vaultApi("PUT", "sys/policies/acl/airflow", {
      policy: 'path "aws/sts/rgw-tasks" { capabilities = ["read"] }\npath "secret/data/rgw-static" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }',
    });
    await pipeline.vaultApi("POST", "auth/kubernetes/role/airflow", {
      bound_service_account_names: "airflow-worker",
      bound_service_account_namespaces: "airflow",
      audience: "vault",
      token_policies: "airflow",
      token_ttl: "1h",
    });
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    await rgw?.stop();
  });

  it("scenario 1: a KubernetesExecutor worker's long-lived boto3 session keeps working while the agent rotates real RGW STS credentials", async () => {
    await scenario1(S3_LOOP_IMAGE, "avi-scenario1");
  }, 180_000);

  // The same under a real OCI runtime: the agent from the built avi image, boto3 from a Debian image,
  // each container under the pod's securityContext and limits (sim/kubelet isolation "oci").
  describeWithTools(["podman"], "under podman/runc", () => {
    const images: { id: string; release: () => void }[] = [];
    beforeAll(async () => {
      images.push(await buildTestImage());
      images.push(await buildTaskImage(["python3-boto3"], [{ source: join(REPO_ROOT, "test/e2e/tasks"), target: "/opt/tasks" }]));
    }, 600_000);
    afterAll(() => images.forEach((i) => i.release()));

    it("scenario 1 with the agent and boto3 in real containers", async () => {
      const [avi, task] = images;
      await scenario1({ [AVI_IMAGE]: { oci: avi!.id, ...AVI_IMAGE_CONFIG }, "apache/airflow": { oci: task!.id, env: { PATH: "/usr/bin:/bin" }, replace: [PYTHON, "/opt/tasks/s3_loop.py"] } }, "avi-scenario1-oci", "oci");
    }, 180_000);
  });
  it("scenario 2: static RGW keys rotated through Vault KV; the long-lived boto3 session moves to the new key before the old one is removed", async () => {
    const pod = await admitted(workerPod("rgw-static", loopEnv("avi-scenario2", 240)));
    const token = envOf(pod, "base")["AWS_CONTAINER_AUTHORIZATION_TOKEN"]!;
    const served = async (): Promise<{ AccessKeyId: string; Expiration: string }> => {
      const res = await fetch(`http://127.0.0.1:${pipeline.agentPorts.endpoint}/v1/credentials/rgw-static`, { headers: { Authorization: token } });
      if (!res.ok) throw new Error(`agent endpoint: ${res.status} ${await res.text()}`);
      return (await res.json()) as { AccessKeyId: string; Expiration: string };
    };
    const started = Date.now();
    const running = start(pod, S3_LOOP_IMAGE);
    try {
      const task = loop(running);
      await until(() => (task.progress()?.accessKeyId === staticKey.accessKey ? true : undefined), 30_000, "boto3 to sign with the first static key");
      // Lease-less credentials are served with Expiration = next re-read + 16 min: botocore (15-min
      // advisory window) asks again about a minute after the agent's next re-read (docs/agent.md).
      const first = await served();
      const lead = (Date.parse(first.Expiration) - Date.now()) / 1000;
      expect(lead).toBeGreaterThan(16 * 60 - 2);
      expect(lead).toBeLessThanOrEqual(16 * 60 + KV_REFRESH_S + 2);

      // The overlap botocore needs here: the agent's re-read (≤ refreshInterval) + botocore's lead
      // (Expiration − 15 min = up to a minute after a re-read, which may be one interval late).
      const neededS = 2 * KV_REFRESH_S + 60;
      const oldKey = staticKey;
      const rotation = await rotateStaticKey({
        rgw,
        uid: STATIC_UID,
        oldAccessKey: oldKey.accessKey,
        writeToVault: writeKvV2({ address: pipeline.vault.address, token: pipeline.vault.rootToken }, "secret", "rgw-static"),
        served: async () => (await served()).AccessKeyId,
        overlapMs: 0,
        consumersSwitched: () => Promise.resolve(task.progress()?.accessKeyId !== oldKey.accessKey),
        timeoutMs: (neededS + 10) * 1000,
      });
      const removedAt = Date.now();
      staticKey = rotation.newKey;
      expect(await rgw.listKeys(STATIC_UID)).toEqual([rotation.newKey.accessKey]);
      // The session goes on after the old key is gone.
      const rounds = task.progress()!.round;
      await until(() => (task.progress()!.round >= rounds + 20 ? true : undefined), 30_000, "twenty more rounds after the old key was removed");
      task.stop();
      const result = await running.result;
      expectSucceeded(result);
      const r = task.report();
      expectCleanLoop(r);
      expect(r.accessKeyIds.map((k) => k.accessKeyId)).toEqual([oldKey.accessKey, rotation.newKey.accessKey]);
      const switchedAt = Date.parse(r.accessKeyIds[1]!.firstSeen);
      expect(switchedAt).toBeLessThanOrEqual(removedAt);
      expect(Date.parse(r.accessKeyIds[0]!.lastSeen)).toBeLessThanOrEqual(removedAt);
      console.info(
        `scenario 2: ${JSON.stringify(
          loopSummary(r, {
            isolation: result.isolation,
            servedExpirationLeadS: Math.round(lead),
            agentServedNewKeyAfterMs: Math.round(rotation.servedAfterMs),
            boto3SwitchedAfterKvWriteMs: Math.round(rotation.overlapMs),
            overlapNeededS: neededS,
            podMs: Date.now() - started,
          }),
        )}`,
      );
    } finally {
      await running.remove();
    }
  }, 240_000);
  it("scenario 4: Vault is down for longer than a refresh interval; the task keeps working, the agent recovers, no file is ever truncated or deleted", async () => {
    const OUTAGE_S = 4 * STS_REFRESH_S;
    const pod = await admitted(workerPod("rgw-sts", loopEnv("avi-scenario4", 150)));
    const started = Date.now();
    const running = start(pod, S3_LOOP_IMAGE);
    const files = watchCredentialFiles(
      () => {
        try {
          return running.volumePath("avi-credentials");
        } catch {
          return undefined; // not created yet
        }
      },
      "rgw-sts",
      { connId: "rgw_default" },
    );
    let stopped = false;
    try {
      const task = loop(running);
      await until(() => ((task.progress()?.accessKeyIds.length ?? 0) >= 2 ? true : undefined), 60_000, "a first rotation seen by boto3");
      // Vault drops every connection (as a Vault that is down or unreachable) for OUTAGE_S.
      const fault = pipeline.vault.controls.addFault({ path: "*", action: { type: "drop" }, forSeconds: OUTAGE_S });
      const outageStart = Date.now();
      const roundsAtStart = task.progress()!.round;
      await until(() => (pipeline.vault.controls.faults().some((f) => f.id === fault.id) ? undefined : true), (OUTAGE_S + 5) * 1000, "the outage to end");
      const outageMs = Date.now() - outageStart;
      const during = task.progress()!;
      expect(fault.hits).toBeGreaterThan(0); // the agent tried Vault during the outage
      expect(during.failedRequests).toBe(0);
      expect(during.round - roundsAtStart).toBeGreaterThan(10); // the session kept working meanwhile
      const keysAfterOutage = new Set(during.accessKeyIds);
      // Recovery: the agent fetches a new credential from Vault and boto3 signs with it.
      await until(() => (task.progress()!.accessKeyIds.some((k) => !keysAfterOutage.has(k)) ? true : undefined), 90_000, "a rotation after Vault came back");
      const recoveredAfterMs = Date.now() - outageStart - outageMs;
      const rounds = task.progress()!.round;
      await until(() => (task.progress()!.round >= rounds + 10 ? true : undefined), 30_000, "ten more rounds");
      task.stop();
      const result = await running.result;
      const watched = files.stop();
      stopped = true;
      expectSucceeded(result);
      const r = task.report();
      expectCleanLoop(r);
      expect(watched.violations).toEqual([]);
      for (const [file, n] of Object.entries(watched.reads)) expect(n, file).toBeGreaterThan(100);
      expect(watched.accessKeyIds.length).toBeGreaterThanOrEqual(3);
      expect(result.logs["avi-agent"]).toContain("refreshing credential failed; still serving the previous one");
      console.info(
        `scenario 4: ${JSON.stringify(
          loopSummary(r, {
            isolation: result.isolation,
            outageMs,
            refusedVaultRequests: fault.hits,
            rotationAfterRecoveryMs: recoveredAfterMs,
            credentialsWrittenSeenByWatcher: watched.accessKeyIds.length,
            fileReads: Object.values(watched.reads).reduce((a, b) => a + b, 0),
            fileViolations: watched.violations.length,
            podMs: Date.now() - started,
          }),
        )}`,
      );
    } finally {
      if (!stopped) files.stop();
      await running.remove();
    }
  }, 240_000);
  describe("scenarios 6 and 7: more consumers as containers of one injected pod (exactly the injected env and files)", () => {
    let result: PodResult;
    let podMs = 0;
    const lastJson = (container: string): Record<string, unknown> => {
      const lines = (result.logs[container] ?? "").trim().split("\n");
      return JSON.parse(lines.at(-1) ?? "") as Record<string, unknown>;
    };

    beforeAll(async () => {
      // airflow_conn_check.py writes into an existing bucket (the role may use the admin's `avi-*` buckets)
      const admin = new S3Client({ endpoint: rgw.endpoint, region: rgw.region, forcePathStyle: true, credentials: { accessKeyId: rgw.admin.accessKey, secretAccessKey: rgw.admin.secretKey } });
      await admin.send(new CreateBucketCommand({ Bucket: "avi-scenario7" }));
      admin.destroy();
      const pod = await admitted(
        workerPod("rgw-sts", {}, {
          containers: [
            { name: "awscli", image: "amazon/aws-cli:2.9.19", securityContext: { runAsUser: 50000 } },
            { name: "sdk-js", image: "node:24-slim", securityContext: { runAsUser: 50000 } },
          ],
        }),
      );
      const started = Date.now();
      const running = start(pod, {
        // scenario 7: the Airflow task reads the agent's connections file as LocalFilesystemBackend does
        "apache/airflow": { replace: [PYTHON, join(TASKS, "airflow_conn_check.py"), `${CREDENTIALS_DIR}/airflow/connections.json`, "rgw_default", "avi-scenario7"], layers: [REPO] },
        // scenario 6: Debian aws-cli through the aws/config profile, the JS SDK v3 through the endpoint
        "amazon/aws-cli": { replace: [join(TASKS, "awscli_check.sh"), "rgw-sts", "avi-scenario6"], layers: [REPO] },
        // HOME comes from sim/kubelet as runc sets it (`/` for uid 50000, which has no passwd entry).
        node: { replace: [NODE_IN_CONTAINER, join(TASKS, "sdk_s3_check.mjs"), "avi-scenario6", "5"], layers: [REPO, nodeLayer()] },
      });
      try {
        result = await running.result;
        podMs = Date.now() - started;
      } finally {
        await running.remove();
      }
    }, 120_000);

    it("scenario 6: aws-cli (aws/config credential_process profile) and @aws-sdk/client-s3 (endpoint) reach RGW", () => {
      expectSucceeded(result);
      const cli = lastJson("awscli");
      const sdk = lastJson("sdk-js");
      expect(cli).toMatchObject({ ok: true, profile: "rgw-sts", bucket: "avi-scenario6", endpoint: rgw.endpoint });
      expect(sdk).toMatchObject({ ok: true, bucket: "avi-scenario6", objects: 5, failures: [], endpoint: rgw.endpoint });
      expect(String(cli["accessKeyId"])).not.toBe("");
      expect((sdk["accessKeyIds"] as string[]).length).toBeGreaterThanOrEqual(1);
      // awscli: head-bucket (+ create) + put + get; the JS SDK: head-bucket (+ create) + 5 × (put + get)
      console.info(`scenario 6: ${JSON.stringify({ isolation: result.isolation, awscli: { ok: cli["ok"], s3Requests: "head/create-bucket + put + get", failures: 0 }, sdkJs: { ok: sdk["ok"], objects: sdk["objects"], keysSigning: (sdk["accessKeyIds"] as string[]).length, s3Requests: 2 + 2 * 5, failures: (sdk["failures"] as unknown[]).length }, podMs })}`);
    });

    it("scenario 7: the agent's airflow/connections.json parses as Airflow's LocalFilesystemBackend parses it and its aws connection reaches RGW", () => {
      expectSucceeded(result);
      const conn = lastJson("base");
      expect(conn).toMatchObject({ ok: true, connId: "rgw_default", connType: "aws", hasSessionToken: true, endpoint: rgw.endpoint, region: rgw.region, bucket: "avi-scenario7" });
      console.info(`scenario 7: ${JSON.stringify({ isolation: result.isolation, ok: conn["ok"], connType: conn["connType"], hasSessionToken: conn["hasSessionToken"], s3Requests: "put + get", failures: 0, podMs })}`);
    });
  });
});
