/**
 * Scenario 3 under a real OCI runtime: a KubernetesExecutor worker pod goes through the kube-apiserver
 * simulator's admission and the built webhook, then sim/kubelet runs the mutated pod with podman/runc
 * (isolation `oci`): the agent from the built avi image under the injected securityContext (uid 65532,
 * read-only root without a writable /tmp, all capabilities dropped, no-new-privileges, RuntimeDefault
 * seccomp, memory limit = limits.memory with swap equal), the pod's volumes (tmpfs group-owned by
 * fsGroup, the projected token in the kubelet's ..data layout), host network with the pipeline's free
 * ports, native-sidecar ordering emulated by the kubelet. The task container runs from the same image
 * (its Node) as the pod's uid 50000. The webhook behind the admission harness runs from the image too
 * (uid 65532, read-only root, no capabilities).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { AVI_IMAGE, startPodPipeline, type PodPipeline } from "../../sim/pipeline/index.js";
import { af3WorkerPod, annotate } from "../support/fixtures.js";
import { AVI_IMAGE_CONFIG, buildTestImage, podman } from "../support/oci.js";
import { describeWithTools } from "../support/tools.js";
import { DEFAULT_AGENT_RESOURCES } from "../../injector/settings.js";
import { memoryBytes } from "../../sim/kubelet/oci-run.js";


// The task: reads the credentials file and the loopback endpoint (with the token file), checks they
// agree, and reports what the runtime gave it (no secret printed).
const TASK = `
const fs = require("fs");
const name = process.argv[1];
const file = JSON.parse(fs.readFileSync("/var/run/secrets/airflow-vault/" + name + ".json", "utf8"));
const token = fs.readFileSync(process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, "utf8");
let tmpWritable = true;
try { fs.writeFileSync("/tmp/probe", "x"); } catch { tmpWritable = false; }
const status = fs.readFileSync("/proc/self/status", "utf8");
fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { Authorization: token } }).then((r) => r.json()).then((served) => {
  if (served.AccessKeyId !== file.AccessKeyId || served.Token !== file.SessionToken) throw new Error("endpoint and file disagree");
  console.log(JSON.stringify({ task: "ok", uid: process.getuid(), groups: process.getgroups().sort(), access_key_prefix: served.AccessKeyId.slice(0, 4), tmpWritable, capEff: /CapEff:\\s*(\\w+)/.exec(status)[1] }));
});`;

let pipeline: PodPipeline;
let image: { id: string; release: () => void } | undefined;

describeWithTools(["podman"], "scenario 3 under podman/runc: a KubernetesExecutor worker pod completes", () => {
  beforeAll(async () => {
    image = await buildTestImage();
    const built = image;
    pipeline = await startPodPipeline({ webhookImage: built.id, profiles: { "minio-etl": { path: "aws/sts/minio-etl", format: "aws", endpoint: "http://127.0.0.1:9", region: "us-east-1", airflowConnId: "minio_default", ttl: "1h" } } });
    await pipeline.vaultApi("POST", "sys/mounts/aws", { type: "aws" });
    await pipeline.vaultApi("POST", "aws/config/root", { access_key: "AKIAROOTEXAMPLE", secret_key: "root-secret", region: "us-east-1" });
    await pipeline.vaultApi("POST", "aws/roles/minio-etl", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/etl", default_sts_ttl: "1h" });
    await pipeline.vaultApi("PUT", "sys/policies/acl/airflow", { policy: 'path "aws/sts/minio-etl" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }' });
    await pipeline.vaultApi("POST", "auth/kubernetes/role/airflow", { bound_service_account_names: "airflow-worker,default", bound_service_account_namespaces: "airflow,default", audience: "vault", token_policies: "airflow", token_ttl: "1h" });
  }, 600_000);

  afterAll(async () => {
    await pipeline?.stop();
    image?.release();
  });

  it("the webhook runs from the image, read-only and non-root, behind the admission harness", () => {
    const webhook = podman(["ps", "--quiet", "--no-trunc", "--filter", `ancestor=${image!.id}`])
      .split("\n")
      .filter((l) => l !== "")
      .map((cid) => JSON.parse(podman(["container", "inspect", cid]))[0] as { Config: { Cmd: string[] | null; User: string }; HostConfig: { ReadonlyRootfs: boolean; CapDrop: string[]; NetworkMode: string } })
      .find((c) => (c.Config.Cmd ?? [])[0] === "webhook");
    expect(webhook, "no webhook container from the image").toBeDefined();
    expect(webhook!.Config.User).toBe("65532:65532");
    expect(webhook!.HostConfig.ReadonlyRootfs).toBe(true);
    expect(webhook!.HostConfig.CapDrop.length).toBeGreaterThan(10);
    expect(pipeline.webhookLogs().some((l) => l.includes('"msg":"webhook listening"'))).toBe(true);
  });

  it("the agent runs from the image under the pod's securityContext and limits; the task reads its credentials; leases and token are revoked at completion", async () => {
    const outcome = await pipeline.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
    if (!outcome.allowed) throw new Error(outcome.message);
    const pod = outcome.pod;
    const seen: { id?: string; inspect?: Record<string, unknown> } = {};
    const running = pipeline.run(pod, {
      isolation: "oci",
      images: {
        [AVI_IMAGE]: { oci: image!.id, ...AVI_IMAGE_CONFIG },
        "apache/airflow": { oci: image!.id, ...AVI_IMAGE_CONFIG, replace: ["/nodejs/bin/node", "-e", TASK, "minio-etl"] },
      },
      objects: { configMaps: { "airflow-config": { "airflow.cfg": "[core]\nexecutor = KubernetesExecutor\n" } } },
      log: () => undefined,
      onContainerLog: (c) => {
        // Inspect the agent's container while it runs, found by the CRI labels of this pod.
        if (c !== "avi-agent" || seen.inspect !== undefined) return;
        const ids = podman(["ps", "--quiet", "--no-trunc", "--filter", `label=io.kubernetes.pod.uid=${running.uid}`, "--filter", "label=io.kubernetes.container.name=avi-agent"]).split("\n").filter((l) => l !== "");
        if (ids.length !== 1) return;
        seen.id = ids[0]!;
        seen.inspect = (JSON.parse(podman(["container", "inspect", seen.id]))[0] as { HostConfig: Record<string, unknown> }).HostConfig;
      },
    });
    try {
      const result = await running.result;
      expect(result.isolation).toBe("oci");
      expect(result.phase, `${result.message ?? ""} ${JSON.stringify(result.logs)}`).toBe("Succeeded");
      const agent = result.containers.find((c) => c.name === "avi-agent")!;
      const base = result.containers.find((c) => c.name === "base")!;
      expect(agent.kind).toBe("sidecar");
      expect(base.startedAt!).toBeGreaterThanOrEqual(agent.startedAt!);
      expect(agent.terminatingAt!).toBeGreaterThanOrEqual(base.finishedAt!);
      expect(agent.killed).toBeUndefined();
      expect(agent.exitCode).toBe(0);

      const task = JSON.parse(result.logs["base"]!.trim().split("\n").pop()!) as { task: string; uid: number; groups: number[]; access_key_prefix: string; tmpWritable: boolean; capEff: string };
      expect(task.task).toBe("ok");
      expect(task.access_key_prefix).toBe("ASIA");
      expect(task.uid).toBe(50000);
      expect(task.groups).toContain(0);

      // The agent's container as the runtime created it.
      expect(seen.inspect, "the agent's container was not seen running").toBeDefined();
      const host = seen.inspect as { ReadonlyRootfs: boolean; CapDrop: string[]; SecurityOpt: string[]; Memory: number; MemorySwap: number; NetworkMode: string; Tmpfs: Record<string, string> };
      expect(host.ReadonlyRootfs).toBe(true);
      expect(host.Tmpfs ?? {}).toEqual({});
      expect(host.SecurityOpt).toEqual(expect.arrayContaining(["no-new-privileges"]));
      // limits.memory as injected (the settings' default), with swap equal: no swap, as a kubelet sets it.
      expect(host.Memory).toBe(memoryBytes(DEFAULT_AGENT_RESOURCES.limits.memory));
      expect(host.MemorySwap).toBe(host.Memory);
      expect(host.NetworkMode).toBe("host");
      expect(host.CapDrop.length).toBeGreaterThan(10);
      expect(result.logs["avi-agent"]).toMatch(/"msg":"revoked Vault token"/);

      const leases = pipeline.vault.controls.leases({ includeEnded: true }).filter((l) => l.kind === "secret" && l.path.startsWith("aws/sts/minio-etl"));
      expect(leases.length).toBeGreaterThanOrEqual(1);
      expect(leases.every((l) => l.state === "revoked")).toBe(true);
      const tokens = pipeline.vault.controls.tokens({ includeRevoked: true }).filter((t) => t.path.startsWith("auth/kubernetes/login"));
      expect(tokens.length).toBeGreaterThanOrEqual(1);
      expect(tokens.every((t) => t.revoked)).toBe(true);
    } finally {
      await running.remove();
    }
    // The containers were removed with the pod (--rm, or by ID on remove()).
    if (seen.id !== undefined) expect(podman(["ps", "--all", "--quiet", "--no-trunc"]).includes(seen.id)).toBe(false);
  }, 300_000);
});
