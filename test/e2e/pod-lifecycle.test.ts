/**
 * Issue 4, scenarios 3 and 5: Airflow pods through the whole pipeline — the kube-apiserver
 * simulator's admission path, the built webhook, sim/vault with Kubernetes auth, and sim/kubelet
 * running the mutated pod (the agent exactly as injected: `node dist/avi.js agent` with the patch's
 * args and env, as uid 65532 where namespaces are available).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_SHELL_IMAGE, inRepo, repoLayer } from "../../sim/kubelet/index.js";
import { startPodPipeline, type PodPipeline } from "../../sim/pipeline/index.js";
import { af3WorkerPod, annotate, kpoPodWithXcomSidecar, type Obj } from "../support/fixtures.js";
import { until } from "../support/agent-process.js";
import { REPO_ROOT } from "../support/repo.js";

const PYTHON = "/usr/bin/python3";
let pipeline: PodPipeline;
const kubeletLog: string[] = [];

beforeAll(async () => {
  pipeline = await startPodPipeline({ profiles: { "minio-etl": { path: "aws/sts/minio-etl", format: "aws", endpoint: "http://127.0.0.1:9", region: "us-east-1", airflowConnId: "minio_default", ttl: "1h" } } });
  await pipeline.vaultApi("POST", "sys/mounts/aws", { type: "aws" });
  await pipeline.vaultApi("POST", "aws/config/root", { access_key: "AKIAROOTEXAMPLE", secret_key: "root-secret", region: "us-east-1" });
  await pipeline.vaultApi("POST", "aws/roles/minio-etl", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/etl", default_sts_ttl: "1h" });
  await pipeline.vaultApi("PUT", "sys/policies/acl/airflow", { policy: 'path "aws/sts/minio-etl" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }' });
  await pipeline.vaultApi("POST", "auth/kubernetes/role/airflow", {
    bound_service_account_names: "airflow-worker,default",
    bound_service_account_namespaces: "airflow,default",
    audience: "vault",
    token_policies: "airflow",
    token_ttl: "1h",
  });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
});

async function admitted(pod: Obj, namespace: string): Promise<Obj> {
  const outcome = await pipeline.admit(pod, { namespace });
  if (!outcome.allowed) throw new Error(outcome.message);
  return outcome.pod;
}

describe("scenario 3: a KubernetesExecutor worker pod completes", () => {
  it("the task reads files and endpoint, the pod reaches Succeeded within the grace period, the agent's leases and token are revoked", async () => {
    const pod = await admitted(annotate(af3WorkerPod()), "airflow");
    const started = Date.now();
    const running = pipeline.run(pod, {
      images: { "apache/airflow": { replace: [PYTHON, inRepo(REPO_ROOT, "test/e2e/pod-tasks/read_credentials.py"), "minio-etl"], layers: [repoLayer(REPO_ROOT)] } },
      objects: { configMaps: { "airflow-config": { "airflow.cfg": "[core]\nexecutor = KubernetesExecutor\n" } } },
      log: (l) => kubeletLog.push(l),
      ...(process.env["AVI_TEST_LOG"] !== undefined && { onContainerLog: (c: string, chunk: string) => process.stderr.write(`[${c}] ${chunk}`) }),
    });
    try {
      const result = await running.result;
      const elapsed = Date.now() - started;
      console.info(`scenario 3: isolation ${result.isolation}; pod ${result.phase} in ${elapsed} ms; sidecar termination ${result.terminationMs} ms`);
      expect(result.phase, `${result.message ?? ""} ${JSON.stringify(result.logs)}`).toBe("Succeeded");
      const agent = result.containers.find((c) => c.name === "avi-agent")!;
      const base = result.containers.find((c) => c.name === "base")!;
      expect(agent.kind).toBe("sidecar");
      expect(agent.started).toBe(true);
      expect(base.exitCode).toBe(0);
      // The task started only after the agent's startupProbe (/ready) passed.
      expect(base.startedAt!).toBeGreaterThanOrEqual(agent.startedAt!);
      expect(agent.terminatingAt!).toBeGreaterThanOrEqual(base.finishedAt!);
      // The agent left on SIGTERM by itself, inside terminationGracePeriodSeconds (600 in the Helm template).
      expect(agent.killed).toBeUndefined();
      expect(agent.exitCode).toBe(0);
      expect(result.terminationMs!).toBeLessThan(600_000);
      const task = JSON.parse(result.logs["base"]!.trim().split("\n").pop()!) as { task: string; uid: number; groups: number[]; access_key_prefix: string };
      expect(task.task).toBe("ok");
      expect(task.access_key_prefix).toBe("ASIA");
      if (result.isolation === "mount-namespace") {
        expect(task.uid).toBe(50000); // runAsUser of the pod; fsGroup 0 as a supplementary group
        expect(task.groups).toContain(0);
      }
      expect(result.logs["avi-agent"]).toMatch(/"msg":"revoked Vault token"/);

      // Vault: the agent's lease and its token are revoked (not merely expired).
      const leases = pipeline.vault.controls.leases({ includeEnded: true }).filter((l) => l.kind === "secret" && l.path.startsWith("aws/sts/minio-etl"));
      expect(leases.length).toBeGreaterThanOrEqual(1);
      expect(leases.every((l) => l.state === "revoked")).toBe(true);
      const tokens = pipeline.vault.controls.tokens({ includeRevoked: true }).filter((t) => t.path.startsWith("auth/kubernetes/login"));
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      expect(tokens.every((t) => t.revoked)).toBe(true);
      // The token the agent logged in with was the kubelet's projected token for this pod.
      expect(result.tokenRotations.filter((r) => r.volume === "avi-token")).toHaveLength(1);
    } finally {
      await running.remove();
    }
  }, 120_000);
});

/** The container's main process, from the kubelet's "started … container NAME (pid N)" line. */
function containerPid(name: string): number | undefined {
  const line = kubeletLog.findLast((l) => l.includes(`container ${name} (pid `));
  const pid = line === undefined ? undefined : /\(pid (\d+)\)/.exec(line)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Whether the process has a handler for SIGINT (bit 2 of SigCgt in /proc/PID/status). */
function sigintCaught(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return caught !== undefined && (BigInt(`0x${caught}`) & 2n) !== 0n;
  } catch {
    return false;
  }
}

describe("scenario 5: a KubernetesPodOperator pod with the xcom sidecar, in init mode", () => {
  it("credentials are present before base starts, the agent (init container) exits 0, the xcom sidecar is stopped as KPO does", async () => {
    const kpo = annotate(kpoPodWithXcomSidecar(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/mode": "init" });
    const base = ((kpo["spec"] as Obj)["containers"] as Obj[])[0]!;
    // The KPO user's `cmds`/`arguments`: use the credentials, push an XCom.
    base["command"] = ["bash", "-c"];
    base["args"] = ['set -e; test -s /var/run/secrets/airflow-vault/minio-etl.json; . /var/run/secrets/airflow-vault/minio-etl.env; echo "key ${AWS_ACCESS_KEY_ID:0:4}"; echo \'{"rows": 10}\' > /airflow/xcom/return.json'];
    const pod = await admitted(kpo, "default");
    const agentSpec = ((pod["spec"] as Obj)["initContainers"] as Obj[]).find((c) => c["name"] === "avi-agent")!;
    expect(agentSpec["restartPolicy"]).toBeUndefined(); // init mode: a plain init container

    const started = Date.now();
    const running = pipeline.run(pod, { images: { ubuntu: HOST_SHELL_IMAGE, alpine: HOST_SHELL_IMAGE }, log: (l) => kubeletLog.push(l) });
    try {
      // KPO waits for `base` to finish, reads the XCom through the sidecar, then kills the sidecar
      // (`kill -s SIGINT 1` in the sidecar; here the same signal to its main process).
      await running.waitFor("base", (s) => s.state === "terminated", 60_000);
      const xcom = readFileSync(join(running.volumePath("xcom"), "return.json"), "utf8");
      expect(JSON.parse(xcom)).toEqual({ rows: 10 });
      // Main containers start in parallel: the sidecar may still be starting when a short `base` is done
      // (KPO, too, execs into the sidecar only once it runs).
      await running.waitFor("airflow-xcom-sidecar", (s) => s.state === "running", 30_000);
      // Its shell must have run `trap "exit 0" INT` by then, as it has long before KPO's kill in a cluster.
      await until(() => (sigintCaught(containerPid("airflow-xcom-sidecar")) ? true : undefined), 30_000, "the xcom sidecar to trap SIGINT");
      running.signal("airflow-xcom-sidecar", "SIGINT");
      const result = await running.result;
      console.info(`scenario 5: isolation ${result.isolation}; pod ${result.phase} in ${Date.now() - started} ms`);
      expect(result.phase, `${result.message ?? ""} ${JSON.stringify(result.logs)}`).toBe("Succeeded");
      const agent = result.containers.find((c) => c.name === "avi-agent")!;
      const baseStatus = result.containers.find((c) => c.name === "base")!;
      expect(agent.kind).toBe("init");
      expect(agent.exitCode).toBe(0);
      expect(baseStatus.startedAt!).toBeGreaterThanOrEqual(agent.finishedAt!);
      expect(baseStatus.exitCode).toBe(0);
      expect(result.logs["base"]).toContain("key ASIA");
      expect(result.containers.find((c) => c.name === "airflow-xcom-sidecar")!.exitCode).toBe(0);
      // Init mode leaves the credentials' lease for the task's lifetime (no revocation at exit).
      expect(existsSync(join(running.volumePath("avi-credentials"), "minio-etl.json"))).toBe(true);
    } finally {
      await running.remove();
    }
  }, 120_000);
});
