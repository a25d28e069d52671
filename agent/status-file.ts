/**
 * `status.json`: what the agent knows, for humans and tooling (`kubectl exec … cat status.json`),
 * with no secrets: versions, times, renewability, lease fingerprints and the last error per item.
 */
import type { ErrorInfo, Lifecycle } from "./lifecycle.js";

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
  readonly fingerprint: (value: string) => string;
  /** Bound ports (sidecar mode), so tools can find an agent started on port 0. */
  readonly endpointPort?: number | undefined;
  readonly healthPort?: number | undefined;
}

export function renderStatus(machine: Lifecycle, now: number, context: StatusContext): string {
  const { fingerprint } = context;
  const token = machine.auth.current;
  const credentials: Record<string, unknown> = {};
  for (const c of machine.credentials.values()) {
    const v = c.current;
    credentials[c.spec.name] = {
      path: c.spec.path,
      format: c.spec.format,
      version: v?.seq ?? null,
      written: v !== undefined,
      issuedAt: iso(v?.issuedAt),
      validUntil: iso(v === undefined ? undefined : machine.validUntil(v)),
      expiration: iso(machine.served(c)),
      expired: v !== undefined && machine.validUntil(v) <= now,
      renewable: v?.renewable ?? false,
      lease: v === undefined || v.leaseId === "" ? null : fingerprint(v.leaseId),
      nextRefreshAt: iso(c.next?.at),
      fetches: c.stats.fetches,
      renewals: c.stats.renewals,
      rotations: c.stats.rotations,
      failures: c.stats.failures,
      lastError: error(c.lastError),
    };
  }
  const ready = [...machine.credentials.values()].every((c) => c.current !== undefined);
  const doc = {
    version: 1,
    updatedAt: iso(now),
    phase: machine.phase === "starting" && ready ? "running" : machine.phase,
    ready,
    vault: {
      address: context.vaultAddress,
      authenticated: token !== undefined && !token.dead && token.expiresAt > now,
      token: token === undefined ? null : fingerprint(token.accessor),
      tokenExpiresAt: iso(token?.expiresAt),
      lastLoginAt: iso(machine.auth.lastLoginAt),
      logins: machine.auth.stats.logins,
      lastError: error(machine.auth.lastError),
    },
    files: { lastError: error(machine.publish.lastError) },
    ...(context.endpointPort !== undefined ? { endpoint: { url: `http://127.0.0.1:${context.endpointPort}/v1/credentials/`, healthPort: context.healthPort ?? null } } : {}),
    credentials,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
