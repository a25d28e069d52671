/**
 * `sys/leases/*` (and the legacy `sys/renew`, `sys/revoke`) — `vault/logical_system.go`: renew, revoke, lookup with
 * Vault's status codes and plain 400 messages.
 */
import type { BackendRequest, BackendResponse } from "../core/backend.js";
import type { VaultCore } from "../core/core.js";
import { errorResponse, unsupportedOperation, unsupportedPath } from "../server/errors.js";
import { getBool, getDuration, getString } from "../core/fields.js";
import { goTime } from "../time/go-time.js";

/** The lease ID from the body, else from the URL suffix (`sys/leases/renew/<id>`); the body wins. */
function leaseIdOf(req: BackendRequest, suffix: string): string {
  const fromBody = getString(req.data, "lease_id");
  return fromBody !== "" ? fromBody : suffix;
}

export async function handleLeases(core: VaultCore, req: BackendRequest): Promise<BackendResponse | null> {
  const m = /^(?:leases\/)?(renew|revoke|lookup|revoke-prefix|revoke-force)(?:\/(.*))?$/.exec(req.path);
  if (m === null) throw unsupportedPath();
  const action = m[1]!;
  const suffix = m[2] ?? "";
  const legacy = !req.path.startsWith("leases/");
  if (legacy && (action === "lookup" || action === "revoke-force")) throw unsupportedPath();

  if (action === "lookup" && req.operation === "list") return listLeases(core, suffix);
  if (req.operation !== "update" && req.operation !== "create") throw unsupportedOperation();

  switch (action) {
    case "renew": {
      const leaseId = leaseIdOf(req, suffix);
      if (leaseId === "") throw errorResponse("lease_id must be specified");
      const increment = getDuration(req.data, "increment");
      const { lease, ttl, warnings } = await core.expiration.renewLease(leaseId, increment);
      return { leaseIdOverride: lease.id, renewable: true, leaseDuration: ttl, warnings };
    }
    case "revoke": {
      const leaseId = leaseIdOf(req, suffix);
      if (leaseId === "") throw errorResponse("lease_id must be specified");
      const sync = getBool(req.data, "sync", core.compat.leaseRevokeSyncDefault);
      core.expiration.revokeLease(leaseId, "sys/leases/revoke");
      if (sync) {
        await core.expiration.settled();
        return null;
      }
      return { status: 202, emptyBody: true };
    }
    case "revoke-prefix":
    case "revoke-force": {
      const prefix = suffix;
      for (const lease of core.expiration.allLeases()) {
        if (lease.state === "active" && lease.id.startsWith(prefix)) core.expiration.revokeLease(lease.id, `sys/leases/${action}`);
      }
      if (getBool(req.data, "sync", core.compat.leaseRevokeSyncDefault)) {
        await core.expiration.settled();
        return null;
      }
      return { status: 202, emptyBody: true };
    }
    case "lookup": {
      const leaseId = leaseIdOf(req, suffix);
      if (leaseId === "") throw errorResponse("lease_id must be specified");
      const lease = core.expiration.lookupLease(leaseId);
      if (lease === undefined) throw errorResponse("invalid lease");
      const now = core.clock.now();
      return {
        data: {
          expire_time: goTime(lease.expireTime),
          id: lease.id,
          issue_time: goTime(lease.issueTime),
          last_renewal: lease.lastRenewalTime === undefined ? null : goTime(lease.lastRenewalTime),
          renewable: lease.renewable && now < lease.expireTime,
          ttl: Math.max(0, Math.floor((lease.expireTime - now) / 1000)),
        },
      };
    }
    default:
      throw unsupportedPath();
  }
}

function listLeases(core: VaultCore, prefix: string): BackendResponse | null {
  const keys = new Set<string>();
  for (const lease of core.expiration.allLeases()) {
    if (lease.state !== "active" || !lease.id.startsWith(prefix)) continue;
    const rest = lease.id.slice(prefix.length);
    const slash = rest.indexOf("/");
    keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return keys.size === 0 ? null : { data: { keys: [...keys].sort() } };
}
