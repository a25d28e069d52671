/**
 * The agent's lifecycle as one explicit state machine: `handle(event, now)` updates the state and
 * returns the effects to run (Vault calls, timers, file publication, log lines, exit). It performs
 * no I/O and reads no clock; randomness is injected. The shell (agent-runtime.ts) runs the effects
 * and feeds their outcomes back as events, so unit tests drive every path with a fake clock.
 *
 * Phases: starting (until every credential was written once) → running → stopping → stopped.
 *
 * Vault token (token.ts; rules of Vault's api.LifetimeWatcher and Vault Agent auto-auth):
 *   none ──login-ok──▶ active ──renew-ok──▶ active (renew again at ⅔·remaining + ⅓·grace)
 *   active ──capped / not renewable / permission denied──▶ fixed end: re-login inside the grace
 *   active ──invalid token──▶ dead: re-login now; leases it created are gone (re-fetched)
 *   login-failed ──▶ backoff 1 s → 5 min (−25 % jitter), forever; a rotated SA token retries at once
 *   A new token does not touch credentials whose leases are still valid; a superseded token is kept
 *   (not revoked) until it expires, because revoking it would revoke the leases it created.
 *
 * Credential (credential.ts, one machine per name):
 *   pending ──fetch-ok──▶ served ──renew-ok──▶ served (renewable leases, LifetimeWatcher timing)
 *   served ──replacement due (rotation-policy.ts)──▶ fetch ──ok──▶ new version served; the old one is
 *     kept valid and revoked a minute after the last Expiration served for it
 *   fetch/renew failures ──▶ backoff (1 s → 5 min before the first success, then 10 s → 5 min ±50 %,
 *     capped at ¼ of the served credential's remaining validity),
 *     the last valid credential stays served until it expires; nothing is ever deleted
 *   lease not found / token dead ──▶ re-fetch now
 *
 * Both renew on one step (lifetime.ts). Stopping (shutdown.ts): timers cleared, in-flight calls
 * abandoned; leases revoked, then tokens; exit 0. Init mode: login, fetch, write, exit 0 — no
 * renewals, no revocation.
 */
import { CredentialMachine } from "./credential.js";
import { Publication } from "./publication.js";
import { Revocations } from "./revocations.js";
import { Shutdown } from "./shutdown.js";
import type { LifecycleSnapshot, LifecycleView, PublishedCredential } from "./snapshot.js";
import { TokenMachine } from "./token.js";
import type { Context, Effect, Event, LifecycleOptions, LogLevel, Phase, TimerKey } from "./types.js";

/** The context of one `handle` call: its clock reading and the effects it produced. */
class Step implements Context {
  now = 0;
  out: Effect[] = [];

  constructor(
    readonly options: LifecycleOptions,
    private readonly publication: Publication,
  ) {}

  emit(effect: Effect): void {
    this.out.push(effect);
  }

  arm(key: TimerKey, at: number): void {
    this.out.push({ type: "arm", key, at });
  }

  disarm(key: TimerKey): void {
    this.out.push({ type: "disarm", key });
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    this.out.push({ type: "log", level, msg, fields });
  }

  requestPublish(): void {
    this.publication.request(this);
  }
}

export class Lifecycle implements LifecycleView {
  private currentPhase: Phase = "starting";
  private readonly tokens: TokenMachine;
  private readonly credentials = new Map<string, CredentialMachine>();
  private readonly revocations = new Revocations();
  private readonly publication = new Publication();
  private readonly shutdown: Shutdown;
  private readonly ctx: Step;

  constructor(private readonly options: LifecycleOptions) {
    this.ctx = new Step(options, this.publication);
    this.tokens = new TokenMachine({
      ready: () => {
        for (const c of this.credentials.values()) c.resumeIfWaiting(this.ctx);
      },
      fixed: (token) => {
        for (const c of this.credentials.values()) c.onTokenFixed(this.ctx, token.gen);
        this.ctx.requestPublish();
      },
      died: (token, why) => {
        for (const c of this.credentials.values()) c.onTokenDied(this.ctx, token, why);
      },
    });
    for (const spec of options.credentials) this.credentials.set(spec.name, new CredentialMachine(spec, this.tokens, this.revocations));
    this.shutdown = new Shutdown(
      {
        ready: () => this.ready,
        credentials: () => this.credentials.values(),
        onRevokeDone: (ctx, event) => this.onRevokeDone(ctx, event),
        abandonPublication: () => this.publication.abandon(),
        stopped: () => {
          this.currentPhase = "stopped";
        },
      },
      this.tokens,
      this.revocations,
    );
  }

  // ---------------------------------------------------------------- read-only views

  get phase(): Phase {
    return this.currentPhase;
  }

  /** Every credential has been written to disk at least once. */
  get ready(): boolean {
    for (const c of this.credentials.values()) if (!c.written) return false;
    return true;
  }

  get credentialNames(): readonly string[] {
    return [...this.credentials.keys()];
  }

  snapshot(now: number): LifecycleSnapshot {
    const token = this.tokens.status(this.ctx, now);
    return {
      phase: this.currentPhase,
      ready: this.ready,
      vault: {
        authenticated: token.usable,
        token: token.fingerprint,
        tokenExpiresAt: token.expiresAt,
        loginInFlight: token.loginInFlight,
        lastLoginAt: token.lastLoginAt,
        lastError: token.lastError,
        stats: token.stats,
      },
      files: this.publication.status(),
      credentials: new Map([...this.credentials].map(([name, c]) => [name, c.view(this.ctx)])),
    };
  }

  published(): PublishedCredential[] {
    const out: PublishedCredential[] = [];
    for (const c of this.credentials.values()) {
      const p = c.published(this.ctx.now);
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  // ---------------------------------------------------------------- transitions

  handle(event: Event, now: number): Effect[] {
    this.ctx.out = [];
    this.ctx.now = now;
    if (this.currentPhase === "stopped") return [];
    if (this.currentPhase === "stopping") this.shutdown.on(this.ctx, event);
    else this.onEvent(this.ctx, event);
    return this.ctx.out;
  }

  private onEvent(ctx: Context, event: Event): void {
    switch (event.type) {
      case "start":
        ctx.log("info", "agent starting", { credentials: [...this.credentials.keys()], mode: this.options.mode });
        for (const c of this.credentials.values()) c.waitForToken();
        this.tokens.startLogin(ctx);
        return ctx.requestPublish();
      case "timer":
        return this.onTimer(ctx, event.key);
      case "login-ok":
        return this.tokens.onLoginOk(ctx, event.gen, event.sentAt, event.auth);
      case "login-failed":
        return this.tokens.onLoginFailed(ctx, event.error);
      case "renew-token-ok":
        return this.tokens.onRenewOk(ctx, event.gen, event.sentAt, event.auth);
      case "renew-token-failed":
        return this.tokens.onRenewFailed(ctx, event.gen, event.error);
      case "fetch-ok":
        return this.credential(event.name).onFetchOk(ctx, event.tokenGen, event.sentAt, event.secret);
      case "fetch-failed":
        return this.credential(event.name).onFetchFailed(ctx, event.tokenGen, event.error);
      case "renew-lease-ok":
        return this.credential(event.name).onRenewOk(ctx, event.seq, event.sentAt, event.lease);
      case "renew-lease-failed":
        return this.credential(event.name).onRenewFailed(ctx, event.seq, event.tokenGen, event.error);
      case "revoke-done":
        return this.onRevokeDone(ctx, event);
      case "published":
        return this.onPublished(ctx, event.ok, event.seqs, event.error);
      case "jwt-changed":
        return this.tokens.onJwtChanged(ctx);
      case "status-changed":
        return ctx.requestPublish();
      case "stop":
        this.currentPhase = "stopping";
        return this.shutdown.begin(ctx, event.reason);
    }
  }

  private onTimer(ctx: Context, key: TimerKey): void {
    switch (key.kind) {
      case "auth":
        return this.tokens.onTimer(ctx);
      case "publish":
        return ctx.requestPublish();
      case "credential":
        return this.credential(key.name).onTimer(ctx);
      case "revoke":
        return this.credential(key.name).onRevokeTimer(ctx, key.seq);
    }
  }

  private onRevokeDone(ctx: Context, event: Event & { type: "revoke-done" }): void {
    this.revocations.done(ctx, event.target, event.error);
    if (event.target.kind === "lease") this.credential(event.target.name).onLeaseRevoked(ctx, event.target.seq, event.error);
  }

  private onPublished(ctx: Context, ok: boolean, seqs: ReadonlyMap<string, number>, error: string | undefined): void {
    const wasReady = this.ready;
    const again = this.publication.onPublished(ctx, ok, error);
    if (ok) for (const [name, seq] of seqs) this.credential(name).markWritten(seq);
    if (!wasReady && this.ready) {
      this.currentPhase = "running";
      ctx.log("info", "all credentials written; ready", {});
      if (this.options.mode === "init") {
        this.currentPhase = "stopped";
        ctx.log("info", "init mode: credentials written, exiting", {});
        ctx.emit({ type: "exit", code: 0 });
        return;
      }
    }
    if (again) ctx.requestPublish();
  }

  private credential(name: string): CredentialMachine {
    const c = this.credentials.get(name);
    if (c === undefined) throw new Error(`unknown credential ${name}`);
    return c;
  }
}
