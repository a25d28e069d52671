/**
 * One HTTP request through the simulator: `/sim/` controls, or fault rules then the Vault core for
 * `/v1/`, and an entry in the request log. Transport-neutral: the HTTP listener and `inject()` both
 * use it.
 */
import type { CompatOptions } from "./compat.js";
import type { SimClock } from "../time/clock.js";
import { jsonResult, type HttpResult, type VaultCore } from "../core/core.js";
import type { FaultInjector, FaultRule } from "./faults.js";
import { apiPath } from "../core/glob.js";
import { clientToken, type RawRequest } from "./request.js";
import { redactHeaders, type RequestLog } from "./request-log.js";

export type Outcome = ({ readonly kind: "response" } & HttpResult) | { readonly kind: "drop" } | { readonly kind: "hang" };

export interface HandlerDeps {
  readonly core: VaultCore;
  readonly clock: SimClock;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  readonly compat: CompatOptions;
  readonly simControls: (raw: RawRequest) => Promise<HttpResult>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function faultOutcome(rule: FaultRule, path: string, compat: CompatOptions): Outcome {
  const a = rule.action;
  switch (a.type) {
    case "drop":
      return { kind: "drop" };
    case "hang":
      return { kind: "hang" };
    case "rate-limit": {
      const headers: Record<string, string> = compat.rateLimitHeaders
        ? {
            "retry-after": String(a.retryAfterSeconds),
            "x-ratelimit-limit": String(a.limit ?? 1),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(a.retryAfterSeconds),
          }
        : {};
      return { kind: "response", ...jsonResult(429, { errors: [`request path ${JSON.stringify(apiPath(path))}: rate limit quota exceeded`] }, headers) };
    }
    case "error": {
      const headers = { "cache-control": "no-store", "content-type": "application/json", ...(a.headers ?? {}) };
      const body = a.body === undefined ? '{"errors":[]}\n' : typeof a.body === "string" ? a.body : `${JSON.stringify(a.body)}\n`;
      return { kind: "response", status: a.status, headers, body };
    }
    case "latency":
      return { kind: "drop" };
  }
}

export function createRequestHandler(deps: HandlerDeps): (raw: RawRequest) => Promise<Outcome> {
  return async (raw) => {
    const startedReal = performance.now();
    const time = deps.clock.now();
    const path = raw.url.split("?")[0] ?? raw.url;
    if (path === "/sim" || path.startsWith("/sim/")) return { kind: "response", ...(await deps.simControls(raw)) };

    let outcome: Outcome;
    let fault: FaultRule | undefined;
    if (!path.startsWith("/v1/")) {
      outcome = { kind: "response", ...jsonResult(404, { errors: [] }) };
    } else {
      const decision = deps.faults.decide(raw.method, path);
      fault = decision.rule;
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (fault !== undefined && fault.when !== "after") outcome = faultOutcome(fault, path, deps.compat);
      else {
        const result = await deps.core.handle(raw);
        outcome = fault !== undefined ? faultOutcome(fault, path, deps.compat) : { kind: "response", ...result };
      }
    }
    const token = clientToken(raw.headers);
    const query = Object.fromEntries(new URL(raw.url, "http://vault.invalid").searchParams);
    deps.log.record({
      time,
      method: raw.method,
      path,
      query,
      headers: redactHeaders(raw.headers),
      tokenAccessor: token === undefined ? undefined : deps.core.expiration.tokens.get(token)?.accessor || undefined,
      status: outcome.kind === "response" ? outcome.status : outcome.kind === "drop" ? "dropped" : "hung",
      fault: fault?.id,
      remoteAddress: raw.remoteAddress,
      durationMs: performance.now() - startedReal,
    });
    return outcome;
  };
}
