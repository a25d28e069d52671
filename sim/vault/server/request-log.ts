/**
 * Every request the simulator answered (method, path, query, headers incl. `X-Vault-Request` and audit
 * headers such as `X-Airflow-Dag-Id`, status), for assertions. Token headers are never kept: the entry
 * names the token by accessor instead.
 */
import { globToRegExp, apiPath } from "../core/glob.js";

export interface RequestLogEntry {
  readonly seq: number;
  /** Sim time when the request arrived, epoch ms. */
  readonly time: number;
  readonly method: string;
  /** URL path as received (`/v1/sys/leases/renew`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased request headers; `x-vault-token` / `authorization` replaced by `<redacted>`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Accessor of the token the request carried, when it named a known token. */
  readonly tokenAccessor?: string;
  /** HTTP status, or `dropped` / `hung` for injected connection faults. */
  readonly status: number | "dropped" | "hung";
  /** Id of the fault rule that acted, if any. */
  readonly fault?: string;
  readonly remoteAddress: string;
  /** Real milliseconds spent answering. */
  readonly durationMs: number;
}

export interface RequestLogFilter {
  readonly method?: string;
  /** Glob over the API path without `/v1/`. */
  readonly path?: string;
  /** Entries with `seq` greater than this. */
  readonly afterSeq?: number;
}

const REDACTED = new Set(["x-vault-token", "authorization"]);

export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, REDACTED.has(k) ? "<redacted>" : v]));
}

export class RequestLog {
  private items: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly limit = 10_000) {}

  /** Internal: record an entry (assigns `seq`). */
  record(entry: Omit<RequestLogEntry, "seq">): RequestLogEntry {
    const full = { ...entry, seq: ++this.seq };
    this.items.push(full);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
    return full;
  }

  entries(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const re = filter.path === undefined ? undefined : globToRegExp(apiPath(filter.path));
    return this.items.filter(
      (e) =>
        (filter.method === undefined || e.method.toUpperCase() === filter.method.toUpperCase()) &&
        (re === undefined || re.test(apiPath(e.path))) &&
        (filter.afterSeq === undefined || e.seq > filter.afterSeq),
    );
  }

  /** Sequence number of the newest entry (0 when empty): use with `afterSeq`. */
  get lastSeq(): number {
    return this.seq;
  }

  clear(): void {
    this.items = [];
  }
}
