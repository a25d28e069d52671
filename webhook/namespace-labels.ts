/**
 * Namespace labels for the injector (Istio's namespace-level injection), read through the API and
 * cached: a fresh entry is served without a call; an expired one is fetched again, concurrent misses
 * for a namespace share one request, and when the API fails an expired entry is served (stale) rather
 * than failing the pod. With nothing cached and the API failing, the look-up throws and the review
 * fails closed (the API server retries or reports it) — guessing "no Istio" could start a pod whose
 * agent can never reach Vault.
 */
import type { NamespaceClient } from "./kube/api.js";
import type { WebhookMetrics } from "./metrics.js";

export interface NamespaceLabelLookup {
  /** Labels of the namespace; `{}` when it does not exist (yet). */
  labels(namespace: string): Promise<Readonly<Record<string, string>>>;
}

export interface NamespaceLabelCacheOptions {
  readonly client: NamespaceClient;
  /** How long an entry is served without asking again (default 30 s). */
  readonly ttlMs?: number;
  /** Entries kept at most (least recently fetched dropped first; default 5,000). */
  readonly maxEntries?: number;
  readonly clock?: () => number;
  readonly metrics?: WebhookMetrics;
}

interface Entry {
  labels: Readonly<Record<string, string>>;
  fetchedAt: number;
}

export class NamespaceLabelCache implements NamespaceLabelLookup {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Readonly<Record<string, string>>>>();
  private readonly clock: () => number;

  constructor(private readonly options: NamespaceLabelCacheOptions) {
    this.clock = options.clock ?? Date.now;
  }

  labels(namespace: string): Promise<Readonly<Record<string, string>>> {
    const entry = this.entries.get(namespace);
    if (entry !== undefined && this.clock() - entry.fetchedAt < (this.options.ttlMs ?? 30_000)) {
      this.options.metrics?.namespaceLookups.inc({ result: "hit" });
      return Promise.resolve(entry.labels);
    }
    const pending = this.inflight.get(namespace);
    if (pending !== undefined) return pending;
    const fetching = this.fetch(namespace, entry).finally(() => this.inflight.delete(namespace));
    this.inflight.set(namespace, fetching);
    return fetching;
  }

  private async fetch(namespace: string, stale: Entry | undefined): Promise<Readonly<Record<string, string>>> {
    try {
      const labels = (await this.options.client.labels(namespace)) ?? {};
      this.options.metrics?.namespaceLookups.inc({ result: "miss" });
      this.entries.delete(namespace);
      this.entries.set(namespace, { labels, fetchedAt: this.clock() });
      if (this.entries.size > (this.options.maxEntries ?? 5_000)) this.entries.delete(this.entries.keys().next().value as string);
      return labels;
    } catch (err) {
      if (stale !== undefined) {
        this.options.metrics?.namespaceLookups.inc({ result: "stale" });
        return stale.labels;
      }
      this.options.metrics?.namespaceLookups.inc({ result: "error" });
      throw new Error(`cannot read the labels of namespace "${namespace}" (needed for Istio injection): ${(err as Error).message}`, { cause: err });
    }
  }
}
