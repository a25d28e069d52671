/**
 * The expiration manager: everything with a TTL. Issues tokens and registers leases, renews them with
 * Vault's arithmetic (`sdk/framework/lease.go` CalculateTTL), revokes them (with the engine's side effect, e.g. deleting an IAM user) and
 * cascades: revoking or expiring a token revokes its child tokens and every lease it created (`vault/expiration.go`).
 *
 * Expiry is enforced twice, as in Vault: lazily when a token or lease is used after its deadline, and
 * by a sweep — one clock timer per lease — so a lease dies at its deadline even if nobody touches it.
 */
import type { Backend, RenewedTtl, SecretSpec } from "./backend.js";
import type { SimClock } from "../time/clock.js";
import { codedError, errorResponse, VaultError } from "../server/errors.js";
import type { EventLog } from "../server/events.js";
import * as ids from "./identifiers.js";
import type { Lease } from "./lease.js";
import { TokenRegistry, type TokenEntry } from "../tokens/token-store.js";
import { calculateTtl, TtlError, type MountTtls } from "../time/ttl.js";

export interface MountResolver {
  ttls(mountPath: string): MountTtls;
  backend(mountPath: string): Backend | undefined;
}

/** What to issue: the entry's own fields, an optional fixed ID (the root token) and the calculated TTL. */
export type IssueTokenSpec = Pick<
  TokenEntry,
  | "type"
  | "policies"
  | "meta"
  | "displayName"
  | "path"
  | "mountPath"
  | "parentId"
  | "explicitMaxTtl"
  | "period"
  | "backendTtl"
  | "backendMaxTtl"
  | "numUses"
  | "entityId"
  | "boundCidrs"
  | "renewable"
  | "internal"
  | "role"
> & {
  readonly id?: string;
  /** Seconds, already calculated (0 = no expiry, root-like). */
  readonly ttl: number;
};

export interface ExpirationOptions {
  /** Run the expiry sweep (default true). With false, expiry is only enforced lazily. */
  readonly sweep: boolean;
  /** Seconds an expired lease keeps answering `lease expired` before it reads as `lease not found`. */
  readonly expiredLeaseRetentionSeconds: number;
}

export interface RenewResult {
  readonly ttl: number;
  readonly warnings: readonly string[];
}

const SALT_SUFFIX = (): string => `h${ids.base62(24).toLowerCase()}`;

export class ExpirationManager {
  readonly tokens = new TokenRegistry();
  private readonly leases = new Map<string, Lease>();
  /** Secret leases by the token that created them (revocation cascades). */
  private readonly leasesByToken = new Map<string, Set<string>>();
  private readonly timers = new Map<string, () => void>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly clock: SimClock,
    private readonly mounts: MountResolver,
    private readonly events: EventLog,
    private readonly options: ExpirationOptions,
  ) {}

  // ── tokens ────────────────────────────────────────────────────────────────────────────────────

  issueToken(spec: IssueTokenSpec): TokenEntry {
    const now = this.clock.now();
    const token: TokenEntry = {
      id: spec.id ?? (spec.type === "batch" ? ids.batchToken() : ids.serviceToken()),
      accessor: spec.type === "batch" ? "" : ids.accessor(),
      type: spec.type,
      policies: spec.policies,
      meta: spec.meta,
      displayName: spec.displayName,
      path: spec.path,
      mountPath: spec.mountPath,
      parentId: spec.parentId,
      orphan: spec.parentId === undefined,
      creationTime: now,
      creationTtl: spec.ttl,
      explicitMaxTtl: spec.explicitMaxTtl,
      period: spec.period,
      backendTtl: spec.backendTtl,
      backendMaxTtl: spec.backendMaxTtl,
      numUses: spec.numUses,
      usesLeft: spec.numUses,
      entityId: spec.entityId,
      boundCidrs: spec.boundCidrs,
      renewable: spec.type === "service" && spec.renewable && spec.ttl > 0,
      internal: spec.internal,
      batchExpireTime: spec.type === "batch" && spec.ttl > 0 ? now + spec.ttl * 1000 : undefined,
      role: spec.role,
      revoked: false,
    };
    this.tokens.add(token);
    if (spec.type === "service" && spec.ttl > 0) {
      const lease: Lease = {
        id: `${spec.path}/${SALT_SUFFIX()}`,
        kind: "auth",
        path: spec.path,
        mountPath: spec.mountPath,
        tokenId: token.id,
        issueTime: now,
        expireTime: now + spec.ttl * 1000,
        renewable: token.renewable,
        backendTtl: spec.backendTtl,
        backendMaxTtl: spec.backendMaxTtl,
        internal: {},
        state: "active",
      };
      token.leaseId = lease.id;
      this.addLease(lease);
    }
    this.events.push({ time: now, type: "token.created", accessor: token.accessor, path: token.path, ttl: spec.ttl });
    return token;
  }

  /**
   * The token if it is still valid. A token past its deadline is revoked on the spot (lazy expiry)
   * and reads as missing, so the caller answers 403 permission denied + invalid token.
   */
  liveToken(id: string): TokenEntry | undefined {
    const token = this.tokens.get(id);
    if (token === undefined || token.revoked) return undefined;
    const now = this.clock.now();
    if (token.batchExpireTime !== undefined && now >= token.batchExpireTime) {
      this.markTokenRevoked(token, "expired");
      return undefined;
    }
    const lease = token.leaseId === undefined ? undefined : this.leases.get(token.leaseId);
    if (lease !== undefined && lease.state === "active" && now >= lease.expireTime) {
      this.expire(lease);
      return undefined;
    }
    return token;
  }

  /** The token's lease (for lookup-self: issue/expire/last renewal times). */
  tokenLease(token: TokenEntry): Lease | undefined {
    return token.leaseId === undefined ? undefined : this.leases.get(token.leaseId);
  }

  /** `auth/token/renew-self` / `renew`: the caller checked the token is live and a service token. */
  async renewToken(token: TokenEntry, increment: number): Promise<RenewResult> {
    const lease = this.tokenLease(token);
    if (lease === undefined) throw errorResponse("lease is not renewable");
    this.checkRenewable(lease, () => errorResponse("invalid lease ID"));
    const backend = this.mounts.backend(token.mountPath);
    let renewed: RenewedTtl = { ttl: token.backendTtl, maxTtl: token.backendMaxTtl, period: token.period };
    if (backend?.renewAuth !== undefined) {
      try {
        renewed = await backend.renewAuth(token);
      } catch (err) {
        throw codedError(500, `failed to renew entry: resp: (*logical.Response)(nil) err: ${errText(err)}`);
      }
    }
    const result = this.calculate(lease, token.mountPath, increment, renewed, token.explicitMaxTtl, (msg) => codedError(500, msg));
    this.extend(lease, result.ttl);
    this.events.push({ time: this.clock.now(), type: "token.renewed", accessor: token.accessor, ttl: result.ttl });
    return result;
  }

  /** Revoke a token, its children (depth first) and every lease they created. */
  revokeToken(id: string, reason: string): void {
    const token = this.tokens.get(id);
    if (token === undefined || token.revoked) return;
    for (const child of this.tokens.children(id)) this.revokeToken(child.id, "parent revoked");
    for (const leaseId of this.leasesByToken.get(id) ?? []) {
      const lease = this.leases.get(leaseId);
      if (lease?.state === "active") this.endLease(lease, "revoked", reason === "expired" ? "token expired" : "token revoked");
    }
    this.leasesByToken.delete(id);
    const own = this.tokenLease(token);
    if (own !== undefined && own.state === "active") this.endLease(own, reason === "expired" ? "expired" : "revoked", reason);
    this.markTokenRevoked(token, reason);
  }

  // ── leases ────────────────────────────────────────────────────────────────────────────────────

  /** Register a secret's lease. `ttl` is already calculated by core (CalculateTTL at issue). */
  registerSecret(path: string, mountPath: string, token: TokenEntry | undefined, secret: SecretSpec, ttl: number): Lease {
    const now = this.clock.now();
    const lease: Lease = {
      id: `${path}/${ids.leaseSuffix()}`,
      kind: "secret",
      path,
      mountPath,
      // Leases of batch tokens are tracked by the parent (orphan batch tokens: untracked).
      tokenId: token === undefined ? "" : token.type === "batch" ? (token.parentId ?? "") : token.id,
      issueTime: now,
      expireTime: now + ttl * 1000,
      renewable: secret.renewable,
      backendTtl: secret.ttl,
      backendMaxTtl: secret.maxTtl,
      internal: secret.internal,
      state: "active",
    };
    this.addLease(lease);
    this.events.push({ time: now, type: "lease.created", leaseId: lease.id, accessor: token?.accessor, path, ttl });
    return lease;
  }

  /** `sys/leases/renew` (`vault/logical_system.go` handleRenew, `leaseEntry.renewable`): errors are 400 with Vault's plain messages. */
  async renewLease(leaseId: string, increment: number): Promise<RenewResult & { lease: Lease }> {
    const lease = this.leases.get(leaseId);
    this.checkRenewable(lease, () => errorResponse("lease not found"));
    const live = lease!;
    if (live.kind === "auth") throw errorResponse("tokens cannot be renewed through this endpoint", 403);
    const backend = this.mounts.backend(live.mountPath);
    let renewed: RenewedTtl = { ttl: live.backendTtl, maxTtl: live.backendMaxTtl };
    if (backend?.renewSecret !== undefined) {
      try {
        renewed = await backend.renewSecret(live);
      } catch (err) {
        throw errorResponse(`failed to renew entry: resp: (*logical.Response)(nil) err: ${errText(err)}`);
      }
    }
    const result = this.calculate(live, live.mountPath, increment, { ...renewed, period: 0 }, 0, (msg) => errorResponse(msg));
    this.extend(live, result.ttl);
    this.events.push({ time: this.clock.now(), type: "lease.renewed", leaseId: live.id, ttl: result.ttl });
    return { ...result, lease: live };
  }

  /** `sys/leases/revoke`: unknown IDs are not an error (Vault's LazyRevoke). */
  revokeLease(leaseId: string, reason: string): void {
    const lease = this.leases.get(leaseId);
    if (lease === undefined || lease.state !== "active") return;
    if (lease.kind === "auth") {
      this.revokeToken(lease.tokenId, reason);
      return;
    }
    this.endLease(lease, "revoked", reason);
  }

  /** A lease for `sys/leases/lookup`; undefined when unknown or ended (lookup answers `invalid lease`). */
  lookupLease(leaseId: string): Lease | undefined {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) return undefined;
    if (lease.state === "active" && this.clock.now() >= lease.expireTime) this.expire(lease);
    return lease.state === "active" ? lease : undefined;
  }

  allLeases(): Lease[] {
    return [...this.leases.values()];
  }

  /** Resolves when every revocation side effect started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  private addLease(lease: Lease): void {
    this.leases.set(lease.id, lease);
    if (lease.kind === "secret" && lease.tokenId !== "") {
      const set = this.leasesByToken.get(lease.tokenId) ?? new Set<string>();
      set.add(lease.id);
      this.leasesByToken.set(lease.tokenId, set);
    }
    this.schedule(lease);
  }

  private schedule(lease: Lease): void {
    this.timers.get(lease.id)?.();
    if (!this.options.sweep) return;
    this.timers.set(
      lease.id,
      this.clock.schedule(lease.expireTime, () => {
        this.timers.delete(lease.id);
        if (lease.state === "active" && this.clock.now() >= lease.expireTime) this.expire(lease);
      }),
    );
  }

  private expire(lease: Lease): void {
    if (lease.kind === "auth") this.revokeToken(lease.tokenId, "expired");
    else this.endLease(lease, "expired", "expired");
  }

  /** Vault's `leaseEntry.renewable()` order of checks. */
  private checkRenewable(lease: Lease | undefined, missing: () => VaultError): void {
    const now = this.clock.now();
    if (lease === undefined) throw missing();
    if (lease.state === "revoked") throw missing();
    if (lease.state === "expired") {
      const retained = lease.endedAt !== undefined && now - lease.endedAt < this.options.expiredLeaseRetentionSeconds * 1000;
      if (!retained) throw missing();
      throw errorResponse("lease expired");
    }
    if (now >= lease.expireTime) {
      this.expire(lease);
      throw errorResponse("lease expired");
    }
    if (!lease.renewable) throw errorResponse("lease is not renewable");
  }

  private calculate(
    lease: Lease,
    mountPath: string,
    increment: number,
    renewed: RenewedTtl,
    explicitMaxTtl: number,
    fail: (msg: string) => VaultError,
  ): RenewResult {
    try {
      return calculateTtl({
        now: this.clock.now(),
        mount: this.mounts.ttls(mountPath),
        increment,
        backendTtl: renewed.ttl,
        period: renewed.period ?? 0,
        backendMaxTtl: renewed.maxTtl,
        explicitMaxTtl,
        startTime: lease.issueTime,
      });
    } catch (err) {
      if (err instanceof TtlError) throw fail(err.message);
      throw err;
    }
  }

  private extend(lease: Lease, ttl: number): void {
    const now = this.clock.now();
    lease.expireTime = now + ttl * 1000;
    lease.lastRenewalTime = now;
    this.schedule(lease);
  }

  private endLease(lease: Lease, state: "revoked" | "expired", reason: string): void {
    const now = this.clock.now();
    lease.state = state;
    lease.endedAt = now;
    lease.endReason = reason;
    this.timers.get(lease.id)?.();
    this.timers.delete(lease.id);
    const owner = this.tokens.get(lease.tokenId);
    if (lease.kind === "secret") {
      this.events.push({ time: now, type: state === "expired" ? "lease.expired" : "lease.revoked", leaseId: lease.id, accessor: owner?.accessor, path: lease.path, reason });
      const backend = this.mounts.backend(lease.mountPath);
      if (backend?.revokeSecret !== undefined) {
        const p = backend.revokeSecret(lease).catch(() => undefined);
        this.pending.add(p);
        void p.finally(() => this.pending.delete(p));
      }
    }
  }

  private markTokenRevoked(token: TokenEntry, reason: string): void {
    token.revoked = true;
    token.revokedAt = this.clock.now();
    token.revokeReason = reason;
    this.events.push({ time: this.clock.now(), type: reason === "expired" ? "token.expired" : "token.revoked", accessor: token.accessor, reason });
  }
}

function errText(err: unknown): string {
  if (err instanceof VaultError) return err.messages.join("; ");
  return err instanceof Error ? err.message : String(err);
}
