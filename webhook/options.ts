/**
 * `avi webhook` configuration from flags, environment and an optional config file (in that order of
 * precedence). Pure: the command gathers the inputs, this resolves and validates them.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { parseDurationSeconds } from "../agent/duration.js";

export interface WebhookOptions {
  host: string;
  port: number;
  tlsCert: string;
  tlsKey: string;
  settings: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Seconds between SIGTERM (readiness turns 503) and closing the listener. */
  drainDelay: number;
}

export const WEBHOOK_ENV = {
  config: "AVI_WEBHOOK_CONFIG",
  listen: "AVI_WEBHOOK_LISTEN",
  tlsCert: "AVI_WEBHOOK_TLS_CERT",
  tlsKey: "AVI_WEBHOOK_TLS_KEY",
  settings: "AVI_WEBHOOK_SETTINGS",
  logLevel: "AVI_LOG_LEVEL",
  drainDelay: "AVI_WEBHOOK_DRAIN_DELAY",
} as const;

const sources = z.strictObject({
  listen: z.string().optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  settings: z.string().min(1).optional(),
  logLevel: z.enum(["debug", "info", "warn", "error"]).optional(),
  drainDelay: z.union([z.string(), z.number()]).optional(),
});
export type WebhookOptionSources = z.infer<typeof sources>;

export const DEFAULT_LISTEN = "0.0.0.0:8443";

export function parseConfigFile(text: string, file: string): WebhookOptionSources {
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (err) {
    throw new Error(`${file}: not valid YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = sources.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.code === "unrecognized_keys" ? `unknown key ${i.keys.join(", ")}` : i.message}`);
    throw new Error(`${file}: ${issues.join("; ")} (keys: listen, tlsCert, tlsKey, settings, logLevel, drainDelay)`);
  }
  return result.data;
}

export function fromEnv(env: NodeJS.ProcessEnv): WebhookOptionSources {
  const pick = (name: string): string | undefined => (env[name] !== undefined && env[name] !== "" ? env[name] : undefined);
  const logLevel = pick(WEBHOOK_ENV.logLevel);
  return sources.parse({
    ...(pick(WEBHOOK_ENV.listen) !== undefined && { listen: pick(WEBHOOK_ENV.listen) }),
    ...(pick(WEBHOOK_ENV.tlsCert) !== undefined && { tlsCert: pick(WEBHOOK_ENV.tlsCert) }),
    ...(pick(WEBHOOK_ENV.tlsKey) !== undefined && { tlsKey: pick(WEBHOOK_ENV.tlsKey) }),
    ...(pick(WEBHOOK_ENV.settings) !== undefined && { settings: pick(WEBHOOK_ENV.settings) }),
    ...(logLevel !== undefined && { logLevel }),
    ...(pick(WEBHOOK_ENV.drainDelay) !== undefined && { drainDelay: pick(WEBHOOK_ENV.drainDelay) }),
  });
}

/** Merges flags over env over the config file; throws with what is missing and how to set it. */
export function resolveWebhookOptions(flags: WebhookOptionSources, env: WebhookOptionSources, file: WebhookOptionSources): WebhookOptions {
  const merged = { ...file, ...env, ...flags };
  const missing = (["tlsCert", "tlsKey", "settings"] as const).filter((k) => merged[k] === undefined);
  if (missing.length > 0) {
    const how = { tlsCert: `--tls-cert or ${WEBHOOK_ENV.tlsCert}`, tlsKey: `--tls-key or ${WEBHOOK_ENV.tlsKey}`, settings: `--settings or ${WEBHOOK_ENV.settings}` };
    throw new Error(`missing ${missing.map((k) => how[k]).join(", ")}`);
  }
  const { host, port } = parseListen(merged.listen ?? DEFAULT_LISTEN);
  return {
    host,
    port,
    tlsCert: merged.tlsCert as string,
    tlsKey: merged.tlsKey as string,
    settings: merged.settings as string,
    logLevel: merged.logLevel ?? "info",
    drainDelay: parseDurationSeconds(merged.drainDelay ?? 5),
  };
}

/** `host:port`, `:port` (all interfaces) or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`listen address "${listen}" must be host:port, :port or [v6]:port, e.g. ${DEFAULT_LISTEN}`);
  }
  const host = match[1] ?? match[2] ?? "";
  return { host: host === "" ? "0.0.0.0" : host, port };
}
