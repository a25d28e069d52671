/**
 * The contract between the simulator's core and its engines (auth methods, secrets engines, the
 * built-in `sys/` and `auth/token/` backends) — the sim's version of Vault's `logical.Backend`.
 * Backends return plain data; core turns it into envelopes, leases and tokens.
 */
import type { Operation } from "../policy/acl.js";
import type { SimClock } from "../time/clock.js";
import type { AuthBlock } from "../server/envelope.js";
import type { RequestData } from "./fields.js";
import type { Lease } from "./lease.js";
import type { MountTtls } from "../time/ttl.js";
import type { TokenEntry, TokenType } from "../tokens/token-store.js";

export interface BackendRequest {
  readonly operation: Operation;
  /** Path inside the mount, without a leading slash (`creds/app`, `data/team/rgw`, `login`). */
  readonly path: string;
  /** Full API path without `/v1/` (`aws/creds/app`). */
  readonly fullPath: string;
  /** The mount's path with trailing slash (`aws/`, `auth/kubernetes/`). */
  readonly mountPath: string;
  readonly data: RequestData;
  /** The caller's token; undefined on unauthenticated paths. */
  readonly token?: TokenEntry;
  readonly remoteAddress: string;
  readonly requestId: string;
  /** Lower-cased request headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** A secret with a lease (Vault's `logical.Secret`). Seconds. */
export interface SecretSpec {
  readonly ttl: number;
  readonly maxTtl: number;
  readonly renewable: boolean;
  /** Engine data kept with the lease for renew/revoke (e.g. the IAM user name). */
  readonly internal: Readonly<Record<string, unknown>>;
}

/** What a login returns (Vault's `logical.Auth`): core turns it into a token. Seconds. */
export interface AuthSpec {
  readonly policies: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Backend display name; core prefixes the mount (`kubernetes-` + `team-a-app`). */
  readonly displayName: string;
  readonly ttl: number;
  readonly maxTtl: number;
  readonly period: number;
  readonly explicitMaxTtl: number;
  readonly numUses: number;
  readonly boundCidrs: readonly string[];
  readonly tokenType: TokenType;
  readonly noDefaultPolicy: boolean;
  readonly renewable: boolean;
  readonly internal: Readonly<Record<string, unknown>>;
  /** Identity alias; core maps it to a stable entity ID. */
  readonly alias?: { readonly name: string; readonly metadata: Readonly<Record<string, string>> };
}

export interface BackendResponse {
  readonly data?: Record<string, unknown> | null;
  readonly secret?: SecretSpec;
  readonly auth?: AuthSpec;
  readonly warnings?: readonly string[];
  /** Status override for responses with a body (KV v2 soft-deleted 404, sys/health codes). */
  readonly status?: number;
  /** A raw non-envelope JSON body (sys/health, sys/seal-status). */
  readonly rawBody?: unknown;
  /** Echo an existing lease in the envelope (sys/leases/renew). */
  readonly leaseIdOverride?: string;
  readonly renewable?: boolean;
  /** `lease_duration` of a non-leased secret (KV v1's `ttl`): no lease is registered. */
  readonly leaseDuration?: number;
  /** Answer with `status` and an empty body (sys/leases/revoke's 202). */
  readonly emptyBody?: boolean;
  /** A ready `auth` block (token-store endpoints that issue or renew tokens themselves). */
  readonly authBlock?: AuthBlock;
}

/** What a backend can ask of its surroundings. */
export interface BackendContext {
  readonly clock: SimClock;
  readonly mountPath: string;
  /** The mount's current effective TTLs (tuning applies immediately). */
  mountTtls(): MountTtls;
}

export interface RenewedTtl {
  readonly ttl: number;
  readonly maxTtl: number;
  readonly period?: number;
}

export interface Backend {
  /** Plugin type as mounted (`kubernetes`, `aws`, `kv`, …). */
  readonly type: string;
  /** Value of the envelope's `mount_type`. */
  readonly mountType: string;
  /** Paths served without a token (logins). */
  isUnauthenticated?(path: string): boolean;
  /** Paths that also need the `sudo` capability. */
  needsSudo?(path: string): boolean;
  /**
   * Vault's existence check: for update operations, `true` turns the request into `create`'s opposite
   * (`update`), `false` into `create`. Undefined means the path has no check (plain update).
   */
  exists?(req: BackendRequest): Promise<boolean | undefined> | boolean | undefined;
  handle(req: BackendRequest): Promise<BackendResponse | null>;
  /** Renew a lease this backend issued; throw a VaultError to refuse. */
  renewSecret?(lease: Lease): Promise<RenewedTtl>;
  /** Revocation side effect (delete the IAM user, …). */
  revokeSecret?(lease: Lease): Promise<void>;
  /** Renew handler for tokens this auth method issued (k8s: the role must still exist). */
  renewAuth?(token: TokenEntry): Promise<RenewedTtl>;
}

export type BackendFactory = (ctx: BackendContext, options: Readonly<Record<string, string>>) => Backend;
