/**
 * The pod pipeline: everything between "Airflow creates a pod" and "the pod finished", on loopback.
 * `startPodPipeline` starts sim/vault (Kubernetes auth against a TokenReview server that shares the
 * service-account issuer), the kube-apiserver simulator's admission path, and the built webhook
 * (`node dist/avi.js webhook`, self-signed CA, settings with your profiles and free agent ports);
 * `admit(pod)` sends a pod through admission; `run(pod)` runs the mutated pod with sim/kubelet.
 * Used by the e2e scenarios and `avi demo`. See docs/kubelet-simulator.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stringify } from "yaml";
import type { SettingsInput } from "../../injector/settings.js";
import type { AdmissionHarness, AdmissionOutcome } from "../apiserver/admission/harness.js";
import type { JsonObject } from "../apiserver/admission/review.js";
import { serviceDnsName } from "../apiserver/admission/webhook-client.js";
import { startApiServerSim, type ApiServerSim } from "../apiserver/index.js";
import { findResource } from "../apiserver/rest/index.js";
import { aviImage, clockFromSimClock, runPod, type ImageTable, type KubeletOptions, type RunningPod } from "../kubelet/index.js";
import { createTestCertificateAuthority } from "../tls/certificate-authority.js";
import { startKubernetesAuthStack, startVaultSim, type KubernetesAuthStack, type VaultSim, type VaultSimOptions } from "../vault/index.js";
import { aviWebhookConfiguration } from "../apiserver/webhook-configuration.js";

/** The image reference the pipeline's webhook injects; `run()` maps it to `node <repo>/dist/avi.js`. */
export const AVI_IMAGE = "avi.local/airflow-vault-injector:dev";
export const WEBHOOK_SERVICE = { name: "avi-webhook", namespace: "avi-system", path: "/mutate", port: 443 } as const;
export const WEBHOOK_CONFIGURATION = "airflow-vault-injector";

export interface PodPipelineOptions {
  /** The platform team's profiles (settings `profiles`); their paths are on the pipeline's Vault. */
  readonly profiles: NonNullable<SettingsInput["profiles"]>;
  /** Overrides merged into the generated settings (`vault` gets the simulator's address unless given). */
  readonly settings?: { readonly vault?: Partial<SettingsInput["vault"]>; readonly agent?: Partial<SettingsInput["agent"]>; readonly injection?: SettingsInput["injection"] };
  /** Repository root holding dist/avi.js (default: found from this module). */
  readonly repoRoot?: string;
  readonly vault?: VaultSimOptions;
  /** Where Kubernetes auth is enabled and configured (default `kubernetes`; also the settings' `vault.authMount`). */
  readonly authMount?: string;
  /** Pod Security level of the pod's namespace at admission. */
  readonly podSecurity?: "privileged" | "restricted";
  /**
   * Run the webhook from this OCI image (ID or reference) with podman as the chart runs it: uid 65532,
   * read-only root, no capabilities, no-new-privileges, host network (needs root). Default: the process
   * `node dist/avi.js webhook`.
   */
  readonly webhookImage?: string;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface RunOptions extends Partial<Omit<KubeletOptions, "images">> {
  /** Extra images (e.g. the Airflow image → a test script); the avi image is always mapped. */
  readonly images?: ImageTable;
}

/**
 * A Vault the pipeline configures through its HTTP API only (a real Vault reachable on loopback, or
 * `avi sim vault` in another process). `clock` shares simulated time with the token issuer and kubelet.
 */
export interface VaultTarget {
  readonly address: string;
  readonly rootToken: string;
  readonly clock?: VaultSim["clock"];
}

export type ExternalVaultPipelineOptions = Omit<PodPipelineOptions, "vault">;

/** The pipeline on any Vault ({@link startPodPipelineOn}); {@link PodPipeline} adds the simulator's handle. */
export interface VaultPodPipeline {
  /** Service-account issuer + TokenReview server that Vault's Kubernetes auth uses. */
  readonly auth: KubernetesAuthStack;
  readonly apiserver: ApiServerSim;
  /** The settings file the webhook serves (after defaults you did not override). */
  readonly settings: SettingsInput;
  /** The agent's ports on the pod's loopback, chosen free for this pipeline. */
  readonly agentPorts: { readonly endpoint: number; readonly health: number };
  readonly webhookPort: number;
  /** Webhook log lines (JSON) so far. */
  webhookLogs(): string[];
  /** Call Vault's HTTP API as root (throws on a status ≥ 300). */
  vaultApi(method: string, path: string, body?: unknown): Promise<unknown>;
  /** A pod CREATE through the API server's admission path to the webhook. */
  admit(pod: JsonObject, request?: { readonly namespace?: string }): Promise<AdmissionOutcome>;
  /** Run an admitted pod with sim/kubelet (tokens from `auth.issuer`, rotation on the Vault clock). */
  run(pod: JsonObject, options?: RunOptions): RunningPod;
  /** Remove every pod, stop the webhook, the API server and Vault, delete temp files. */
  stop(): Promise<void>;
}

export interface PodPipeline extends VaultPodPipeline {
  readonly vault: VaultSim;
}

function findRepoRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "sim"))) return dir;
    const parent = join(dir, "..");
    if (parent === dir) throw new Error("cannot find the airflow-vault-injector checkout; pass repoRoot");
    dir = parent;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Where the webhook's TLS and settings files appear inside its container (`webhookImage`). */
const WEBHOOK_CONFIG_IN_CONTAINER = "/etc/avi";

function webhookCommand(avi: string, args: readonly string[], image: string | undefined, dir: string): { command: string; argv: string[] } {
  if (image === undefined) return { command: process.execPath, argv: [avi, "webhook", ...args] };
  const inContainer = args.map((a) => a.split(dir).join(WEBHOOK_CONFIG_IN_CONTAINER));
  return {
    command: "podman",
    argv: ["run", "--rm", "--pull=never", "--cidfile", join(dir, "webhook.cid"), "--network=host", "--user", "65532:65532", "--read-only", "--read-only-tmpfs=false", "--cap-drop", "all", "--security-opt", "no-new-privileges", "--volume", `${dir}:${WEBHOOK_CONFIG_IN_CONTAINER}:ro`, image, "webhook", ...inContainer],
  };
}

async function startWebhook(command: { command: string; argv: string[] }, lines: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command.command, command.argv, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "webhook listening" && entry.port !== undefined) resolve(entry.port);
      } catch {
        // not JSON: keep it in the log
      }
    });
    child.once("exit", (code) => reject(new Error(`avi webhook exited ${code} before listening: ${stderr}`)));
  });
  return { child, port };
}

/**
 * `remove()` also deletes the pod object, as deleting a pod does on a real API server: its record goes
 * (so a pod of the same name can run again, with a new UID) and its bound tokens stop passing
 * TokenReview. Only the record of this pod (same UID) is deleted.
 */
function deletingOnRemove(running: RunningPod, auth: KubernetesAuthStack): RunningPod {
  const { name, namespace } = running.pod.metadata;
  const remove = async (): Promise<void> => {
    await running.remove();
    if (auth.issuer.cluster.pod(namespace, name)?.uid === running.uid) auth.issuer.cluster.deletePod(namespace, name);
  };
  return new Proxy(running, {
    get: (target, prop) => {
      if (prop === "remove") return remove;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Starts sim/vault and the pipeline on it; see {@link PodPipeline}. */
export async function startPodPipeline(options: PodPipelineOptions): Promise<PodPipeline> {
  const vault = await startVaultSim(options.vault);
  options.log?.(`vault simulator on ${vault.address}`);
  try {
    const core = await startPodPipelineOn(vault, options);
    return {
      ...core,
      vault,
      async vaultApi(method, path, body) {
        const res = await vault.inject({ method, path: path.startsWith("/") ? path : `/v1/${path}`, headers: { "X-Vault-Token": vault.rootToken, "X-Vault-Request": "true" }, ...(body !== undefined && { body }) });
        if (res.status >= 300 || res.status === 0) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
        return res.body === "" ? undefined : res.json();
      },
      async stop() {
        await core.stop();
        await vault.stop();
      },
    };
  } catch (err) {
    await vault.stop();
    throw err;
  }
}

async function vaultHttp(vault: VaultTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${vault.address}${path.startsWith("/") ? path : `/v1/${path}`}`, {
    method,
    headers: { "X-Vault-Token": vault.rootToken, "X-Vault-Request": "true", ...(body !== undefined && { "Content-Type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === "" ? undefined : (JSON.parse(text) as unknown);
}

/**
 * The pipeline on a Vault it reaches over HTTP: Kubernetes auth is enabled at `authMount` and pointed at
 * this pipeline's TokenReview server through Vault's own API; the Vault itself is not stopped.
 */
export async function startPodPipelineOn(vault: VaultTarget, options: ExternalVaultPipelineOptions): Promise<VaultPodPipeline> {
  const repoRoot = options.repoRoot ?? findRepoRoot();
  const avi = join(repoRoot, "dist", "avi.js");
  if (!existsSync(avi)) throw new Error(`${avi} is missing: run \`npm run build\` first`);
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), "avi-pipeline-"));
  const cleanups: Array<() => Promise<void> | void> = [() => rm(dir, { recursive: true, force: true })];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const authMount = options.authMount ?? "kubernetes";
    const auth = await startKubernetesAuthStack({ vault, mount: authMount });
    cleanups.push(() => auth.stop());
    log(`kubernetes auth → TokenReview at ${auth.tokenReview.url}`);

    const [endpoint, health] = [await freePort(), await freePort()];
    const settings: SettingsInput = {
      ...(options.settings?.injection !== undefined && { injection: options.settings.injection }),
      vault: { address: vault.address, role: "airflow", ...(authMount !== "kubernetes" && { authMount }), ...options.settings?.vault },
      agent: { image: AVI_IMAGE, endpointPort: endpoint, healthPort: health, healthHost: "127.0.0.1", ...options.settings?.agent },
      profiles: options.profiles,
    };
    const ca = await createTestCertificateAuthority("avi pipeline webhook CA");
    const serving = await ca.issueServing([serviceDnsName(WEBHOOK_SERVICE)]);
    await writeFile(join(dir, "tls.crt"), serving.certPem);
    await writeFile(join(dir, "tls.key"), serving.keyPem, { mode: 0o600 });
    await writeFile(join(dir, "settings.yaml"), stringify(settings));
    // In its container the webhook is uid 65532 (as the chart's Secret mount makes the key readable to it).
    if (options.webhookImage !== undefined) {
      await chown(join(dir, "tls.key"), 65532, 65532);
      await chmod(dir, 0o755);
    }
    const webhookLines: string[] = [];
    const webhookArgs = ["--listen=127.0.0.1:0", `--tls-cert=${join(dir, "tls.crt")}`, `--tls-key=${join(dir, "tls.key")}`, `--settings=${join(dir, "settings.yaml")}`, "--drain-delay=0s"];
    const webhook = await startWebhook(webhookCommand(avi, webhookArgs, options.webhookImage, dir), webhookLines);
    cleanups.push(async () => {
      if (webhook.child.exitCode !== null || webhook.child.signalCode !== null) return;
      const exited = new Promise((r) => webhook.child.once("exit", r));
      webhook.child.kill("SIGTERM");
      await exited;
    });
    log(`webhook (${options.webhookImage === undefined ? "dist/avi.js" : `image ${options.webhookImage}`}) on 127.0.0.1:${webhook.port}`);

    const apiserver = await startApiServerSim();
    cleanups.push(() => apiserver.stop());
    apiserver.rest.store.create(
      findResource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")!,
      undefined,
      aviWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, service: WEBHOOK_SERVICE, caBundlePem: ca.caPem }),
    );
    const harness: AdmissionHarness = apiserver.admission({ configuration: WEBHOOK_CONFIGURATION, dial: { host: "127.0.0.1", port: webhook.port }, ...(options.podSecurity !== undefined && { podSecurity: options.podSecurity }) });
    const pods: RunningPod[] = [];
    cleanups.push(async () => {
      for (const p of pods) await p.remove();
    });

    return {
      auth,
      apiserver,
      settings,
      agentPorts: { endpoint, health },
      webhookPort: webhook.port,
      webhookLogs: () => [...webhookLines],
      vaultApi: (method, path, body) => vaultHttp(vault, method, path, body),
      admit: (pod, request = {}) => harness.admit(pod, { namespace: request.namespace ?? "airflow" }),
      run(pod, runOptions = {}) {
        const running = runPod(pod, {
          tokenIssuer: auth.issuer,
          ...(vault.clock !== undefined && { tokenClock: clockFromSimClock(vault.clock) }),
          ...runOptions,
          // Every namespace holds kube-root-ca.crt (the kube-api-access volume projects it).
          objects: { ...runOptions.objects, configMaps: { "kube-root-ca.crt": { "ca.crt": auth.tokenReview.caPem }, ...runOptions.objects?.configMaps } },
          images: { [AVI_IMAGE]: aviImage(repoRoot), ...runOptions.images },
        });
        const removable = deletingOnRemove(running, auth);
        pods.push(removable);
        return removable;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
