/**
 * Fault injection for the `/v1/` surface: rules matched by method and path glob that add latency,
 * answer with an error (status + body), rate-limit with `Retry-After`, drop the connection, or hang —
 * for the next N matching requests or for a span of sim time ("the next 3 requests to
 * sys/leases/renew fail with 503"; "Vault is down for 10 simulated minutes").
 */
import type { NowSource } from "../time/clock.js";
import { apiPath, globToRegExp } from "../core/glob.js";
import { base62 } from "../core/identifiers.js";

export type FaultAction =
  /** Answer with `status` and `body` (an object is sent as JSON, a string as-is; default `{"errors":[]}`). */
  | { readonly type: "error"; readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  /** Delay the response by `ms` of real time, then process normally (other rules still apply). */
  | { readonly type: "latency"; readonly ms: number }
  /** Destroy the connection without an answer (a reset as the client sees it). */
  | { readonly type: "drop" }
  /** Never answer; the connection stays open until the client gives up or the simulator stops. */
  | { readonly type: "hang" }
  /** Vault's rate-limit quota answer: 429, `rate limit quota exceeded`, `Retry-After`. */
  | { readonly type: "rate-limit"; readonly retryAfterSeconds: number; readonly limit?: number };

export interface FaultRuleSpec {
  /** HTTP method, case-insensitive; `*` or absent = any. */
  readonly method?: string;
  /** Glob over the API path without `/v1/` (`sys/leases/renew`, `aws/creds/*`, `*`). */
  readonly path: string;
  readonly action: FaultAction;
  /** Apply to this many matching requests, then retire (absent = unlimited). */
  readonly count?: number;
  /** Apply for this many seconds of sim time from now (absent = until removed). */
  readonly forSeconds?: number;
  /** Let this many matching requests through first. */
  readonly skip?: number;
  /**
   * `before` (default): the request never reaches Vault. `after`: Vault processes it (state changes
   * happen — e.g. credentials are minted) and only the response is replaced or lost.
   */
  readonly when?: "before" | "after";
}

export interface FaultRule extends FaultRuleSpec {
  readonly id: string;
  /** Matching requests the rule acted on. */
  hits: number;
  /** Matching requests let through by `skip`. */
  skipped: number;
  readonly expiresAt?: number;
}

export interface FaultDecision {
  /** Total real-time latency to add. */
  readonly latencyMs: number;
  /** The first non-latency rule that applies, if any. */
  readonly rule?: FaultRule;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly patterns = new Map<string, RegExp>();

  constructor(private readonly clock: NowSource) {}

  add(spec: FaultRuleSpec): FaultRule {
    const rule: FaultRule = {
      ...spec,
      path: apiPath(spec.path),
      id: `fault-${base62(10)}`,
      hits: 0,
      skipped: 0,
      expiresAt: spec.forSeconds === undefined ? undefined : this.clock.now() + spec.forSeconds * 1000,
    };
    this.patterns.set(rule.id, globToRegExp(rule.path));
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    this.prune();
    return [...this.rules];
  }

  /** Decide what happens to a request; consumes `count`/`skip` of the rules that fire. */
  decide(method: string, path: string): FaultDecision {
    this.prune();
    const p = apiPath(path);
    let latencyMs = 0;
    let chosen: FaultRule | undefined;
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method !== "*" && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!this.patterns.get(rule.id)!.test(p)) continue;
      if (rule.action.type !== "latency" && chosen !== undefined) continue;
      if (rule.skip !== undefined && rule.skipped < rule.skip) {
        rule.skipped++;
        continue;
      }
      rule.hits++;
      if (rule.action.type === "latency") latencyMs += rule.action.ms;
      else chosen = rule;
    }
    this.prune();
    return { latencyMs, rule: chosen };
  }

  private prune(): void {
    const now = this.clock.now();
    this.rules = this.rules.filter((r) => (r.count === undefined || r.hits < r.count) && (r.expiresAt === undefined || now < r.expiresAt));
  }
}
