/**
 * The Vault token: login, renewal on the shared lifetime step (lifetime.ts), re-login inside the grace
 * once its end is fixed, login backoff. It tells the coordinator when a token becomes usable, when an
 * end becomes fixed and when a token dies, because credential leases live and die with their token.
 * The token's secret stays in here and in the effects that need it.
 */
import { AUTH_BACKOFF, backoffDelay } from "../backoff.js";
import { afterRenewal, afterRenewalError, calculateGrace, renewSleep, renewalExhausted, type Lifetime } from "./lifetime.js";
import { loginHint } from "./hints.js";
import { iso, type AuthResult, type Context, type ErrorInfo, type Failure, type TokenRef } from "./types.js";

/** A token as the credential machines see it: no secret beyond what an effect needs. */
export interface TokenView extends TokenRef {
  readonly expiresAt: number;
  /** The expiry can no longer move: capped, not renewable, superseded or dead. */
  readonly fixedEnd: boolean;
  readonly dead: boolean;
}

interface Token extends TokenView {
  readonly accessor: string;
  expiresAt: number;
  renewable: boolean;
  fixedEnd: boolean;
  dead: boolean;
  lifetime: Lifetime;
  warnedCap: boolean;
}

/** What the coordinator does about the credentials when a token changes. */
export interface TokenHooks {
  /** A new token is usable: resume what waited for one. */
  ready(): void;
  /** A token's end will not move any more: re-plan what it bounds. */
  fixed(token: TokenView): void;
  /** A token died: the leases it created died with it. */
  died(token: TokenView, why: "revoked" | "expired"): void;
}

export interface TokenStatus {
  readonly fingerprint: string | undefined;
  readonly expiresAt: number | undefined;
  readonly usable: boolean;
  readonly loginInFlight: boolean;
  readonly lastLoginAt: number | undefined;
  readonly lastError: ErrorInfo | undefined;
  readonly stats: { readonly logins: number; readonly loginFailures: number; readonly renewals: number; readonly renewFailures: number };
}

export class TokenMachine {
  private current: Token | undefined;
  private retired: Token[] = [];
  /** A login and a renewal may be in flight at the same time (a token died while renewing). */
  private loginInFlight = false;
  private next: { op: "login" | "renew"; at: number } | undefined;
  private loginFailures = 0;
  private renewFailures = 0;
  private lastError: ErrorInfo | undefined;
  private lastLoginAt: number | undefined;
  private nextGen = 1;
  private readonly stats = { logins: 0, loginFailures: 0, renewals: 0, renewFailures: 0 };

  constructor(private readonly hooks: TokenHooks) {}

  /** Logins are failing: callers wait for the backoff rather than ask for another login. */
  get loginFailing(): boolean {
    return this.loginFailures > 0;
  }

  usable(ctx: Context): TokenView | undefined {
    const t = this.current;
    return t !== undefined && !t.dead && t.expiresAt > ctx.now ? t : undefined;
  }

  byGen(gen: number | undefined): TokenView | undefined {
    if (gen === undefined) return undefined;
    if (this.current?.gen === gen) return this.current;
    return this.retired.find((t) => t.gen === gen);
  }

  /** Tokens still worth revoking at shutdown, with the fingerprint of their accessor. */
  revocable(ctx: Context): { token: TokenView; fingerprint: string }[] {
    return [...this.retired, ...(this.current === undefined ? [] : [this.current])]
      .filter((t) => !t.dead && t.expiresAt > ctx.now)
      .map((t) => ({ token: t, fingerprint: ctx.options.fingerprint(t.accessor) }));
  }

  status(ctx: Context, now: number): TokenStatus {
    const t = this.current;
    return {
      fingerprint: t === undefined ? undefined : ctx.options.fingerprint(t.accessor),
      expiresAt: t?.expiresAt,
      usable: t !== undefined && !t.dead && t.expiresAt > now,
      loginInFlight: this.loginInFlight,
      lastLoginAt: this.lastLoginAt,
      lastError: this.lastError,
      stats: { ...this.stats },
    };
  }

  startLogin(ctx: Context): void {
    if (this.loginInFlight) return;
    ctx.disarm({ kind: "auth" });
    this.next = undefined;
    this.loginInFlight = true;
    ctx.emit({ type: "login", gen: this.nextGen++ });
  }

  onTimer(ctx: Context): void {
    const next = this.next;
    this.next = undefined;
    const token = this.usable(ctx);
    if (next?.op === "renew" && token !== undefined) ctx.emit({ type: "renew-token", token });
    else this.startLogin(ctx);
  }

  onJwtChanged(ctx: Context): void {
    ctx.log("info", "service-account token file changed; the next login uses it", {});
    if (!this.loginInFlight && this.next?.op === "login" && this.loginFailures > 0) this.startLogin(ctx);
  }

  onLoginOk(ctx: Context, gen: number, sentAt: number, auth: AuthResult): void {
    this.loginInFlight = false;
    const leaseMs = auth.leaseDurationS * 1000;
    const renewable = auth.renewable && leaseMs > 0;
    const token: Token = {
      gen,
      secret: auth.clientToken,
      accessor: auth.accessor,
      expiresAt: leaseMs > 0 ? sentAt + leaseMs : Infinity,
      incrementMs: leaseMs,
      renewable,
      fixedEnd: !renewable,
      dead: false,
      lifetime: { incrementMs: leaseMs, priorMs: leaseMs, graceMs: calculateGrace(leaseMs, leaseMs, ctx.options.random()) },
      warnedCap: false,
    };
    const previous = this.current;
    if (previous !== undefined) this.retire(ctx, previous);
    this.current = token;
    this.loginFailures = 0;
    this.renewFailures = 0;
    this.lastError = undefined;
    this.lastLoginAt = sentAt;
    this.stats.logins++;
    ctx.log("info", "logged in to Vault", {
      token_fp: ctx.options.fingerprint(token.accessor),
      ttl_s: auth.leaseDurationS,
      renewable: token.renewable,
      policies: auth.policies,
      ...(auth.warnings.length > 0 ? { warnings: auth.warnings } : {}),
    });
    if (ctx.options.mode !== "init") {
      if (!token.renewable || renewalExhausted(leaseMs, token.lifetime.graceMs)) {
        token.fixedEnd = true;
        this.scheduleRelogin(ctx, token);
      } else {
        this.schedule(ctx, "renew", sentAt + renewSleep(leaseMs, token.lifetime.graceMs));
      }
    }
    this.hooks.ready();
  }

  onLoginFailed(ctx: Context, error: Failure): void {
    this.loginInFlight = false;
    this.loginFailures++;
    this.stats.loginFailures++;
    this.lastError = { at: ctx.now, kind: error.kind, message: error.message };
    const current = this.current;
    if (current !== undefined && current.expiresAt <= ctx.now) this.die(ctx, current, "expired");
    const delay = Math.max(backoffDelay(AUTH_BACKOFF, this.loginFailures, ctx.options.random()), error.retryAfterMs ?? 0);
    ctx.log(this.loginFailures >= 3 ? "error" : "warn", "Vault login failed", {
      error: error.message,
      kind: error.kind,
      attempt: this.loginFailures,
      retry_in_ms: delay,
      hint: loginHint(error),
    });
    this.schedule(ctx, "login", ctx.now + delay);
    ctx.requestPublish();
  }

  onRenewOk(ctx: Context, gen: number, sentAt: number, auth: AuthResult): void {
    const token = this.current;
    if (token === undefined || token.gen !== gen) return;
    const step = afterRenewal(token.lifetime, { remainingMs: auth.leaseDurationS * 1000, renewable: auth.renewable, warnings: auth.warnings }, sentAt, ctx.options.random);
    token.expiresAt = step.endsAt;
    token.renewable = auth.renewable;
    token.lifetime = step.lifetime;
    this.renewFailures = 0;
    this.stats.renewals++;
    const fp = ctx.options.fingerprint(token.accessor);
    ctx.log("debug", "renewed Vault token", { token_fp: fp, ttl_s: auth.leaseDurationS });
    if (auth.warnings.length > 0 && !token.warnedCap) {
      token.warnedCap = true;
      ctx.log("warn", "Vault capped the token's TTL; logging in again before it ends", { token_fp: fp, warnings: auth.warnings, expires_at: iso(token.expiresAt) });
    }
    if (step.next.kind === "final") this.fixEnd(ctx, token);
    else this.schedule(ctx, "renew", step.next.at);
    ctx.requestPublish();
  }

  onRenewFailed(ctx: Context, gen: number, error: Failure): void {
    const token = this.current;
    if (token === undefined || token.gen !== gen) return;
    this.lastError = { at: ctx.now, kind: error.kind, message: error.message };
    this.stats.renewFailures++;
    const fp = ctx.options.fingerprint(token.accessor);
    switch (error.kind) {
      case "invalid-token":
        ctx.log("warn", "Vault token is no longer valid (revoked or expired); logging in again", { token_fp: fp, error: error.message });
        this.die(ctx, token, "revoked");
        return;
      case "permission-denied":
      case "lease-not-renewable":
      case "max-ttl":
        // LifetimeWatcher: "permission denied" turns the token non-renewable; wait out the lease.
        ctx.log("warn", "Vault token cannot be renewed; logging in again inside its grace period", { token_fp: fp, error: error.message, expires_at: iso(token.expiresAt) });
        token.renewable = false;
        this.fixEnd(ctx, token);
        return;
      default: {
        this.renewFailures++;
        // Bounded by the token's remaining life: it bounds every lease minted under it.
        const retry = afterRenewalError(this.renewFailures, token.expiresAt, token.lifetime.graceMs, ctx.now, error.retryAfterMs, ctx.options.random);
        ctx.log("warn", "Vault token renewal failed; retrying", { error: error.message, kind: error.kind, retry_in_ms: retry.delayMs });
        if (retry.next.kind === "final") this.scheduleRelogin(ctx, token);
        else this.schedule(ctx, "renew", retry.next.at);
      }
    }
    ctx.requestPublish();
  }

  /** A call made with token `gen` found it invalid (revoked outside, or expired early). */
  reportInvalid(ctx: Context, gen: number): void {
    const token = gen === this.current?.gen ? this.current : this.retired.find((t) => t.gen === gen);
    if (token !== undefined && !token.dead) this.die(ctx, token, "revoked");
  }

  private schedule(ctx: Context, op: "login" | "renew", at: number): void {
    this.next = { op, at };
    ctx.arm({ kind: "auth" }, at);
  }

  /** Re-login inside the grace (or now, when already inside it). */
  private scheduleRelogin(ctx: Context, token: Token): void {
    if (ctx.options.mode === "init") return;
    if (!Number.isFinite(token.expiresAt)) return;
    this.schedule(ctx, "login", Math.max(ctx.now, token.expiresAt - token.lifetime.graceMs));
  }

  /** The token's expiry will not move any more: plan the re-login and re-plan what it bounds. */
  private fixEnd(ctx: Context, token: Token): void {
    token.fixedEnd = true;
    this.scheduleRelogin(ctx, token);
    this.hooks.fixed(token);
  }

  /** A superseded token is kept (not revoked) until it expires: revoking it would revoke its leases. */
  private retire(ctx: Context, token: Token): void {
    token.fixedEnd = true;
    this.retired = this.retired.filter((t) => !t.dead && t.expiresAt > ctx.now);
    this.retired.push(token);
    this.hooks.fixed(token);
  }

  private die(ctx: Context, token: Token, why: "revoked" | "expired"): void {
    token.dead = true;
    token.fixedEnd = true;
    token.expiresAt = Math.min(token.expiresAt, ctx.now);
    const wasCurrent = this.current === token;
    if (wasCurrent) {
      this.current = undefined;
      this.retired.push(token);
    }
    this.hooks.died(token, why);
    if (wasCurrent) this.startLogin(ctx);
  }
}
