/**
 * Wires the agent together: config → Vault client, lifecycle machine, runtime, output directory,
 * loopback endpoint and health server (sidecar mode), SA-token watch; and the bounded shutdown.
 * Everything time- or Vault-related can be injected (tests, benchmarks).
 */
import type { Logger } from "pino";
import { AgentRuntime } from "./agent-runtime.js";
import { auditHeaders, auditLogFields, type PodIdentity } from "./audit-context.js";
import { systemTime, type Clock, type Timers } from "./clock.js";
import { OUTPUT_FILES, type AgentConfig } from "./config.js";
import { newEndpointToken } from "./endpoint-token.js";
import { startEndpointServer, type EndpointAnswer, type RunningServer } from "./endpoint-server.js";
import { fingerprint } from "./fingerprint.js";
import { startHealthServer } from "./health-server.js";
import { Lifecycle, type LifecycleView } from "./lifecycle/index.js";
import { createLogger } from "./logger.js";
import { RequestCounters, renderMetrics } from "./metrics.js";
import { OutputDirectory, renderOutputFiles } from "./output-files.js";
import { publishedCredentials } from "./published-credential.js";
import { readServiceAccountToken, watchServiceAccountToken, type TokenFileWatch } from "./sa-token-file.js";
import { renderStatus } from "./status-file.js";
import { createVaultClient, type VaultApi } from "./vault-client.js";

export interface AgentOptions {
  readonly pod?: PodIdentity;
  readonly version?: string;
  readonly time?: Clock & Timers;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Replaces the node-vault client (tests); otherwise built from the config. */
  readonly vault?: VaultApi;
  /** Replaces the transport's sleep between retries (tests on fake time). */
  readonly retrySleep?: (ms: number) => Promise<void>;
  /** The endpoint token the injector made (AVI_ENDPOINT_TOKEN, validated); otherwise the agent makes one. */
  readonly endpointToken?: string;
}

export interface RunningAgent {
  /** Read-only: status, readiness and snapshots; events go through the runtime. */
  readonly machine: LifecycleView;
  readonly runtime: AgentRuntime;
  /** Bound ports (differ from the config when it asks for port 0). */
  readonly endpointPort: number | undefined;
  readonly healthPort: number | undefined;
  readonly endpointToken: string;
  /** Begins the shutdown (first SIGTERM/SIGINT). */
  stop(reason: string): void;
  /** Resolves with the exit code once the agent has stopped. */
  readonly done: Promise<number>;
}

export async function startAgent(cfg: AgentConfig, options: AgentOptions = {}): Promise<RunningAgent> {
  const pod = options.pod ?? {};
  const time = options.time ?? systemTime;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? createLogger(cfg.logLevel, auditLogFields(cfg.context, pod));
  const counters = new RequestCounters();
  const version = options.version ?? "dev";
  const vault =
    options.vault ??
    createVaultClient({
      vault: cfg.vault,
      headers: auditHeaders(cfg.context, pod),
      userAgent: `airflow-vault-injector-agent/${version}`,
      transport: {
        random,
        now: () => time.now(),
        onAttempt: (method, outcome) => counters.count(counters.vault, `${method} ${outcome}`),
        ...(options.retrySleep !== undefined ? { sleep: options.retrySleep } : {}),
      },
    });
  const machine = new Lifecycle({ credentials: cfg.credentials, mode: cfg.mode, revokeOnExit: cfg.revokeOnExit, random, fingerprint });
  const output = new OutputDirectory(cfg.outputDir, cfg.fileMode);
  // Random per agent start; consumers re-read the file on every request, so a restart is harmless.
  // One the injector made is also in the app containers' env: served and written to the file alike.
  const endpointToken = options.endpointToken ?? newEndpointToken();

  /** Bound ports, once the servers listen (status.json shows them). */
  let endpointPort: number | undefined;
  let healthPort: number | undefined;
  const publish = async (): Promise<ReadonlyMap<string, number>> => {
    const now = time.now();
    const published = publishedCredentials(machine);
    const status = renderStatus(machine, now, { vaultAddress: cfg.vault.address, endpointPort, healthPort });
    const files = renderOutputFiles(cfg.credentials, published, cfg.outputDir, status);
    if (cfg.mode === "sidecar") files.set(OUTPUT_FILES.endpointToken, endpointToken);
    await output.write(new Map([...files].sort(([a], [b]) => writeOrder(a) - writeOrder(b))));
    return new Map(published.map((p) => [p.spec.name, p.seq]));
  };

  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const servers: RunningServer[] = [];
  const watch: TokenFileWatch = watchServiceAccountToken(cfg.vault.tokenFile, () => runtime.dispatch({ type: "jwt-changed" }), {
    onWatchError: (error) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, "cannot watch the service-account token's directory (inotify instances exhausted? see fs.inotify.max_user_instances); polling it every 10 s instead"),
  });
  let cancelDeadline: (() => void) | undefined;
  let exited = false;
  const exit = (code: number): void => {
    if (exited) return;
    exited = true;
    cancelDeadline?.();
    runtime.abandonAll();
    void Promise.allSettled([...servers.map((s) => s.close()), watch.close()]).then(() => resolveDone(code));
  };

  const runtime = new AgentRuntime({
    machine,
    credentials: cfg.credentials,
    vault,
    readJwt: () => readServiceAccountToken(cfg.vault.tokenFile),
    publish,
    time,
    logger,
    onExit: exit,
  });

  // Log in first: the servers start while the login and fetches are on the wire.
  runtime.dispatch({ type: "start" });
  if (cfg.mode === "sidecar") {
    try {
      await startServers();
    } catch (err) {
      exit(1);
      throw err;
    }
    // status.json names the bound ports.
    runtime.dispatch({ type: "status-changed" });
  }
  async function startServers(): Promise<void> {
    const configured = new Set(machine.credentialNames);
    const endpoint = await startEndpointServer({
      host: "127.0.0.1",
      port: cfg.endpoint.port,
      token: endpointToken,
      answer: (name) => endpointAnswer(machine, name, time.now()),
      // Configured names only: any process in the pod can send names, and each label value is a series.
      onRequest: (name, status) => counters.count(counters.endpoint, `${name !== undefined && configured.has(name) ? name : "-"} ${status}`),
    });
    servers.push(endpoint);
    endpointPort = endpoint.port;
    const health = await startHealthServer({
      host: cfg.health.host,
      port: cfg.health.port,
      ready: () => machine.ready,
      metrics: () => renderMetrics(machine, counters, time.now()),
    });
    servers.push(health);
    healthPort = health.port;
  }

  let stopping = false;
  const stop = (reason: string): void => {
    if (stopping || exited) return;
    stopping = true;
    // The machine revokes leases, then tokens; whatever is unfinished after the grace is left to expire.
    const deadline = time.now() + cfg.shutdownGrace * 1000;
    cancelDeadline = time.at(deadline, () => {
      if (exited) return;
      logger.warn({ grace_s: cfg.shutdownGrace }, "shutdown grace exceeded; unfinished revocations are left to expire");
      exit(0);
    });
    runtime.dispatch({ type: "stop", reason });
  };

  return { machine, runtime, endpointPort, healthPort, endpointToken, stop, done };
}

/** status.json last, so a reader that sees "ready" there finds the credential files in place. */
function writeOrder(file: string): number {
  if (file === OUTPUT_FILES.endpointToken) return 0;
  if (file === OUTPUT_FILES.status) return 3;
  return file.includes("/") ? 2 : 1;
}

export function endpointAnswer(machine: LifecycleView, name: string, now: number): EndpointAnswer {
  if (!machine.credentialNames.includes(name)) return { status: 404, message: `unknown credential "${name}" (known: ${machine.credentialNames.join(", ")})` };
  const published = publishedCredentials(machine).find((p) => p.spec.name === name);
  if (published === undefined) return { status: 503, message: `credential "${name}" has not been fetched from Vault yet` };
  if (published.validUntil <= now) return { status: 503, message: `credential "${name}" expired at ${new Date(published.validUntil).toISOString()} and Vault could not be reached for a new one; see status.json` };
  return { status: 200, credential: published };
}
