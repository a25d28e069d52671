/** A lease: a secret's or a token's lifetime, as Vault's expiration manager tracks it. */

export type LeaseState = "active" | "revoked" | "expired";

export interface Lease {
  /** `<request path>/<24 base62>`, e.g. `aws/creds/app/AbC…`. */
  readonly id: string;
  readonly kind: "secret" | "auth";
  /** Request path that created it (`aws/creds/app`, `auth/kubernetes/login`). */
  readonly path: string;
  readonly mountPath: string;
  /** The token that created it (for auth leases: the token itself). */
  readonly tokenId: string;
  /** Epoch ms. */
  readonly issueTime: number;
  expireTime: number;
  lastRenewalTime?: number;
  readonly renewable: boolean;
  /** The backend's TTL / max TTL at issue, seconds (used when a renewal gives no increment). */
  readonly backendTtl: number;
  readonly backendMaxTtl: number;
  readonly internal: Readonly<Record<string, unknown>>;
  state: LeaseState;
  endedAt?: number;
  endReason?: string;
}
