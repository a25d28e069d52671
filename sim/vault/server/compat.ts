/**
 * Behaviour we could not confirm in Vault's source or docs (plausible, not confirmed) or where
 * sources disagree. Each is a
 * knob with the most likely default, so a run against real Vault can settle it and the simulator can
 * follow without code changes. docs/vault-simulator.md lists them with the reasoning.
 */
export interface CompatOptions {
  /**
   * Order unconfirmed upstream: the errors for a revoked, expired or unknown token (403). Default
   * `["permission denied", "invalid token"]` (the order of PR hashicorp/vault#26687's multierror append).
   */
  invalidTokenErrors: readonly string[];
  /** Unconfirmed upstream: `mount_type` on `sys/` responses (`sdk/logical/translate_response.go`). Default `"system"` (the sys mount's type). */
  sysMountType: string;
  /**
   * Unconfirmed upstream (`vault/router.go`): body of a request to a path no mount serves. `"message"` (default):
   * `no handler for route "x/y". route entry not found.`; `"empty"`: `{"errors":[]}`.
   */
  unknownRoute: "message" | "empty";
  /** The Agent/Proxy 412 message (`command/agent.go` verifyRequestHeader; older builds single-quote it). Default the current `missing "X-Vault-Request" header`. */
  requestHeaderError: string;
  /** Names unconfirmed upstream (`http/util.go` quotas): send `Retry-After` + `X-Ratelimit-*` on 429 quota responses. Default true. */
  rateLimitHeaders: boolean;
  /**
   * `sync` when the body omits it, for `sys/leases/revoke` and `revoke-prefix`. Settled from
   * hashicorp/vault `vault/logical_system_paths.go` (the `(leases/)?revoke` and `revoke-prefix` paths'
   * `"sync"` field: `Default: true`) and `handleRevoke` (sync → `nil, nil` → 204; else `LazyRevoke` →
   * 202). Default true → 204. `vault lease revoke` sends `sync=false` unless `-sync`, hence its 202.
   */
  leaseRevokeSyncDefault: boolean;
  /**
   * `vault/expiration.go`: seconds an expired lease answers `lease expired` before it reads as `lease not found`
   * (Vault deletes the entry once its expiry revocation ran). Default 0.
   */
  expiredLeaseRetentionSeconds: number;
  /** jayxiong1/vault-plugin-secrets-minio (`ttl` is a local-time date string): time zone of the MinIO fork's `ttl` dates. Default `"UTC"`. */
  minioTimeZone: "UTC" | "local";
  /**
   * The simulated STS (no `sts_endpoint`) rejects `DurationSeconds` below this, as AWS does
   * (900). Set 0 to let tests mint very short STS credentials.
   */
  fakeStsMinDurationSeconds: number;
  /**
   * Unconfirmed for Community Edition: `X-Vault-Namespace` is ignored for routing either way; this
   * decides whether it is echoed on the response, as Vault's `http/handler.go` does. Default true.
   */
  echoNamespaceHeader: boolean;
}

export const DEFAULT_COMPAT: CompatOptions = {
  invalidTokenErrors: ["permission denied", "invalid token"],
  sysMountType: "system",
  unknownRoute: "message",
  requestHeaderError: 'missing "X-Vault-Request" header',
  rateLimitHeaders: true,
  leaseRevokeSyncDefault: true,
  expiredLeaseRetentionSeconds: 0,
  minioTimeZone: "UTC",
  fakeStsMinDurationSeconds: 900,
  echoNamespaceHeader: true,
};
