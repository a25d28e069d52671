/**
 * Vault response → S3 credential, per format:
 * - `aws`: AWS secrets engine (`access_key`, `secret_key`, `session_token` ?? `security_token`),
 *   Vault docs api-docs/secret/aws (developer.hashicorp.com/vault/api-docs/secret/aws), `session_token` since 1.16;
 * - `minio`: MinIO plugins (`accessKeyId`, `secretAccessKey`, `sessionToken`; `ttl` may be seconds or
 *   a date string, since those plugins often return no lease): kula/ and jayxiong1/vault-plugin-secrets-minio;
 * - `kv`: KV v2 (`data.data`) or v1 (`data`) with `access_key`/`secret_key`/`session_token`
 *   (vault-plugin-secrets-kv `path_data.go`, `passthrough.go`).
 * Field names can be overridden per credential. Errors name fields, never values.
 */
import type { CredentialFormat, CredentialSpec } from "./config.js";
import { parseDurationSeconds } from "./duration.js";
import type { VaultSecret } from "./vault-responses.js";

export interface S3Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Empty for static keys. */
  readonly sessionToken: string;
}

export interface IssuedCredential {
  readonly credential: S3Credential;
  /** Expiry stated in the payload (MinIO `ttl`, a KV expiration field), in epoch ms. */
  readonly payloadExpiresAt?: number;
}

export class CredentialFormatError extends Error {
  override readonly name = "CredentialFormatError";
}

interface FieldNames {
  readonly accessKey: readonly string[];
  readonly secretKey: readonly string[];
  readonly sessionToken: readonly string[];
  readonly expiration: readonly string[];
}

const DEFAULT_FIELDS: Record<CredentialFormat, FieldNames> = {
  aws: { accessKey: ["access_key"], secretKey: ["secret_key"], sessionToken: ["session_token", "security_token"], expiration: [] },
  minio: { accessKey: ["accessKeyId"], secretKey: ["secretAccessKey"], sessionToken: ["sessionToken"], expiration: ["ttl"] },
  kv: { accessKey: ["access_key"], secretKey: ["secret_key"], sessionToken: ["session_token"], expiration: [] },
};

function fieldNames(spec: CredentialSpec): FieldNames {
  const d = DEFAULT_FIELDS[spec.format];
  const o = spec.fields ?? {};
  return {
    accessKey: o.accessKey === undefined ? d.accessKey : [o.accessKey],
    secretKey: o.secretKey === undefined ? d.secretKey : [o.secretKey],
    sessionToken: o.sessionToken === undefined ? d.sessionToken : [o.sessionToken],
    expiration: o.expiration === undefined ? d.expiration : [o.expiration],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** KV v2 wraps the secret in `data.data` next to `data.metadata`. */
function payloadOf(spec: CredentialSpec, data: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (spec.format === "kv" && isRecord(data["data"]) && isRecord(data["metadata"])) return data["data"];
  return data;
}

function pick(payload: Readonly<Record<string, unknown>>, names: readonly string[]): unknown {
  for (const name of names) {
    const value = payload[name];
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/**
 * A payload expiry: seconds from now (number or digits), a Go duration, an RFC 3339 time, or the
 * MinIO plugin's "2006-01-02 15:04:05" (taken as UTC: the plugin formats its host's local time, and
 * Vault servers run in UTC almost everywhere).
 */
export function parseExpiry(value: unknown, now: number): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return now + value * 1000;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const text = value.trim();
  const plain = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(text);
  if (plain !== null) return Date.parse(`${plain[1]}T${plain[2]}Z`);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  try {
    const seconds = parseDurationSeconds(text);
    return seconds > 0 ? now + seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function readCredential(spec: CredentialSpec, secret: VaultSecret, now: number): IssuedCredential {
  if (secret.data === null) {
    throw new CredentialFormatError(`${spec.path} returned no data (format ${spec.format}); is it a readable secret path?`);
  }
  const payload = payloadOf(spec, secret.data);
  const names = fieldNames(spec);
  const present = Object.keys(payload).sort().join(", ") || "none";
  const required = (label: string, candidates: readonly string[], override: string): string => {
    const value = pick(payload, candidates);
    if (typeof value === "string" && value !== "") return value;
    throw new CredentialFormatError(
      `${spec.path}: no ${label} in field ${candidates.map((c) => `"${c}"`).join(" or ")} (format ${spec.format}; fields present: ${present}); set fields.${override} if the engine names it differently`,
    );
  };
  const accessKeyId = required("access key", names.accessKey, "accessKey");
  const secretAccessKey = required("secret key", names.secretKey, "secretKey");
  const token = pick(payload, names.sessionToken);
  if (token !== undefined && typeof token !== "string") {
    throw new CredentialFormatError(`${spec.path}: session token field ${names.sessionToken.join("/")} is not a string`);
  }
  const expiry = names.expiration.length === 0 ? undefined : pick(payload, names.expiration);
  const payloadExpiresAt = parseExpiry(expiry, now);
  if (expiry !== undefined && payloadExpiresAt === undefined && spec.fields?.expiration !== undefined) {
    throw new CredentialFormatError(`${spec.path}: field "${spec.fields.expiration}" is not a time, a duration or a number of seconds`);
  }
  const credential = { accessKeyId, secretAccessKey, sessionToken: token ?? "" };
  return payloadExpiresAt === undefined ? { credential } : { credential, payloadExpiresAt };
}
