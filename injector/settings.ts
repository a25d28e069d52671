/**
 * The webhook's settings: Vault connection, agent container, injection policy and credential
 * profiles. One YAML/JSON document (the Helm chart renders it into a ConfigMap); strict: an unknown
 * key is an error, so a misspelt option never silently falls back to a default. Reference:
 * docs/settings.md.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { CREDENTIAL_NAME, DEFAULT_ENDPOINT_PORT, DEFAULT_HEALTH_PORT, DEFAULT_OUTPUT_DIR, credentialSpecSchema, duration } from "../agent/config.js";
import { AGENT_TOKEN_DIR, checkAgentConfigCompatible } from "./agent-config.js";
import { MODES } from "./annotations.js";
import { quantityValue } from "./quantity.js";

export const KUBERNETES_SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const MIN_TOKEN_EXPIRATION_SECONDS = 600;

const port = z.number().int().min(1).max(65535);
const id = z.number().int().min(1, { message: "must be a non-root id (> 0) to pass Pod Security restricted" }).max(2 ** 31 - 1);
const quantity = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine((q) => quantityValue(q) !== undefined, { message: 'must be a Kubernetes quantity such as "10m", "32Mi" or "0.5"' });
const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), "ephemeral-storage": quantity.optional() });
const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, { message: "must be an absolute path" })
  .refine((p) => !p.split("/").includes(".."), { message: 'must not contain ".."' })
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));
/** Glob with `*` as the only wildcard, e.g. `airflow-*` or `*`. */
const nameGlob = z.string().regex(/^[a-z0-9*.:-]+$/, { message: "must be a Kubernetes name, optionally with * wildcards" });

const vaultSchema = z.strictObject({
  address: z.url({ protocol: /^https?$/, message: "must be an http(s) URL such as https://vault.vault.svc:8200" }),
  caCert: z.string().includes("-----BEGIN CERTIFICATE-----", { message: "must be a PEM bundle" }).optional(),
  tlsServerName: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  authMount: z.string().min(1).default("kubernetes"),
  role: z.string().min(1).default("airflow"),
  audience: z.string().min(1).default("vault"),
  timeout: z.optional(duration),
  maxRetries: z.number().int().min(0).max(10).optional(),
});

const agentSchema = z
  .strictObject({
    image: z.string().min(1, { message: "is required: the avi image the agent runs, e.g. ghcr.io/example/avi:0.1.0" }),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    resources: z
      .strictObject({
        requests: resourceList.default({ cpu: "10m", memory: "32Mi" }),
        limits: resourceList.default({ memory: "64Mi" }),
      })
      .default({ requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } }),
    runAsUser: id.default(65532),
    runAsGroup: id.default(65532),
    endpointPort: port.default(DEFAULT_ENDPOINT_PORT),
    healthPort: port.default(DEFAULT_HEALTH_PORT),
    healthHost: z.string().min(1).default("0.0.0.0"),
    tokenExpirationSeconds: z
      .number()
      .int()
      .min(MIN_TOKEN_EXPIRATION_SECONDS, { message: "must be at least 600: the API server rejects shorter projected tokens" })
      .default(3600),
    shutdownGrace: z._default(duration, 5),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    mountPath: absolutePath.default(DEFAULT_OUTPUT_DIR),
  })
  .superRefine((agent, ctx) => {
    if (agent.endpointPort === agent.healthPort) ctx.addIssue({ code: "custom", path: ["healthPort"], message: "must differ from endpointPort" });
    for (const reserved of [AGENT_TOKEN_DIR, KUBERNETES_SA_DIR]) {
      if (agent.mountPath === reserved || agent.mountPath.startsWith(`${reserved}/`) || reserved.startsWith(`${agent.mountPath}/`)) {
        ctx.addIssue({ code: "custom", path: ["mountPath"], message: `must not overlap ${reserved}` });
      }
    }
    for (const key of ["cpu", "memory"] as const) {
      const request = quantityValue(agent.resources.requests[key]);
      const limit = quantityValue(agent.resources.limits[key]);
      if (request !== undefined && limit !== undefined && request > limit) {
        ctx.addIssue({ code: "custom", path: ["resources", "requests", key], message: `must not exceed limits.${key} (the API server rejects the pod)` });
      }
    }
  });

const istioSchema = z.strictObject({
  /** auto: decide per pod from its annotations/labels/containers; always: every namespace is in a classic mesh; never: ignore Istio. */
  classicSidecar: z.enum(["auto", "always", "never"]).default("auto"),
  /**
   * How the agent reaches Vault when a classic istio-proxy would capture its traffic before the proxy runs:
   * excludePort (merge the Vault port into traffic.sidecar.istio.io/excludeOutboundPorts), proxyUID (run the
   * agent as the proxy's UID, which istio-iptables does not capture), auto (excludePort, or proxyUID when
   * istio-init was already rendered and can no longer see the annotation).
   */
  strategy: z.enum(["auto", "excludePort", "proxyUID"]).default("auto"),
  proxyUID: id.default(1337),
});

const injectionSchema = z.strictObject({
  allowAdHocCredentials: z.boolean().default(false),
  defaultMode: z.enum(MODES).default("sidecar"),
  /** Pods in these namespaces are never injected (vault-k8s refuses kube-system and kube-public too). */
  deniedNamespaces: z.array(z.string().min(1)).default(["kube-system", "kube-public"]),
  istio: istioSchema.default({ classicSidecar: "auto", strategy: "auto", proxyUID: 1337 }),
  /**
   * Also put the endpoint token inline into the app containers' env (AWS_CONTAINER_AUTHORIZATION_TOKEN),
   * for SDKs that do not read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (botocore < 1.32). The webhook
   * then makes a random token per pod; it is visible in the pod spec (docs/settings.md says why that is
   * acceptable as an opt-in).
   */
  endpointTokenEnv: z.boolean().default(false),
});

// agent/config.ts is zod/mini (lean for the agent); its fields compose into classic schemas as they are.
const { name: _name, ...credentialFields } = credentialSpecSchema.shape;

export const profileSchema = z.strictObject({
  ...credentialFields,
  /** Admission-time policy (defence in depth; Vault's role still decides). Absent = any. */
  allowedNamespaces: z.array(nameGlob).min(1).optional(),
  allowedServiceAccounts: z.array(nameGlob).min(1).optional(),
});

export const settingsSchema = z.strictObject({
  vault: vaultSchema,
  agent: agentSchema,
  injection: injectionSchema.default({
    allowAdHocCredentials: false,
    defaultMode: "sidecar",
    deniedNamespaces: ["kube-system", "kube-public"],
    istio: { classicSidecar: "auto", strategy: "auto", proxyUID: 1337 },
    endpointTokenEnv: false,
  }),
  profiles: z
    .record(
      z.string().regex(CREDENTIAL_NAME, { message: "profile names must be 1-63 lower-case letters, digits, '-' or '_'" }),
      profileSchema,
    )
    .default({}),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type Profile = z.output<typeof profileSchema>;

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/**
 * Validates parsed settings; the error lists every problem as `path: message`. The result is frozen:
 * what the injector derives from settings is memoized per settings object (agent-container.ts), and a
 * reload replaces the object rather than changing it.
 */
export function parseSettings(value: unknown, source = "settings"): Settings {
  const result = settingsSchema.safeParse(value);
  if (result.success) {
    const incompatible = checkAgentConfigCompatible(result.data);
    if (incompatible !== undefined) throw new SettingsError(`${source} produces an agent configuration the agent rejects: ${incompatible}`);
    return deepFreeze(result.data);
  }
  const lines = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    const missing = issue.code === "invalid_type" && issue.path.length > 0 && valueAt(value, issue.path) === undefined;
    const message = missing
      ? `is required${REQUIRED_HINT[where] !== undefined ? `: ${REQUIRED_HINT[where]}` : ""}`
      : issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.code === "invalid_key"
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message;
    return `${where}: ${message}`;
  });
  throw new SettingsError(`${source} is invalid (see docs/settings.md):\n  ${lines.join("\n  ")}`);
}

/** What to write for a required setting that is missing (examples/settings.yaml has them all). */
const REQUIRED_HINT: Readonly<Record<string, string>> = {
  vault: "a section with at least `address: https://vault.vault.svc:8200`",
  "vault.address": "the Vault URL the agent logs in to, e.g. https://vault.vault.svc:8200",
  agent: "a section with at least `image:`, the avi image of this release the agent runs (e.g. ghcr.io/example/airflow-vault-injector:0.1.0)",
  "agent.image": "the avi image of this release the agent runs, e.g. ghcr.io/example/airflow-vault-injector:0.1.0",
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Parses settings file text (YAML, which includes JSON). */
export function parseSettingsText(text: string, source = "settings"): Settings {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new SettingsError(`${source} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) throw new SettingsError(`${source} is empty: it needs at least "vault.address" and "agent.image"`);
  return parseSettings(value, source);
}

/** The port the agent dials Vault on (for Istio port exclusion). */
export function vaultPort(settings: Settings): number {
  const url = new URL(settings.vault.address);
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

const compiledGlobs = new Map<string, RegExp>();

/** Matches a Kubernetes name against `*` globs (compiled once per glob: this runs per pod). */
export function matchesAny(name: string, globs: readonly string[]): boolean {
  return globs.some((glob) => {
    if (!glob.includes("*")) return glob === name;
    let re = compiledGlobs.get(glob);
    if (re === undefined) {
      re = new RegExp(`^${glob.split("*").map(escapeRegExp).join(".*")}$`);
      compiledGlobs.set(glob, re);
    }
    return re.test(name);
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
