/**
 * The whole chain on built binaries: `avi inject` mutates an annotated KubernetesExecutor worker pod;
 * the `avi-agent` container it adds is run as a process exactly as specified — its args, its env
 * (downward API resolved, NODE_OPTIONS included), its config — with the pod's paths mapped to temp
 * directories and its fixed ports to ephemeral ones, against `avi sim vault` (a process too). It must
 * write every file, serve the endpoint the app container's env points at, and revoke at SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTPUT_FILES } from "../../agent/config.js";
import { startKubernetesAuthStack, type KubernetesAuthStack } from "../../sim/vault/index.js";
import { AVI_BIN, AVI_DEV_BIN, cleanEnv, run, until } from "../support/agent-process.js";
import { REPO_ROOT } from "../support/repo.js";
import { DEBIAN_PYTHON, itWithTools } from "../support/tools.js";
import type { Container } from "../support/pod-container.js";

interface Pod {
  metadata: { name: string; namespace: string; uid?: string };
  spec: {
    initContainers: Container[];
    containers: Container[];
    volumes: { name: string; projected?: { sources: { serviceAccountToken?: { audience: string; path: string } }[] } }[];
  };
}

const ROOT = "e2e-root-token";
let dir: string;
let sim: ChildProcess;
let address: string;
let k8s: KubernetesAuthStack;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${address}${path}`, {
    method,
    headers: { "X-Vault-Token": ROOT, "X-Vault-Request": "true", "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "avi-injected-"));
  sim = spawn(process.execPath, [AVI_DEV_BIN, "sim", "vault", "--listen", "127.0.0.1:0", "--root-token", ROOT], { stdio: ["ignore", "pipe", "inherit"] });
  address = await new Promise<string>((resolve, reject) => {
    let out = "";
    sim.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    sim.once("exit", (code) => reject(new Error(`avi sim vault exited ${code}`)));
  });
  k8s = await startKubernetesAuthStack({ vault: { address, rootToken: ROOT } });
  await api("POST", "/v1/sys/mounts/aws", { type: "aws" });
  await api("POST", "/v1/aws/config/root", { access_key: "AKIAROOTEXAMPLE", secret_key: "root-secret", region: "us-east-1" });
  await api("POST", "/v1/aws/roles/minio-etl", { credential_type: "assumed_role", role_arns: "arn:aws:iam::123456789012:role/etl", default_sts_ttl: "1h" });
  await api("POST", "/v1/secret/data/rgw/archive", { data: { access_key: "RGWARCHIVEKEY", secret_key: "rgw-archive-secret" } });
  await api("PUT", "/v1/sys/policies/acl/airflow", {
    policy: 'path "aws/sts/minio-etl" { capabilities = ["read"] }\npath "secret/data/rgw/archive" { capabilities = ["read"] }\npath "sys/leases/revoke" { capabilities = ["update"] }',
  });
  await api("POST", "/v1/auth/kubernetes/role/airflow", {
    bound_service_account_names: "airflow-worker",
    bound_service_account_namespaces: "airflow",
    audience: "vault",
    token_policies: "airflow",
    token_ttl: "1h",
  });
}, 60_000);

afterAll(async () => {
  await k8s?.stop();
  if (sim !== undefined && sim.exitCode === null) {
    const exited = new Promise((r) => sim.once("exit", r));
    sim.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface RunningInjected {
  mutated: Pod;
  /** The agent container's env as the kubelet would give it (downward API resolved), paths and ports mapped. */
  env: Record<string, string>;
  outputDir: string;
  declaredEndpointPort: number;
  status: { ready: boolean; endpoint: { url: string } };
  child: ChildProcess;
  output: string[];
  /** A path in the pod → where it is here. */
  map: (path: string) => string;
  /** The env `avi inject` gave the app container "base" (values only), its paths mapped. */
  appEnv: () => Record<string, string>;
}

/** `avi inject` with the example settings (edited by `editSettings`), then the injected agent as a process, until ready. */
async function injectAndRunAgent(editSettings: (text: string) => string = (text) => text): Promise<RunningInjected> {
  const work = mkdtempSync(join(dir, "pod-"));
  // The example settings and pod, with the Vault address of the running simulator.
  const settings = editSettings(readFileSync(join(REPO_ROOT, "examples/settings.yaml"), "utf8").replace("https://vault.vault.svc:8200", address));
  expect(settings).toContain(address);
  writeFileSync(join(work, "settings.yaml"), settings);
  const pod = readFileSync(join(REPO_ROOT, "examples/ke-worker-pod.yaml"), "utf8").replace("airflow-vault.io/credentials: minio-etl", "airflow-vault.io/credentials: minio-etl,ceph-archive");
  writeFileSync(join(work, "pod.yaml"), pod);
  const injected = await run(process.execPath, [AVI_BIN, "inject", "-f", join(work, "pod.yaml"), "--profiles", join(work, "settings.yaml"), "-o", "json"], { PATH: process.env["PATH"] });
  expect(injected.stderr).toBe("");
  expect(injected.code).toBe(0);
  const mutated = JSON.parse(injected.stdout) as Pod;
  const agent = mutated.spec.initContainers.find((c) => c.name === "avi-agent");
  expect(agent).toBeDefined();

  // The pod's paths → temp dirs, its fixed ports → ephemeral, its health host → loopback.
  const mounts = new Map((agent!.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
  const outputDir = join(work, "credentials");
  const tokenDir = join(work, "token");
  mkdirSync(outputDir);
  mkdirSync(tokenDir);
  const mapping: [string, string][] = [
    [mounts.get("avi-credentials")!, outputDir],
    [mounts.get("avi-token")!, tokenDir],
  ];
  const map = (path: string): string => {
    const hit = mapping.find(([mount]) => path === mount || path.startsWith(`${mount}/`));
    return hit === undefined ? path : hit[1] + path.slice(hit[0].length);
  };
  const projected = mutated.spec.volumes.find((v) => v.name === "avi-token")?.projected?.sources[0]?.serviceAccountToken;
  const jwt = await k8s.issuer.issue({ namespace: mutated.metadata.namespace, serviceAccount: "airflow-worker", podName: mutated.metadata.name, audiences: [projected!.audience] });
  writeFileSync(join(tokenDir, projected!.path), jwt);

  const fieldValues: Record<string, string> = { "metadata.name": mutated.metadata.name, "metadata.namespace": mutated.metadata.namespace, "metadata.uid": "5f1c9a3e-0000-4000-8000-000000000001" };
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "", HOME: work };
  for (const e of agent!.env ?? []) env[e.name] = e.value ?? fieldValues[e.valueFrom?.fieldRef?.fieldPath ?? ""] ?? "";
  const config = JSON.parse(env["AVI_AGENT_CONFIG"]!) as { outputDir: string; vault: { address: string; tokenFile: string }; endpoint?: { port: number }; health?: { host: string; port: number } };
  expect(config.vault.address).toBe(address);
  const declaredEndpointPort = config.endpoint?.port ?? 9911;
  config.outputDir = map(config.outputDir);
  config.vault.tokenFile = map(config.vault.tokenFile);
  config.endpoint = { port: 0 };
  config.health = { host: "127.0.0.1", port: 0 };
  env["AVI_AGENT_CONFIG"] = JSON.stringify(config);
  expect(env["NODE_OPTIONS"]).toBe("--jitless --max-semi-space-size=1");

  const child = spawn(process.execPath, [AVI_BIN, ...(agent!.args ?? [])], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout?.on("data", (c: Buffer) => output.push(c.toString()));
  child.stderr?.on("data", (c: Buffer) => output.push(c.toString()));
  const status = await until(() => {
    if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}: ${output.join("")}`);
    const path = join(outputDir, OUTPUT_FILES.status);
    if (!existsSync(path)) return undefined;
    const s = JSON.parse(readFileSync(path, "utf8")) as { ready: boolean; endpoint: { url: string } };
    return s.ready ? s : undefined;
  }, 20_000, "the injected agent to be ready").catch((err: Error) => {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw new Error(`${err.message}\n${output.join("")}`);
  });
  const appEnv = (): Record<string, string> => {
    const base = mutated.spec.containers.find((c) => c.name === "base")!;
    return Object.fromEntries((base.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!.startsWith("/") ? map(e.value!) : e.value!]));
  };
  return { mutated, env, outputDir, declaredEndpointPort, status, child, output, map, appEnv };
}

describe("avi inject → avi agent → avi sim vault", () => {
  it("runs the injected agent as specified: every file written, the app's endpoint served, leases and token revoked at SIGTERM", async () => {
    const { mutated, env, outputDir, declaredEndpointPort, child, output, map, status } = await injectAndRunAgent();
    try {
      // Every file of docs/agent.md, with the mode the injector chose.
      for (const f of ["minio-etl.json", "minio-etl.env", "ceph-archive.json", "ceph-archive.env", OUTPUT_FILES.awsConfig, OUTPUT_FILES.awsCredentials, OUTPUT_FILES.airflowConnections, OUTPUT_FILES.endpointToken, OUTPUT_FILES.status]) {
        expect(existsSync(join(outputDir, f)), f).toBe(true);
      }
      const fileMode = (JSON.parse(env["AVI_AGENT_CONFIG"] ?? "{}") as { fileMode?: number }).fileMode ?? 0o440;
      expect(statSync(join(outputDir, "minio-etl.json")).mode & 0o777).toBe(fileMode);
      expect(JSON.parse(readFileSync(join(outputDir, OUTPUT_FILES.airflowConnections), "utf8"))).toHaveProperty("minio_default.conn_type", "aws");

      // The app container's env: the endpoint path and token file it names are served (on our port).
      const base = mutated.spec.containers.find((c) => c.name === "base")!;
      const appEnv = Object.fromEntries((base.env ?? []).map((e) => [e.name, e.value ?? ""]));
      const uri = new URL(appEnv["AWS_CONTAINER_CREDENTIALS_FULL_URI"]!);
      expect(uri.hostname).toBe("127.0.0.1");
      expect(Number(uri.port)).toBe(declaredEndpointPort);
      const token = readFileSync(map(appEnv["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]!), "utf8");
      const res = await fetch(new URL(uri.pathname, status.endpoint.url).toString(), { headers: { authorization: token } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { AccessKeyId: string; Token: string; Expiration: string };
      expect(body.AccessKeyId).toMatch(/^ASIA/);
      expect(body.Token.length).toBeGreaterThan(20);
      const awsConfig = readFileSync(map(appEnv["AWS_CONFIG_FILE"]!), "utf8");
      // The agent names the files where it wrote them (here the mapped directory; in the pod, the mount).
      expect(awsConfig).toContain(`[profile minio-etl]\ncredential_process = /bin/cat ${join(outputDir, "minio-etl.json")}`);

      const activeSecretLeases = async (): Promise<number> => ((await api("GET", "/sim/leases")) as { leases: { kind: string }[] }).leases.filter((l) => l.kind === "secret").length;
      expect(await activeSecretLeases()).toBe(1);

      // SIGTERM: exit 0 after revoking.
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await activeSecretLeases()).toBe(0);
      expect(output.join("")).toMatch(/"msg":"revoked Vault token"/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);

  itWithTools(["boto3"], "with injection.endpointTokenEnv, Debian's boto3 (botocore < 1.32: no token file support) gets credentials from the app env as injected", async () => {
    const { child, output, appEnv, status, outputDir } = await injectAndRunAgent((text) => text.replace(/^injection:\n/m, "injection:\n  endpointTokenEnv: true\n"));
    try {
      const injected = appEnv();
      const token = injected["AWS_CONTAINER_AUTHORIZATION_TOKEN"];
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Both paths agree: the agent writes the token it was given.
      expect(readFileSync(join(outputDir, OUTPUT_FILES.endpointToken), "utf8")).toBe(token);
      // Only the port differs from the pod (the agent listens on an ephemeral one here).
      const uri = new URL(injected["AWS_CONTAINER_CREDENTIALS_FULL_URI"]!);
      const served = new URL(uri.pathname, status.endpoint.url).toString();
      const awsEnv = Object.fromEntries(Object.entries(injected).filter(([name]) => name.startsWith("AWS_")));
      const boto3 = (env: Record<string, string>) => run(DEBIAN_PYTHON, [join(REPO_ROOT, "test/e2e/consumers/boto3_consumer.py"), "1", "0"], cleanEnv(outputDir, env));

      const result = await boto3({ ...awsEnv, AWS_CONTAINER_CREDENTIALS_FULL_URI: served });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('"method": "container-role"');
      expect(result.stdout).toMatch(/"ak": "ASIA/);

      // Without the inline token this botocore sends none (it ignores the file): the endpoint refuses it.
      const { AWS_CONTAINER_AUTHORIZATION_TOKEN: _inline, ...fileOnly } = awsEnv;
      const refused = await boto3({ ...fileOnly, AWS_CONTAINER_CREDENTIALS_FULL_URI: served });
      expect(refused.code).not.toBe(0);
      expect(refused.stdout).not.toContain('"ak"');
      expect(output.join("")).not.toContain(token);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    }
  }, 60_000);
});
