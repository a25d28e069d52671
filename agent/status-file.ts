/**
 * `status.json`: what the agent knows, for humans and tooling (`kubectl exec … cat status.json`),
 * with no secrets: versions, times, renewability, lease fingerprints and the last error per item.
 */
import type { ErrorInfo, LifecycleView } from "./lifecycle/index.js";

function iso(ms: number | undefined): string | null {
  return ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function error(e: ErrorInfo | undefined): { at: string | null; kind: string; message: string } | null {
  return e === undefined ? null : { at: iso(e.at), kind: e.kind, message: e.message };
}

/**
 * status.json is written last in every publication, after the credential files of the same state,
 * so "written" and "ready" describe the state once this write completes.
 */
export interface StatusContext {
  readonly vaultAddress: string;
  /** Bound ports (sidecar mode), so tools can find an agent started on port 0. */
  readonly endpointPort?: number | undefined;
  readonly healthPort?: number | undefined;
}

export function renderStatus(machine: LifecycleView, now: number, context: StatusContext): string {
  const snapshot = machine.snapshot(now);
  const credentials: Record<string, unknown> = {};
  for (const [name, c] of snapshot.credentials) {
    const v = c.version;
    credentials[name] = {
      path: c.spec.path,
      format: c.spec.format,
      version: v?.seq ?? null,
      written: v !== undefined,
      issuedAt: iso(v?.issuedAt),
      validUntil: iso(v?.validUntil),
      expiration: iso(c.expiration),
      expired: v !== undefined && v.validUntil <= now,
      renewable: v?.renewable ?? false,
      lease: v?.lease ?? null,
      nextRefreshAt: iso(c.nextRefreshAt),
      fetches: c.stats.fetches,
      renewals: c.stats.renewals,
      rotations: c.stats.rotations,
      failures: c.stats.failures,
      lastError: error(c.lastError),
    };
  }
  const ready = [...snapshot.credentials.values()].every((c) => c.version !== undefined);
  const { vault } = snapshot;
  const doc = {
    version: 1,
    updatedAt: iso(now),
    phase: snapshot.phase === "starting" && ready ? "running" : snapshot.phase,
    ready,
    vault: {
      address: context.vaultAddress,
      authenticated: vault.authenticated,
      token: vault.token ?? null,
      tokenExpiresAt: iso(vault.tokenExpiresAt),
      lastLoginAt: iso(vault.lastLoginAt),
      logins: vault.stats.logins,
      lastError: error(vault.lastError),
    },
    files: { lastError: error(snapshot.files.lastError) },
    ...(context.endpointPort !== undefined ? { endpoint: { url: `http://127.0.0.1:${context.endpointPort}/v1/credentials/`, healthPort: context.healthPort ?? null } } : {}),
    credentials,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
