/**
 * Stopping: timers cleared and in-flight calls abandoned; every lease revoked, then every token, then
 * exit 0. Whatever is unfinished after the shutdown grace is left to expire (the shell enforces the
 * grace).
 */
import type { CredentialMachine } from "./credential.js";
import type { Revocations } from "./revocations.js";
import type { TokenMachine } from "./token.js";
import type { Context, Event } from "./types.js";

export interface ShutdownHost {
  ready(): boolean;
  credentials(): Iterable<CredentialMachine>;
  onRevokeDone(ctx: Context, event: Event & { type: "revoke-done" }): void;
  abandonPublication(): void;
  stopped(): void;
}

export class Shutdown {
  private stage: "none" | "leases" | "tokens" = "none";

  constructor(
    private readonly host: ShutdownHost,
    private readonly tokens: TokenMachine,
    private readonly revocations: Revocations,
  ) {}

  begin(ctx: Context, reason: string): void {
    ctx.emit({ type: "disarm-all" });
    ctx.emit({ type: "abandon-calls" });
    const token = this.tokens.usable(ctx);
    const revoke = ctx.options.revokeOnExit && ctx.options.mode === "sidecar" && token !== undefined;
    ctx.log("info", "stopping", { reason, revoke });
    if (!revoke) return this.finish(ctx);
    this.stage = "leases";
    for (const c of this.host.credentials()) c.revokeAll(ctx, token);
    this.advance(ctx);
  }

  /** Events while stopping: revocation outcomes advance it; a lease minted meanwhile is revoked too. */
  on(ctx: Context, event: Event): void {
    switch (event.type) {
      case "revoke-done":
        this.host.onRevokeDone(ctx, event);
        return this.advance(ctx);
      case "fetch-ok": {
        const token = this.tokens.usable(ctx);
        if (this.stage === "leases" && event.secret.leaseId !== "" && token !== undefined) {
          this.revocations.lease(ctx, { kind: "lease", name: event.name, seq: "late" }, event.secret.leaseId, token);
        }
        return;
      }
      case "published":
        return this.host.abandonPublication();
      default:
        return;
    }
  }

  /** Leases first (their revocations may still be in flight), then tokens, then exit. */
  private advance(ctx: Context): void {
    if (this.revocations.size > 0) return;
    if (this.stage === "leases") {
      this.stage = "tokens";
      for (const { token, fingerprint } of this.tokens.revocable(ctx)) this.revocations.token(ctx, fingerprint, token);
      this.advance(ctx);
    } else if (this.stage === "tokens") this.finish(ctx);
  }

  private finish(ctx: Context): void {
    this.host.stopped();
    const interrupted = ctx.options.mode === "init" && !this.host.ready();
    ctx.log(interrupted ? "warn" : "info", interrupted ? "stopped before credentials were written" : "stopped", {});
    ctx.emit({ type: "exit", code: interrupted ? 1 : 0 });
  }
}
