/**
 * The agent's configuration: the contract between the injector (which writes it into the agent
 * container's `AVI_AGENT_CONFIG` env var as JSON) and the agent (which validates it at start-up).
 * It carries no secrets. Versioned so an older agent image refuses a config it does not understand.
 *
 * Written with zod/mini: every task pod's agent parses it at start, where zod's classic API would
 * add code to compile and private memory to every pod (figures: docs/agent.md, "Performance").
 * Classic schemas compose these (zod's core is shared): `z.strictObject({ ...credentialSpecSchema.shape })`,
 * `z.optional(duration)`, `z._default(duration, 5)`.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { parseDurationSeconds } from "./duration.js";

export const AGENT_CONFIG_ENV = "AVI_AGENT_CONFIG";
/** Downward-API env vars the injector sets on the agent container. */
export const POD_NAME_ENV = "AVI_POD_NAME";
export const POD_NAMESPACE_ENV = "AVI_POD_NAMESPACE";
export const POD_UID_ENV = "AVI_POD_UID";
/**
 * The loopback endpoint's token, when the injector makes it (settings `injection.endpointTokenEnv`);
 * a separate env var because AVI_AGENT_CONFIG carries no secrets. See agent/endpoint-token.ts.
 */
export const ENDPOINT_TOKEN_ENV = "AVI_ENDPOINT_TOKEN";
/**
 * `NODE_OPTIONS` for the agent container. The agent does little CPU work; without V8's JIT it keeps
 * less private memory and RSS, for slightly more start time. It uses no WebAssembly, which --jitless
 * disables (V8 says so once on stderr). A 1 MiB young-generation semi-space: V8 otherwise grows it to
 * its maximum after a few busy scavenges and never shrinks it, a step of RSS in a long-running agent;
 * scavenges at the agent's allocation rate are cheap. Figures: docs/agent.md, "Performance".
 */
export const AGENT_NODE_OPTIONS = "--jitless --max-semi-space-size=1";

export const DEFAULT_OUTPUT_DIR = "/var/run/secrets/airflow-vault";
/** Where the injector mounts the agent's projected service-account token (a volume of its own). */
export const AGENT_TOKEN_DIR = "/var/run/secrets/airflow-vault-agent";
export const TOKEN_FILE_NAME = "token";
export const DEFAULT_TOKEN_FILE = `${AGENT_TOKEN_DIR}/${TOKEN_FILE_NAME}`;
export const DEFAULT_ENDPOINT_PORT = 9911;
export const DEFAULT_HEALTH_PORT = 9912;

// English messages ("Too small: expected string to have >=1 characters"); zod/mini loads none by itself.
z.config(en());

/** A Go-style duration string ("15m", "1h30m") or a number of seconds; parsed to seconds. */
export const duration = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value: string | number, ctx) => {
    try {
      return parseDurationSeconds(value);
    } catch (err) {
      ctx.issues.push({ code: "custom", message: (err as Error).message, input: value });
      return z.NEVER;
    }
  }),
);

/** Credential names become file names (`<name>.json`) and URL path segments. */
export const CREDENTIAL_NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * Names that collide with the agent's own files in outputDir (`status` → status.json, the
 * endpoint-token file, the aws/ and airflow/ directories) and with their AWS profile sections.
 */
export const RESERVED_CREDENTIAL_NAMES = ["status", "endpoint-token", "aws", "airflow"] as const;

export function isReservedCredentialName(name: string): boolean {
  return (RESERVED_CREDENTIAL_NAMES as readonly string[]).includes(name);
}

/**
 * A Vault API path as written in a config: plain segments only. Percent-encoding, backslashes, query
 * or fragment characters and `.`/`..`/empty segments are refused, because URL parsing would decode
 * or normalise them into a path outside `/v1/<mount>/` (e.g. `aws/%2e%2e/sys/health`).
 */
export function isPlainVaultPath(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (path.length > 1024 || /[%\\?#\s\u0000-\u001f\u007f]/.test(path)) return false;
  if (path.startsWith("v1/")) return false;
  return path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

const nonEmpty = (): z.ZodMiniString => z.string().check(z.minLength(1));
const integer = (min: number, max: number): z.ZodMiniNumber => z.number().check(z.int(), z.minimum(min), z.maximum(max));

const vaultPath = nonEmpty().check(
  z.refine(isPlainVaultPath, {
    message: 'must be a Vault API path of plain segments (no leading "/" or "v1/", no "." or "..", no "%", "\\", "?", "#" or spaces), e.g. "aws/sts/etl"',
  }),
);

export const credentialFormatSchema = z.enum(["aws", "minio", "kv"]);
export type CredentialFormat = z.infer<typeof credentialFormatSchema>;

export const credentialSpecSchema = z.strictObject({
  name: z.string().check(
    z.regex(CREDENTIAL_NAME, { message: "must be 1-63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit" }),
    z.refine((name) => !isReservedCredentialName(name), { message: `is reserved for the agent's own files (${RESERVED_CREDENTIAL_NAMES.join(", ")}); choose another name` }),
  ),
  /** Vault read path, e.g. `aws/sts/etl`, `aws/creds/etl`, `secret/data/rgw/etl`, `minio/creds/etl`. */
  path: vaultPath,
  format: credentialFormatSchema,
  /** S3 endpoint the task should use (MinIO/Ceph); absent for AWS. */
  endpoint: z.optional(z.url({ protocol: /^https?$/ })),
  region: z.optional(nonEmpty()),
  /** Also write an Airflow connection with this conn id into airflow/connections.json. */
  airflowConnId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,250}$/))),
  /** Requested TTL, for engines that take one (AWS STS types). */
  ttl: z.optional(duration),
  /**
   * kv: how often to re-read (default 5m, like Vault Agent's static_secret_render_interval).
   * Leased credentials: an upper bound on a credential's age before it is re-fetched (rotation period).
   */
  refreshInterval: z.optional(duration),
  /** Response field-name overrides (defaults depend on the format; see credential-format.ts). */
  fields: z.optional(
    z.strictObject({
      accessKey: z.optional(nonEmpty()),
      secretKey: z.optional(nonEmpty()),
      sessionToken: z.optional(nonEmpty()),
      expiration: z.optional(nonEmpty()),
    }),
  ),
});
export type CredentialSpec = z.output<typeof credentialSpecSchema>;

export const auditContextSchema = z.strictObject({
  namespace: nonEmpty(),
  serviceAccount: nonEmpty(),
  dagId: z.optional(z.string()),
  taskId: z.optional(z.string()),
  runId: z.optional(z.string()),
  tryNumber: z.optional(z.string()),
  mapIndex: z.optional(z.string()),
});
export type AuditContext = z.output<typeof auditContextSchema>;

/** 0 asks the OS for a free port (tests and benchmarks); the agent reports bound ports in status.json. */
const port = integer(0, 65535);

export const agentConfigSchema = z
  .strictObject({
    version: z.literal(1),
    mode: z.enum(["sidecar", "init"]),
    vault: z.strictObject({
      address: z.url({ protocol: /^https?$/ }),
      /** Vault Enterprise/HCP namespace (X-Vault-Namespace). */
      namespace: z.optional(nonEmpty()),
      /** PEM bundle of CAs trusted for the Vault server (in addition to the system roots). */
      caCert: z.optional(z.string().check(z.includes("-----BEGIN CERTIFICATE-----"))),
      tlsServerName: z.optional(nonEmpty()),
      authMount: z._default(nonEmpty(), "kubernetes"),
      role: nonEmpty(),
      /** The projected service-account token (audience = the Vault role's audience). */
      tokenFile: z._default(nonEmpty(), DEFAULT_TOKEN_FILE),
      /** Per-request timeout. */
      timeout: z._default(duration, 10),
      /** Retries for idempotent requests (412, 429, 5xx except 501, transport errors). */
      maxRetries: z._default(integer(0, 10), 2),
    }),
    outputDir: z._default(nonEmpty(), DEFAULT_OUTPUT_DIR),
    /** Mode of every file written to outputDir; the injector derives it from the pod's security context. */
    fileMode: z._default(integer(0, 0o777), 0o440),
    endpoint: z._default(z.strictObject({ port: z._default(port, DEFAULT_ENDPOINT_PORT) }), { port: DEFAULT_ENDPOINT_PORT }),
    health: z._default(z.strictObject({ host: z._default(nonEmpty(), "0.0.0.0"), port: z._default(port, DEFAULT_HEALTH_PORT) }), {
      host: "0.0.0.0",
      port: DEFAULT_HEALTH_PORT,
    }),
    credentials: z.array(credentialSpecSchema).check(z.minLength(1)),
    /** Credential served to the AWS default chain (endpoint env vars); defaults to the first. */
    defaultCredential: z.optional(z.string()),
    revokeOnExit: z._default(z.boolean(), true),
    shutdownGrace: z._default(duration, 5),
    logLevel: z._default(z.enum(["debug", "info", "warn", "error"]), "info"),
    context: auditContextSchema,
  })
  .check(
    z.superRefine((cfg, ctx) => {
      const seen = new Set<string>();
      cfg.credentials.forEach((c, i) => {
        if (seen.has(c.name)) {
          ctx.addIssue({ code: "custom", path: ["credentials", i, "name"], message: `duplicate credential name "${c.name}"` });
        }
        seen.add(c.name);
      });
      const connIds = new Map<string, number>();
      cfg.credentials.forEach((c, i) => {
        if (c.airflowConnId === undefined) return;
        const first = connIds.get(c.airflowConnId);
        if (first !== undefined) {
          ctx.addIssue({ code: "custom", path: ["credentials", i, "airflowConnId"], message: `"${c.airflowConnId}" is also the airflowConnId of credentials.${first}; connection ids must be unique` });
        }
        connIds.set(c.airflowConnId, i);
      });
      if (cfg.defaultCredential !== undefined && !seen.has(cfg.defaultCredential)) {
        ctx.addIssue({
          code: "custom",
          path: ["defaultCredential"],
          message: `"${cfg.defaultCredential}" is not one of the credentials (${[...seen].join(", ")})`,
        });
      }
      if (cfg.endpoint.port === cfg.health.port && cfg.endpoint.port !== 0) {
        ctx.addIssue({ code: "custom", path: ["health", "port"], message: "must differ from endpoint.port" });
      }
    }),
  );

/** What the injector writes (durations may be strings, defaults may be omitted). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
/** What the agent runs with (defaults applied, durations in seconds). */
export type AgentConfig = z.output<typeof agentConfigSchema>;

export class AgentConfigError extends Error {
  override readonly name = "AgentConfigError";
}

/** Validates a parsed config; errors name each offending field, e.g. `credentials.0.path: …`. */
export function parseAgentConfig(value: unknown): AgentConfig {
  const result = agentConfigSchema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`);
    throw new AgentConfigError(`invalid agent config:\n  ${lines.join("\n  ")}`);
  }
  return result.data;
}

/** Reads and validates `AVI_AGENT_CONFIG`. */
export function agentConfigFromEnv(env: NodeJS.ProcessEnv): AgentConfig {
  const raw = env[AGENT_CONFIG_ENV];
  if (raw === undefined || raw.trim() === "") {
    throw new AgentConfigError(`${AGENT_CONFIG_ENV} is not set: the agent is configured by the injector; run it through the webhook or "avi inject"`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new AgentConfigError(`${AGENT_CONFIG_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  return parseAgentConfig(parsed);
}

/** The credential whose endpoint URL goes into AWS_CONTAINER_CREDENTIALS_FULL_URI. */
export function defaultCredentialName(cfg: Pick<AgentConfig, "credentials" | "defaultCredential">): string {
  // credentials has min(1), so [0] exists after validation.
  return cfg.defaultCredential ?? (cfg.credentials[0] as CredentialSpec).name;
}

/** Files the agent writes under outputDir (docs/agent.md, "What a task sees"); the injector points env vars at some of them. */
export const OUTPUT_FILES = {
  endpointToken: "endpoint-token",
  awsConfig: "aws/config",
  awsCredentials: "aws/credentials",
  airflowConnections: "airflow/connections.json",
  status: "status.json",
} as const;

/** Path of a credential on the loopback endpoint (ECS container-credentials protocol). */
export function credentialEndpointPath(name: string): string {
  return `/v1/credentials/${name}`;
}
