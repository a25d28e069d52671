/**
 * The token registry: token entries by ID and accessor, with parent/child links. Lifecycle (TTL,
 * renewal, revocation cascades) lives in the expiration manager; this module only stores.
 */

export type TokenType = "service" | "batch";

export interface TokenEntry {
  readonly id: string;
  readonly accessor: string;
  readonly type: TokenType;
  /** Sanitized: deduplicated, sorted, `default` added unless refused. */
  readonly policies: readonly string[];
  readonly meta: Readonly<Record<string, string>> | null;
  /** As shown by lookup-self, e.g. `kubernetes-team-a-app`, `token`, `root`. */
  readonly displayName: string;
  /** Creation path, e.g. `auth/kubernetes/login`, `auth/token/create`, `auth/token/root`. */
  readonly path: string;
  /** Mount that issued it (`auth/kubernetes/`, `auth/token/`): its TTLs and renew handler apply. */
  readonly mountPath: string;
  readonly parentId?: string;
  readonly orphan: boolean;
  /** Epoch ms. */
  readonly creationTime: number;
  /** Seconds. */
  readonly creationTtl: number;
  readonly explicitMaxTtl: number;
  readonly period: number;
  /** The backend's TTL / max TTL at issue (role `token_ttl`/`token_max_ttl`), for renewals. */
  readonly backendTtl: number;
  readonly backendMaxTtl: number;
  readonly numUses: number;
  usesLeft: number;
  readonly entityId: string;
  readonly boundCidrs: readonly string[];
  readonly renewable: boolean;
  /** Backend data kept with the token (Vault's `Auth.InternalData`), e.g. the k8s role name. */
  readonly internal: Readonly<Record<string, unknown>>;
  /** The token's own lease (service tokens with a TTL); undefined for root-like tokens and batch tokens. */
  leaseId?: string;
  /** Batch tokens: fixed expiry, epoch ms (they have no lease). */
  readonly batchExpireTime?: number;
  /** Token-store role name, if created through `auth/token/create/<role>`. */
  readonly role?: string;
  revoked: boolean;
  revokedAt?: number;
  revokeReason?: string;
}

export class TokenRegistry {
  private readonly byId = new Map<string, TokenEntry>();
  private readonly byAccessor = new Map<string, TokenEntry>();
  private readonly childIds = new Map<string, Set<string>>();

  add(entry: TokenEntry): void {
    this.byId.set(entry.id, entry);
    if (entry.accessor !== "") this.byAccessor.set(entry.accessor, entry);
    if (entry.parentId !== undefined) {
      const set = this.childIds.get(entry.parentId) ?? new Set<string>();
      set.add(entry.id);
      this.childIds.set(entry.parentId, set);
    }
  }

  get(id: string): TokenEntry | undefined {
    return this.byId.get(id);
  }

  getByAccessor(accessor: string): TokenEntry | undefined {
    return this.byAccessor.get(accessor);
  }

  /** Non-orphan children of `id` that are still live. */
  children(id: string): TokenEntry[] {
    return [...(this.childIds.get(id) ?? [])].map((c) => this.byId.get(c)!).filter((t) => !t.revoked);
  }

  all(): TokenEntry[] {
    return [...this.byId.values()];
  }
}
