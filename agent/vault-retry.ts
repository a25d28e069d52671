/**
 * Request-level retries, modelled on Vault's Go client (hashicorp/vault `api/client.go`
 * @003c0000 DefaultRetryPolicy + go-retryablehttp @fd004584 RateLimitLinearJitterBackoff), with one deliberate difference: a request
 * that mints something (a login, an `aws/creds` or `aws/sts` read) is retried only when it provably
 * was not processed — the connection never opened, or Vault answered 412/429 or "sealed"/"standby".
 * Anything else may have created credentials we would never see (and leak a lease for each), so the
 * lifecycle retries it later, with its slower backoff, as a deliberate new request.
 */
import { classifyResponse } from "./vault-errors.js";

export interface AttemptResult {
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Error texts of the response body (for sealed/standby detection). */
  readonly text?: string;
  /** Node error code of a transport failure (ECONNREFUSED, ETIMEDOUT, CERT_…). */
  readonly code?: string;
  /** Whether the connection was established (request bytes may have reached Vault). */
  readonly sent: boolean;
  /** A failed certificate check or a cancelled request: never retried. */
  readonly final?: boolean;
}

export function shouldRetry(result: AttemptResult, minting: boolean): boolean {
  if (result.final === true) return false;
  if (result.status === undefined) return !result.sent || !minting;
  const status = result.status;
  if (status === 412 || status === 429) return true;
  if (status === 503) {
    const kind = classifyResponse(status, result.text ?? "");
    return !minting || kind === "sealed" || kind === "standby";
  }
  return !minting && status >= 500 && status !== 501;
}

export const MIN_RETRY_WAIT_MS = 1_000;
export const MAX_RETRY_WAIT_MS = 1_500;

/**
 * Wait before retry `attempt` (1-based): the server's Retry-After on 429/503 when given, else
 * `(1 s + random·0.5 s) × attempt` (linear jitter, like the Go client).
 */
export function retryWait(attempt: number, status: number | undefined, retryAfterMs: number | undefined, random: number): number {
  if ((status === 429 || status === 503) && retryAfterMs !== undefined) return retryAfterMs;
  return (MIN_RETRY_WAIT_MS + random * (MAX_RETRY_WAIT_MS - MIN_RETRY_WAIT_MS)) * attempt;
}

/**
 * The longest server-requested wait the agent honours: the auth backoff's maximum (5 min). A broken
 * or hostile Vault (or a proxy in front of it) must not park the agent for days with `Retry-After`.
 */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * `Retry-After` as delay-seconds or an HTTP date, in ms from `now`, capped at MAX_RETRY_AFTER_MS;
 * undefined when absent or invalid.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}
