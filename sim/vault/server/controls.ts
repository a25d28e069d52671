/**
 * Test-only controls of a running simulator (also served over HTTP under `/sim/`, never under `/v1/`):
 * seal/unseal and node state, the clock, fault rules, revocation behind the client's back, inspection of
 * tokens, leases, lifecycle events and the simulated AWS/MinIO side effects. Nothing here returns a
 * token ID or secret: tokens are named by accessor.
 */
import type { SimClock } from "../time/clock.js";
import type { VaultCore } from "../core/core.js";
import { DurationError, parseDurationSecond } from "../time/duration.js";
import type { SimEvent, SimEventType } from "./events.js";
import { AwsApiError, type FakeAwsCloud, type IamUser } from "../engines/fake-aws.js";
import type { FaultInjector, FaultRule, FaultRuleSpec } from "./faults.js";
import { goTime } from "../time/go-time.js";
import type { FakeMinio, MinioUser } from "../engines/minio-plugins.js";
import type { NodeState } from "../sys/sys-health.js";
import type { TokenEntry } from "../tokens/token-store.js";

/** A token as tests may see it (no token ID). */
export interface TokenInfo {
  readonly accessor: string;
  readonly type: "service" | "batch";
  readonly displayName: string;
  readonly path: string;
  readonly policies: readonly string[];
  readonly meta: Readonly<Record<string, string>> | null;
  readonly entityId: string;
  readonly orphan: boolean;
  readonly createdAt: string;
  /** ISO time, or null for tokens without expiry (root). */
  readonly expiresAt: string | null;
  readonly renewable: boolean;
  readonly lastRenewalAt: string | null;
  readonly revoked: boolean;
  readonly revokedAt: string | null;
  readonly revokeReason: string | null;
}

export interface LeaseInfo {
  readonly leaseId: string;
  readonly kind: "secret" | "auth";
  readonly path: string;
  readonly tokenAccessor: string | null;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly lastRenewalAt: string | null;
  readonly renewable: boolean;
  readonly state: "active" | "revoked" | "expired";
  readonly endedAt: string | null;
  readonly endReason: string | null;
}

/** What a test can say about a token to revoke it: the token itself or its accessor. */
export type TokenRef = { readonly token: string } | { readonly accessor: string };

export interface VaultSimControls {
  /** Seal (every `/v1/` call but health/seal-status/unseal answers 503 `Vault is sealed`). */
  seal(): void;
  unseal(): void;
  /** Flip node state reported by `sys/health` (standby, perf standby, DR secondary, …). */
  setNodeState(state: Partial<NodeState>): NodeState;
  nodeState(): NodeState;
  /** Advance sim time by a duration (`"1h"`, seconds); expiry sweeps fire on the way. */
  advance(duration: string | number): void;
  /** Agent/Proxy mode: reject requests without `X-Vault-Request: true` (412). */
  setRequireRequestHeader(required: boolean): void;
  addFault(spec: FaultRuleSpec): FaultRule;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): FaultRule[];
  /** Revoke a token (and its children and leases) as if an operator did it. Returns false if unknown. */
  revokeToken(ref: TokenRef): boolean;
  /** Revoke a lease as if an operator did it. Returns false if unknown or already ended. */
  revokeLease(leaseId: string): boolean;
  tokens(options?: { includeRevoked?: boolean }): TokenInfo[];
  leases(options?: { includeEnded?: boolean }): LeaseInfo[];
  events(filter?: { type?: SimEventType; accessor?: string; leaseId?: string }): SimEvent[];
  /** IAM users the simulated AWS account holds (deleted ones have `deletedAt`). */
  iamUsers(): IamUser[];
  minioUsers(): MinioUser[];
  /** Make the next `times` simulated AWS calls fail (e.g. `Throttling` → 502). */
  failAws(code: string, message: string, statusCode: number, times?: number): void;
  /** Resolves once every revocation side effect started so far has finished. */
  settled(): Promise<void>;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : goTime(ms);
}

export function createControls(core: VaultCore, clock: SimClock, faults: FaultInjector, fakeAws: FakeAwsCloud, fakeMinio: FakeMinio): VaultSimControls {
  const tokenInfo = (t: TokenEntry): TokenInfo => {
    const lease = core.expiration.tokenLease(t);
    return {
      accessor: t.accessor,
      type: t.type,
      displayName: t.displayName,
      path: t.path,
      policies: [...t.policies],
      meta: t.meta,
      entityId: t.entityId,
      orphan: t.orphan,
      createdAt: goTime(t.creationTime),
      expiresAt: iso(lease?.expireTime ?? t.batchExpireTime),
      renewable: t.renewable,
      lastRenewalAt: iso(lease?.lastRenewalTime),
      revoked: t.revoked,
      revokedAt: iso(t.revokedAt),
      revokeReason: t.revokeReason ?? null,
    };
  };

  return {
    seal() {
      core.node.sealed = true;
    },
    unseal() {
      core.node.sealed = false;
    },
    setNodeState(state) {
      Object.assign(core.node, state);
      return { ...core.node };
    },
    nodeState() {
      return { ...core.node };
    },
    advance(duration) {
      let seconds: number;
      try {
        seconds = parseDurationSecond(duration);
      } catch (err) {
        throw new Error(`advance(${JSON.stringify(duration)}): ${err instanceof DurationError ? err.message : String(err)}; use seconds or a Go duration like "90s", "1h"`, { cause: err });
      }
      clock.advance(seconds * 1000);
    },
    setRequireRequestHeader(required) {
      core.requireRequestHeader = required;
    },
    addFault: (spec) => faults.add(spec),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    revokeToken(ref) {
      const token = "token" in ref ? core.expiration.tokens.get(ref.token) : core.expiration.tokens.getByAccessor(ref.accessor);
      if (token === undefined || token.revoked) return false;
      core.expiration.revokeToken(token.id, "sim control");
      return true;
    },
    revokeLease(leaseId) {
      const lease = core.expiration.allLeases().find((l) => l.id === leaseId);
      if (lease === undefined || lease.state !== "active") return false;
      core.expiration.revokeLease(leaseId, "sim control");
      return true;
    },
    tokens(options = {}) {
      return core.expiration.tokens
        .all()
        .filter((t) => t.id !== core.rootToken.id && (options.includeRevoked === true || core.expiration.liveToken(t.id) !== undefined))
        .map(tokenInfo);
    },
    leases(options = {}) {
      return core.expiration
        .allLeases()
        .filter((l) => {
          // Apply lazy expiry first so a lease past its deadline is reported as ended.
          if (l.state === "active") core.expiration.lookupLease(l.id);
          return options.includeEnded === true || l.state === "active";
        })
        .map((l) => ({
          leaseId: l.id,
          kind: l.kind,
          path: l.path,
          tokenAccessor: core.expiration.tokens.get(l.tokenId)?.accessor ?? null,
          issuedAt: goTime(l.issueTime),
          expiresAt: goTime(l.expireTime),
          lastRenewalAt: iso(l.lastRenewalTime),
          renewable: l.renewable,
          state: l.state,
          endedAt: iso(l.endedAt),
          endReason: l.endReason ?? null,
        }));
    },
    events: (filter) => core.events.list(filter),
    iamUsers: () => fakeAws.iamUsers(),
    minioUsers: () => fakeMinio.list(),
    failAws(code, message, statusCode, times = 1) {
      fakeAws.failNext(new AwsApiError(code, message, statusCode), times);
    },
    settled: () => core.expiration.settled(),
  };
}
