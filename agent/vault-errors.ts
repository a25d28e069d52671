/**
 * Vault failures, classified the way Vault's own clients do it: by substring of the error text
 * (Vault `sdk/logical/response_util.go` RespondErrorCommon: texts may be wrapped in multierror, "1 error occurred:\n\t* …"), then
 * by status. The lifecycle decides what to do from the kind alone.
 */

export type VaultErrorKind =
  /** 403 without "invalid token": an ACL, a login claim check or a TokenReview outage. */
  | "permission-denied"
  /** The token is expired or revoked (403 "permission denied" + "invalid token"). */
  | "invalid-token"
  | "lease-not-found"
  | "lease-not-renewable"
  | "lease-expired"
  | "max-ttl"
  | "sealed"
  | "standby"
  | "rate-limited"
  | "not-found"
  | "bad-request"
  | "server"
  | "timeout"
  | "transport"
  | "tls"
  | "invalid-response"
  | "aborted";

/** Kinds that say nothing about the request itself: retrying later may succeed. */
const TRANSIENT: ReadonlySet<VaultErrorKind> = new Set<VaultErrorKind>([
  "sealed",
  "standby",
  "rate-limited",
  "server",
  "timeout",
  "transport",
]);

export class VaultError extends Error {
  override readonly name = "VaultError";

  constructor(
    readonly kind: VaultErrorKind,
    /** What we were doing, e.g. `read aws/sts/etl` (a path, never a token or secret). */
    readonly operation: string,
    message: string,
    readonly status?: number,
    /** Server-requested wait (Retry-After) in ms, when it answered 429/503 with one. */
    readonly retryAfterMs?: number,
    /** Response body of a 404 that carried one (KV v2 deleted/destroyed versions, vault-plugin-secrets-kv `path_data.go`). */
    readonly body?: unknown,
  ) {
    super(`${operation}: ${message}`);
  }

  get transient(): boolean {
    return TRANSIENT.has(this.kind);
  }
}

/** Vault's error strings, longest-meaning first. */
const SUBSTRINGS: readonly (readonly [string, VaultErrorKind])[] = [
  ["invalid token", "invalid-token"],
  ["permission denied", "permission-denied"],
  ["lease not found", "lease-not-found"],
  ["invalid lease", "lease-not-found"],
  ["lease is not renewable", "lease-not-renewable"],
  ["batch tokens cannot be renewed", "lease-not-renewable"],
  ["lease expired", "lease-expired"],
  ["past the max ttl", "max-ttl"],
  ["vault is sealed", "sealed"],
  ["node is not active", "standby"],
  ["no active vault instance", "standby"],
];

export function classifyResponse(status: number, text: string): VaultErrorKind {
  const lower = text.toLowerCase();
  for (const [needle, kind] of SUBSTRINGS) if (lower.includes(needle)) return kind;
  if (status === 403) return "permission-denied";
  // 412: an Enterprise index not replicated yet, or an Agent listener wanting X-Vault-Request; transient.
  if (status === 412) return "server";
  if (status === 429) return "rate-limited";
  if (status === 404) return "not-found";
  if (status === 503) return "sealed";
  if (status >= 500) return "server";
  return "bad-request";
}

/** Node/OpenSSL error codes of a failed certificate check or handshake: retrying cannot help. */
export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|HOSTNAME_MISMATCH|ERR_SSL_)/.test(code);
}

export function classifyTransport(code: string | undefined): VaultErrorKind {
  if (code === undefined) return "transport";
  if (isTlsFailure(code)) return "tls";
  if (code === "ETIMEDOUT" || code === "TimeoutError") return "timeout";
  if (code === "AbortError" || code === "ABORT_ERR") return "aborted";
  return "transport";
}

/** Longest error text kept from a response (it goes into logs, status.json and error messages). */
export const MAX_ERROR_TEXT = 300;

/**
 * The error texts of a Vault `{"errors":[…]}` body, joined; empty when there are none. A non-JSON
 * body (a proxy's HTML page, or a hostile server's) keeps only its start.
 */
export function errorText(body: unknown): string {
  if (typeof body === "object" && body !== null && "errors" in body && Array.isArray(body.errors)) {
    const texts: string[] = [];
    let length = 0;
    for (const e of body.errors) {
      if (typeof e !== "string") continue;
      texts.push(e.slice(0, MAX_ERROR_TEXT * 4));
      length += e.length;
      if (length > MAX_ERROR_TEXT * 4) break;
    }
    return collapse(texts.join("; "));
  }
  return typeof body === "string" ? collapse(body.slice(0, MAX_ERROR_TEXT * 4)) : "";
}

/**
 * Multierror texts ("1 error occurred:\n\t* permission denied\n\n") on one line, without control
 * characters (terminal escapes in a log line), cut to MAX_ERROR_TEXT.
 */
function collapse(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return clean.length <= MAX_ERROR_TEXT ? clean : `${clean.slice(0, MAX_ERROR_TEXT)}…`;
}
