/**
 * Revocations in flight (superseded leases while running; every lease, then every token, at
 * shutdown). Shutdown waits until none is pending.
 */
import type { Context, Failure, RevokeTarget, TokenRef } from "./types.js";

function targetId(target: RevokeTarget): string {
  return target.kind === "token" ? `token\u0000${target.fingerprint}` : `lease\u0000${target.name}\u0000${target.seq}`;
}

export class Revocations {
  private readonly pending = new Set<string>();

  get size(): number {
    return this.pending.size;
  }

  has(target: RevokeTarget): boolean {
    return this.pending.has(targetId(target));
  }

  lease(ctx: Context, target: RevokeTarget & { kind: "lease" }, leaseId: string, token: TokenRef): void {
    this.pending.add(targetId(target));
    ctx.emit({ type: "revoke-lease", target, leaseId, token });
  }

  token(ctx: Context, fingerprint: string, token: TokenRef): void {
    const target: RevokeTarget = { kind: "token", fingerprint };
    this.pending.add(targetId(target));
    ctx.emit({ type: "revoke-token", target, token });
  }

  /** Marks a revocation done; logs the token outcomes (lease outcomes are logged by their credential). */
  done(ctx: Context, target: RevokeTarget, error: Failure | undefined): void {
    this.pending.delete(targetId(target));
    if (target.kind !== "token") return;
    if (error === undefined) ctx.log("info", "revoked Vault token", { token_fp: target.fingerprint });
    else ctx.log("warn", "revoking Vault token failed; it expires on its own", { token_fp: target.fingerprint, error: error.message });
  }
}
