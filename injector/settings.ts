/**
 * The webhook's settings: Vault connection, agent container, injection policy and credential
 * profiles. One YAML/JSON document (the Helm chart renders it into a ConfigMap); strict: an unknown
 * key is an error, so a misspelt option never silently falls back to a default. Reference:
 * docs/settings.md.
 */
import { z } from "zod";
import { AGENT_TOKEN_DIR, CREDENTIAL_NAME, DEFAULT_ENDPOINT_PORT, DEFAULT_HEALTH_PORT, DEFAULT_OUTPUT_DIR, RESERVED_CREDENTIAL_NAMES, credentialSpecSchema, duration, isReservedCredentialName } from "../agent/config.js";
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

/**
 * The agent container's resources (docs/agent.md "Performance", bench:agent and bench:image): ~19 MiB of
 * private memory, and the Node binary's file pages (~40 MiB) charged to the first pod on a node that
 * faults them in. The limit holds both, so a cold node does not run the agent at its limit; the request
 * counts only the private part, as the file pages are shared by every agent on the node once cached.
 */
export const DEFAULT_AGENT_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "96Mi" } } as const;

const agentSchema = z
  .strictObject({
    image: z.string().min(1, { message: "is required: the avi image the agent runs, e.g. ghcr.io/example/avi:0.1.0" }),
    imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
    resources: z
      .strictObject({
        requests: resourceList.default({ ...DEFAULT_AGENT_RESOURCES.requests }),
        limits: resourceList.default({ ...DEFAULT_AGENT_RESOURCES.limits }),
      })
      .default({ requests: { ...DEFAULT_AGENT_RESOURCES.requests }, limits: { ...DEFAULT_AGENT_RESOURCES.limits } }),
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
      z
        .string()
        .regex(CREDENTIAL_NAME, { message: "profile names must be 1-63 lower-case letters, digits, '-' or '_'" })
        .refine((name) => !isReservedCredentialName(name), { message: `profile names ${RESERVED_CREDENTIAL_NAMES.join(", ")} are reserved for the agent's own files` }),
      profileSchema,
    )
    .default({})
    // Looked up by names from pods: a null prototype, so no name finds an inherited member.
    .transform((profiles) => Object.assign(Object.create(null) as Record<string, Profile>, profiles)),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type Profile = z.output<typeof profileSchema>;

export class SettingsError extends Error {
  override readonly name = "SettingsError";
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
