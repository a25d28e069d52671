/**
 * The agent's lifecycle + runtime on fake time against the in-memory FakeVault, publishing files into
 * a Map. Lets a test play hours of an agent's life in milliseconds and inspect every effect.
 */
import { AgentRuntime } from "../../agent/agent-runtime.js";
import { parseAgentConfig, type AgentConfig, type AgentConfigInput } from "../../agent/config.js";
import { fingerprint } from "../../agent/fingerprint.js";
import { Lifecycle, type LogLevel, type VersionSnapshot } from "../../agent/lifecycle/index.js";
import { renderOutputFiles } from "../../agent/output-files.js";
import { publishedCredentials } from "../../agent/published-credential.js";
import { endpointAnswer } from "../../agent/start-agent.js";
import { renderStatus } from "../../agent/status-file.js";
import { FakeTime } from "./fake-time.js";
import { FakeVault } from "./fake-vault.js";

export interface LogLine {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
  readonly at: number;
}

/** Deterministic uniform [0,1) numbers (mulberry32). */
export function seededRandom(seed = 1): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Harness {
  readonly cfg: AgentConfig;
  readonly time: FakeTime;
  /** Fake time at creation. */
  readonly t0: number;
  readonly vault: FakeVault;
  readonly machine: Lifecycle;
  readonly runtime: AgentRuntime;
  readonly logs: LogLine[];
  /** Last content written per file; `writes` counts writes per file. */
  readonly files: Map<string, string>;
  readonly writes: Map<string, number>;
  exitCode: number | undefined;
  /** When set, publishing fails with this message. */
  failWrites: string | undefined;
  jwt: string;
  /** The endpoint's answer for a credential now. */
  serve(name: string): ReturnType<typeof endpointAnswer>;
  /** Seconds between now and the served Expiration of a credential. */
  servedAheadS(name: string): number;
  logsMatching(pattern: RegExp): LogLine[];
  /** The served version of a credential, as the machine's read-only snapshot shows it now. */
  version(name: string): VersionSnapshot | undefined;
  /** The id of the lease behind a credential's served version, found on the Vault side by its fingerprint. */
  leaseId(name: string): string;
  /** The agent's current Vault token, found on the Vault side by its accessor's fingerprint. */
  tokenSecret(): string;
}

export const BASE_CONFIG = {
  version: 1,
  mode: "sidecar",
  vault: { address: "https://vault.test:8200", role: "airflow" },
  outputDir: "/var/run/secrets/airflow-vault",
  context: { namespace: "airflow", serviceAccount: "worker", dagId: "etl", taskId: "load", runId: "manual__1", tryNumber: "1" },
} as const;

export function createHarness(input: Partial<AgentConfigInput> & Pick<AgentConfigInput, "credentials">, setup?: (vault: FakeVault) => void, seed = 7): Harness {
  const cfg = parseAgentConfig({ ...BASE_CONFIG, ...input });
  const time = new FakeTime();
  const vault = new FakeVault(time);
  setup?.(vault);
  const machine = new Lifecycle({ credentials: cfg.credentials, mode: cfg.mode, revokeOnExit: cfg.revokeOnExit, random: seededRandom(seed), fingerprint });
  const logs: LogLine[] = [];
  const files = new Map<string, string>();
  const writes = new Map<string, number>();
  const capture = (level: LogLevel) => (fields: object, msg: string) => logs.push({ level, msg, fields: fields as Record<string, unknown>, at: time.now() });
  const h: Harness = {
    cfg,
    time,
    t0: time.now(),
    vault,
    machine,
    runtime: undefined as unknown as AgentRuntime,
    logs,
    files,
    writes,
    exitCode: undefined,
    failWrites: undefined,
    jwt: "eyJhbGciOiJSUzI1NiJ9.sa-token-1.sig",
    serve: (name) => endpointAnswer(machine, name, time.now()),
    servedAheadS: (name) => {
      const a = endpointAnswer(machine, name, time.now());
      if (a.status !== 200) throw new Error(`${name} not served: ${a.message}`);
      return (a.credential.expiration - time.now()) / 1000;
    },
    logsMatching: (pattern) => logs.filter((l) => pattern.test(l.msg)),
    version: (name) => machine.snapshot(time.now()).credentials.get(name)?.version,
    leaseId: (name) => {
      const fp = h.version(name)?.lease;
      return [...vault.leases.keys()].find((id) => fingerprint(id) === fp) ?? "";
    },
    tokenSecret: () => {
      const fp = machine.snapshot(time.now()).vault.token;
      return [...vault.tokens.values()].find((t) => fingerprint(t.accessor) === fp)?.secret ?? "";
    },
  };
  const runtime = new AgentRuntime({
    machine,
    credentials: cfg.credentials,
    vault,
    readJwt: () => Promise.resolve(h.jwt),
    publish: () => {
      if (h.failWrites !== undefined) return Promise.reject(new Error(h.failWrites));
      const published = publishedCredentials(machine);
      const rendered = renderOutputFiles(cfg.credentials, published, cfg.outputDir, renderStatus(machine, time.now(), { vaultAddress: cfg.vault.address }));
      for (const [path, content] of rendered) {
        if (files.get(path) !== content) writes.set(path, (writes.get(path) ?? 0) + 1);
        files.set(path, content);
      }
      return Promise.resolve(new Map(published.map((p) => [p.spec.name, p.seq])));
    },
    time,
    logger: { debug: capture("debug"), info: capture("info"), warn: capture("warn"), error: capture("error") },
    onExit: (code) => {
      h.exitCode = code;
    },
  });
  (h as { runtime: AgentRuntime }).runtime = runtime;
  return h;
}

export async function started(h: Harness): Promise<Harness> {
  h.runtime.dispatch({ type: "start" });
  await h.time.advance(0);
  return h;
}

export const MIN = 60_000;
export const HOUR = 3_600_000;
