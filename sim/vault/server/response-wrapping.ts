/**
 * Response wrapping (`X-Vault-Wrap-TTL`, `sys/wrapping/unwrap|lookup`): the real response is kept
 * behind a single-use token with the `response-wrapping` policy; the client gets only `wrap_info`.
 */
import type { Envelope, WrapInfo } from "./envelope.js";
import type { ExpirationManager } from "../core/expiration.js";

interface Wrapped {
  readonly envelope: Envelope;
  readonly creationPath: string;
  readonly creationTime: number;
  readonly ttl: number;
}

export class ResponseWrapping {
  private readonly wrapped = new Map<string, Wrapped>();

  constructor(private readonly expiration: ExpirationManager) {}

  wrap(envelope: Envelope, ttl: number, creationPath: string, now: number): WrapInfo {
    const token = this.expiration.issueToken({
      type: "service",
      policies: ["response-wrapping"],
      meta: null,
      displayName: "",
      path: "auth/token/create",
      mountPath: "auth/token/",
      ttl,
      explicitMaxTtl: 0,
      period: 0,
      backendTtl: ttl,
      backendMaxTtl: 0,
      numUses: 1,
      entityId: "",
      boundCidrs: [],
      renewable: false,
      internal: {},
    });
    this.wrapped.set(token.id, { envelope, creationPath, creationTime: now, ttl });
    const info: WrapInfo = {
      token: token.id,
      accessor: token.accessor,
      ttl,
      creation_time: new Date(now).toISOString(),
      creation_path: creationPath,
    };
    if (envelope.auth !== null) info.wrapped_accessor = envelope.auth.accessor;
    return info;
  }

  /** The wrapped response, once; undefined when the token is unknown, used or expired. */
  unwrap(tokenId: string): Envelope | undefined {
    if (this.expiration.liveToken(tokenId) === undefined) return undefined;
    const entry = this.wrapped.get(tokenId);
    if (entry === undefined) return undefined;
    this.wrapped.delete(tokenId);
    this.expiration.revokeToken(tokenId, "unwrapped");
    return entry.envelope;
  }

  lookup(tokenId: string): { creation_path: string; creation_time: string; creation_ttl: number } | undefined {
    if (this.expiration.liveToken(tokenId) === undefined) return undefined;
    const entry = this.wrapped.get(tokenId);
    if (entry === undefined) return undefined;
    return { creation_path: entry.creationPath, creation_time: new Date(entry.creationTime).toISOString(), creation_ttl: entry.ttl };
  }
}
