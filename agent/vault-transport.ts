/**
 * The HTTP exchange under node-vault, plugged in through node-vault's `request-promise` option.
 *
 * Why not node-vault's bundled axios: axios (with form-data, mime-db and follow-redirects) adds
 * start time and private memory to every pod (docs/agent.md, "Performance"), and node-vault drops response headers, so `Retry-After` could not be honoured; axios would
 * also follow an https→http redirect while re-sending `X-Vault-Token`. node-vault still builds every
 * request (paths, bodies, token and namespace headers) and turns non-2xx responses into its
 * `ApiResponseError`; this module only moves bytes, with:
 * - per-attempt deadlines (AbortSignal), caller cancellation, a 1 MiB response cap;
 * - a CA bundle added to the system roots, optional TLS server name;
 * - retries per vault-retry.ts (412/429/5xx≠501/transport errors, `Retry-After`, linear jitter;
 *   requests that mint are retried only when provably unprocessed);
 * - at most one redirect, and only to the same origin (scheme, host and port) as the request: the
 *   redirected request carries the JWT or the token. Vault's Go client (api/client.go,
 *   RawRequestWithContext) follows one 301/302/307 to any host and only refuses a TLS downgrade; we
 *   are stricter (docs/vault.md, "Redirects").
 */
import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";
import { errorText, isTlsFailure } from "./vault-errors.js";
import { parseRetryAfter, retryWait, shouldRetry, type AttemptResult } from "./vault-retry.js";

/** Per-request inputs and outputs, passed through node-vault as a request option. */
export interface RequestTrace {
  /** The request creates something (token, dynamic credentials): see vault-retry.ts. */
  readonly minting: boolean;
  readonly signal?: AbortSignal | undefined;
  /** Attempts made (1 = no retry). */
  attempts: number;
  /** Retry-After of the last response, in ms, when it carried one. */
  retryAfterMs?: number;
}

export interface TransportConfig {
  readonly caCert?: string | undefined;
  readonly tlsServerName?: string | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly userAgent: string;
  /** Longest server-requested wait honoured inside one call; longer ones go back to the caller. */
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Observes every attempt's outcome (status or error code), e.g. for request metrics. */
  readonly onAttempt?: (method: string, outcome: string) => void;
}

/** What node-vault hands to a `request-promise` implementation. */
interface RpOptions {
  readonly method: string;
  readonly uri: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly avi?: RequestTrace;
}

interface RpResponse {
  readonly statusCode: number;
  readonly body: unknown;
  readonly request: { readonly path: string };
}

/** A request that got no HTTP response. `sent` = the connection was established first. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly sent: boolean,
    readonly final: boolean,
  ) {
    super(message);
  }
}

interface Exchange {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

const MAX_BODY_BYTES = 1 << 20;
const REDIRECTS = new Set([301, 302, 307, 308]);

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });

export function createVaultTransport(cfg: TransportConfig): { defaults: () => (options: RpOptions) => Promise<RpResponse> } {
  // A fresh connection per request: Vault calls are minutes apart, and a reused keep-alive socket
  // that the server already closed would fail a minting request we could not safely retry.
  const agentOptions = cfg.caCert === undefined ? { keepAlive: false } : { keepAlive: false, ca: [...rootCertificates, cfg.caCert] };
  const httpsAgent = new https.Agent(agentOptions);
  const httpAgent = new http.Agent({ keepAlive: false });
  const sleep = cfg.sleep ?? defaultSleep;
  const random = cfg.random ?? Math.random;
  const now = cfg.now ?? Date.now;
  const maxWaitMs = cfg.maxWaitMs ?? 60_000;

  function once(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Exchange> {
    const timeout = AbortSignal.timeout(cfg.timeoutMs);
    const { combined, release } = combineSignals(signal, timeout);
    const tlsUrl = url.protocol === "https:";
    return new Promise<Exchange>((resolve, reject) => {
      let sent = false;
      const req = (tlsUrl ? https : http).request(
        url,
        {
          method,
          headers: body === undefined ? headers : { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
          agent: tlsUrl ? httpsAgent : httpAgent,
          signal: combined,
          ...(tlsUrl && cfg.tlsServerName !== undefined ? { servername: cfg.tlsServerName } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) res.destroy(new TransportError(`response body over ${MAX_BODY_BYTES} bytes`, "EMSGSIZE", true, true));
            else chunks.push(chunk);
          });
          res.on("error", (err) => reject(toTransportError(err, true, timeout)));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parseBody(Buffer.concat(chunks).toString("utf8")) }));
        },
      );
      req.on("socket", (socket) => {
        if (!socket.connecting) sent = true;
        else socket.once(tlsUrl ? "secureConnect" : "connect", () => (sent = true));
      });
      req.on("error", (err) => reject(toTransportError(err, sent, timeout)));
      req.end(body);
    }).finally(release);
  }

  async function exchange(url: URL, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<Exchange> {
    const first = await once(url, method, headers, body, signal);
    const location = first.headers.location;
    if (!REDIRECTS.has(first.status) || location === undefined) return first;
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new TransportError(`refusing redirect from ${url.origin}: unparsable Location`, "EREDIRECT", true, true);
    }
    if (url.protocol === "https:" && next.protocol !== "https:") {
      throw new TransportError(`refusing redirect from ${url.origin} to ${next.origin} (TLS downgrade)`, "EREDIRECT", true, true);
    }
    if (next.origin !== url.origin) {
      throw new TransportError(
        `refusing redirect from ${url.origin} to ${next.origin}: the request carries the Vault token or login JWT; point vault.address at the active node (e.g. the vault-active Service) or a load balancer`,
        "EREDIRECT",
        true,
        true,
      );
    }
    return once(next, method, headers, body, signal);
  }

  async function send(options: RpOptions): Promise<RpResponse> {
    const trace: RequestTrace = options.avi ?? { minting: false, attempts: 0 };
    const url = new URL(options.uri);
    const headers = { "user-agent": cfg.userAgent, accept: "application/json", ...options.headers };
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    for (let attempt = 1; ; attempt++) {
      trace.attempts = attempt;
      let result: AttemptResult;
      let response: RpResponse | undefined;
      let failure: TransportError | undefined;
      try {
        const ex = await exchange(url, options.method, headers, body, trace.signal);
        response = { statusCode: ex.status, body: ex.body, request: { path: url.pathname } };
        const retryAfter = parseRetryAfter(headerValue(ex.headers["retry-after"]), now());
        if (retryAfter !== undefined) trace.retryAfterMs = retryAfter;
        else delete trace.retryAfterMs;
        result = { status: ex.status, text: errorText(ex.body), sent: true };
        cfg.onAttempt?.(options.method, String(ex.status));
      } catch (err) {
        failure = err instanceof TransportError ? err : toTransportError(err, true, undefined);
        result = { code: failure.code, sent: failure.sent, final: failure.final };
        cfg.onAttempt?.(options.method, failure.code ?? "error");
      }
      const ok = response !== undefined && response.statusCode < 300;
      if (ok || attempt > cfg.maxRetries || !shouldRetry(result, trace.minting)) return settle(response, failure);
      const wait = retryWait(attempt, result.status, trace.retryAfterMs, random());
      if (wait > maxWaitMs) return settle(response, failure);
      try {
        await sleep(wait, trace.signal);
      } catch {
        throw new TransportError("cancelled", "ABORT_ERR", result.sent, true);
      }
    }
  }

  return { defaults: () => send };
}

/**
 * One request's signal: aborted by the caller's (long-lived) signal or by the request's own timeout.
 * Not `AbortSignal.any()`: with a long-lived source, the composites it creates stay referenced by
 * that source, even across a full GC (nodejs/node#55351, #64476), a slow leak in an agent that runs for days. Here the
 * listeners are removed when the request is over (`release`), so nothing outlives it.
 */
export function combineSignals(signal: AbortSignal | undefined, timeout: AbortSignal): { combined: AbortSignal; release: () => void } {
  if (signal === undefined) return { combined: timeout, release: () => undefined };
  const controller = new AbortController();
  const onAbort = function (this: AbortSignal): void {
    controller.abort(this.reason);
  };
  if (signal.aborted) controller.abort(signal.reason);
  else if (timeout.aborted) controller.abort(timeout.reason);
  else {
    signal.addEventListener("abort", onAbort, { once: true });
    timeout.addEventListener("abort", onAbort, { once: true });
  }
  return {
    combined: controller.signal,
    release: () => {
      signal.removeEventListener("abort", onAbort);
      timeout.removeEventListener("abort", onAbort);
    },
  };
}

function settle(response: RpResponse | undefined, failure: TransportError | undefined): RpResponse {
  if (response !== undefined) return response;
  throw failure ?? new TransportError("no response", undefined, false, false);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A proxy's HTML error page, say: keep the text so the error message can show its start.
    return text;
  }
}

function toTransportError(err: unknown, sent: boolean, timeout: AbortSignal | undefined): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.name === "AbortError") {
    return timeout?.aborted === true
      ? new TransportError("timed out", "ETIMEDOUT", sent, false)
      : new TransportError("cancelled", "ABORT_ERR", sent, true);
  }
  return new TransportError(e.message, e.code, sent, isTlsFailure(e.code));
}
