/**
 * One credential's machine: fetch, renew its lease on the shared lifetime step (lifetime.ts), replace
 * it before it ends (rotation-policy.ts), keep serving the last valid version through failures, and
 * revoke superseded leases once no consumer can still hold them. Leases die with the token that
 * created them, so the machine reads the token machine and reports tokens it finds invalid.
 */
import { AUTH_BACKOFF, RENEW_BACKOFF, backoffDelay, refreshRetryDelay } from "../backoff.js";
import type { CredentialSpec } from "../config.js";
import type { S3Credential } from "../credential-format.js";
import { revocationTime, servedExpiration } from "../rotation-policy.js";
import { fetchHint, isTransient } from "./hints.js";
import { afterRenewal, afterRenewalError, calculateGrace, renewSleep } from "./lifetime.js";
import type { Revocations } from "./revocations.js";
import type { CredentialSnapshot, PublishedCredential } from "./snapshot.js";
import type { TokenMachine, TokenView } from "./token.js";
import { iso, type Context, type ErrorInfo, type FetchedSecret, type Failure, type LeaseResult, type TimerKey } from "./types.js";
import { MIN_INTERVAL_MS, planVersion, tooShortForMinting, type Version } from "./version.js";

/** A credential that expires sooner than this after issue is treated as a failed fetch. */
const MIN_CREDENTIAL_LIFE_MS = 2_000;

/**
 * A lease that died (with its token, or revoked outside) ends there: the credential no longer works,
 * so it must not be served on — least of all with an `Expiration` in the past, which the dead token's
 * forgotten bound would otherwise leave behind.
 */
function loseLease(v: Version, at: number): void {
  v.leaseLost = true;
  v.leaseEnd = Math.min(v.leaseEnd, at);
}

function sameCredential(a: S3Credential, b: S3Credential): boolean {
  return a.accessKeyId === b.accessKeyId && a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken;
}

export class CredentialMachine {
  private current: Version | undefined;
  private superseded: Version[] = [];
  private op: "idle" | "fetch" | "renew" = "idle";
  private next: { op: "fetch" | "renew"; at: number } | undefined;
  private waitingForToken = false;
  private failures = 0;
  private lastError: ErrorInfo | undefined;
  private writtenSeq: number | undefined;
  private lastSeq = 0;
  private readonly warned = new Set<string>();
  private readonly stats = { fetches: 0, rotations: 0, renewals: 0, failures: 0 };
  private readonly timer: TimerKey;

  constructor(
    readonly spec: CredentialSpec,
    private readonly tokens: TokenMachine,
    private readonly revocations: Revocations,
  ) {
    this.timer = { kind: "credential", name: spec.name };
  }

  get written(): boolean {
    return this.writtenSeq !== undefined;
  }

  markWritten(seq: number): void {
    this.writtenSeq = seq;
  }

  waitForToken(): void {
    this.waitingForToken = true;
  }

  /** After a new token: run whatever the credential was waiting for. */
  resumeIfWaiting(ctx: Context): void {
    if (!this.waitingForToken) return;
    this.waitingForToken = false;
    const pending = this.next;
    if (pending !== undefined && pending.at > ctx.now) return this.schedule(ctx);
    this.start(ctx, pending?.op ?? (this.current === undefined || this.current.leaseLost ? "fetch" : "renew"));
  }

  onTimer(ctx: Context): void {
    const next = this.next;
    this.next = undefined;
    if (next !== undefined) this.start(ctx, next.op);
  }

  onRevokeTimer(ctx: Context, seq: number): void {
    const v = this.superseded.find((s) => s.seq === seq);
    const token = this.tokens.usable(ctx);
    if (v !== undefined && token !== undefined && !v.leaseLost) this.revocations.lease(ctx, { kind: "lease", name: this.spec.name, seq }, v.leaseId, token);
  }

  /** End of a version's validity: its lease end, or its token's end once that cannot move. */
  private validUntil(v: Version): number {
    return Math.min(v.leaseEnd, this.tokenBound(v));
  }

  /** A version's validity ends no later than the token that created its lease, once that is fixed. */
  private tokenBound(v: Version): number {
    if (v.leaseId === "" || v.tokenGen === undefined) return Infinity;
    const t = this.tokens.byGen(v.tokenGen);
    return t !== undefined && t.fixedEnd ? t.expiresAt : Infinity;
  }

  /**
   * The `Expiration` served for the current version. A replacement that is overdue (waiting for a
   * login, say) is attempted from now on, so the served value never lies in the past while the
   * credential is still valid.
   */
  private expiration(now: number): number | undefined {
    const v = this.current;
    return v === undefined ? undefined : servedExpiration(this.validUntil(v), Math.max(v.replaceAt, now));
  }

  private start(ctx: Context, op: "fetch" | "renew"): void {
    if (this.op !== "idle") return;
    const token = this.tokens.usable(ctx);
    const tooShort = op === "fetch" && token !== undefined && tooShortForMinting(this.spec, this.current, token, ctx.now);
    if (token === undefined || tooShort) {
      this.waitingForToken = true;
      this.next = { op, at: ctx.now };
      if (tooShort && !this.warned.has("token-life")) {
        this.warned.add("token-life");
        ctx.log("info", "logging in again before minting: the current Vault token ends before the new lease would", { credential: this.spec.name, token_expires_at: iso(token.expiresAt) });
      }
      if (!this.tokens.loginFailing) this.tokens.startLogin(ctx);
      return;
    }
    this.next = undefined;
    const v = this.current;
    if (op === "renew" && v !== undefined && v.renewable) {
      this.op = "renew";
      ctx.emit({ type: "renew-lease", name: this.spec.name, seq: v.seq, leaseId: v.leaseId, incrementS: Math.round(v.leaseMs / 1000), token });
      return;
    }
    this.op = "fetch";
    ctx.emit({ type: "fetch", name: this.spec.name, token });
  }

  /** Arms the credential's next renewal or replacement. */
  private schedule(ctx: Context): void {
    if (ctx.options.mode === "init" && this.current !== undefined) return;
    const v = this.current;
    let next: { op: "fetch" | "renew"; at: number } | undefined;
    if (v === undefined || v.leaseLost) next = { op: "fetch", at: ctx.now };
    else if (v.renewable && v.renewAt < v.replaceAt) next = { op: "renew", at: v.renewAt };
    else if (Number.isFinite(v.replaceAt)) next = { op: "fetch", at: v.replaceAt };
    this.next = next;
    if (next === undefined) ctx.disarm(this.timer);
    else ctx.arm(this.timer, next.at);
  }

  private plan(ctx: Context, v: Version, fresh: boolean): void {
    planVersion(ctx, this.spec, v, this.tokenBound(v), fresh, this.warned);
  }

  onFetchOk(ctx: Context, tokenGen: number, sentAt: number, secret: FetchedSecret): void {
    this.op = "idle";
    const leased = secret.leaseId !== "";
    const leaseEnd = Math.min(leased && secret.leaseDurationS > 0 ? sentAt + secret.leaseDurationS * 1000 : Infinity, secret.issued.payloadExpiresAt ?? Infinity);
    if (leaseEnd - ctx.now < MIN_CREDENTIAL_LIFE_MS) {
      return this.onFetchFailed(ctx, tokenGen, { kind: "format", message: `${this.spec.path} returned a credential that expires in ${Math.round((leaseEnd - ctx.now) / 1000)}s; check the role's TTL` });
    }
    this.stats.fetches++;
    this.failures = 0;
    this.lastError = undefined;
    const old = this.current;
    if (old !== undefined && !leased && !old.leaseLost && old.leaseId === "" && sameCredential(old.credential, secret.issued.credential)) {
      // Lease-less secret re-read without change: same version, new re-read time.
      old.issuedAt = sentAt;
      old.leaseEnd = leaseEnd;
      this.plan(ctx, old, true);
      ctx.log("debug", "re-read credential; unchanged", { credential: this.spec.name, version: old.seq });
      this.schedule(ctx);
      ctx.requestPublish();
      return;
    }
    const leaseMs = Number.isFinite(leaseEnd) ? leaseEnd - sentAt : 0;
    const graceMs = calculateGrace(leaseMs, leaseMs, ctx.options.random());
    const renewable = leased && secret.renewable && ctx.options.mode !== "init";
    const v: Version = {
      seq: ++this.lastSeq,
      credential: secret.issued.credential,
      leaseId: secret.leaseId,
      tokenGen: leased ? tokenGen : undefined,
      issuedAt: sentAt,
      leaseEnd,
      leaseMs,
      renewable,
      lifetime: { incrementMs: leaseMs, priorMs: leaseMs, graceMs },
      renewAt: renewable ? sentAt + renewSleep(leaseMs, graceMs) : Infinity,
      replaceAt: Infinity,
      leaseLost: false,
    };
    this.plan(ctx, v, true);
    if (old !== undefined) this.supersede(ctx, old);
    this.current = v;
    const token = this.tokens.byGen(tokenGen);
    // The token died while this request was in flight: its new lease died with it.
    if (leased && token?.dead === true) loseLease(v, token.expiresAt);
    if (leased && token !== undefined && Number.isFinite(token.expiresAt) && token.expiresAt < leaseEnd && token.fixedEnd && !this.warned.has("token-shorter")) {
      this.warned.add("token-shorter");
      ctx.log("warn", "the Vault token ends before this credential's lease; the lease will be re-minted with the next token (raise the Kubernetes auth role's token_max_ttl)", { credential: this.spec.name });
    }
    ctx.log("info", old === undefined ? "fetched credential" : "rotated credential", {
      credential: this.spec.name,
      version: v.seq,
      ...(leased ? { lease_fp: ctx.options.fingerprint(v.leaseId) } : {}),
      ttl_s: Number.isFinite(leaseEnd) ? Math.round(leaseMs / 1000) : null,
      renewable,
      expiration: iso(this.expiration(ctx.now) ?? Infinity),
      next_refresh_at: iso(Math.min(v.renewAt, v.replaceAt)),
      ...(secret.warnings.length > 0 ? { warnings: secret.warnings } : {}),
    });
    if (old !== undefined) this.stats.rotations++;
    this.schedule(ctx);
    ctx.requestPublish();
  }

  /** Keeps the old version valid for consumers that cached it, and plans its revocation. */
  private supersede(ctx: Context, old: Version): void {
    old.servedUntil = servedExpiration(this.validUntil(old), old.replaceAt);
    if (old.leaseId === "" || old.leaseLost || ctx.options.mode === "init") return;
    const at = revocationTime(old.servedUntil, this.validUntil(old));
    if (at === undefined) return;
    this.superseded = this.superseded.filter((s) => this.validUntil(s) > ctx.now);
    this.superseded.push(old);
    ctx.arm({ kind: "revoke", name: this.spec.name, seq: old.seq }, at);
  }

  onFetchFailed(ctx: Context, tokenGen: number, error: Failure): void {
    this.op = "idle";
    this.failures++;
    this.stats.failures++;
    this.lastError = { at: ctx.now, kind: error.kind, message: error.message };
    if (error.kind === "invalid-token") {
      this.tokens.reportInvalid(ctx, tokenGen);
      this.start(ctx, "fetch");
      ctx.requestPublish();
      return;
    }
    const v = this.current;
    const policy = v === undefined ? AUTH_BACKOFF : RENEW_BACKOFF;
    const r = ctx.options.random();
    const left = v === undefined ? 0 : this.validUntil(v) - ctx.now;
    const delay = left > 0 ? refreshRetryDelay(backoffDelay(policy, this.failures, r), left, r) : backoffDelay(policy, this.failures, r);
    let at = ctx.now + Math.max(delay, error.retryAfterMs ?? 0);
    if (v !== undefined) {
      const until = this.validUntil(v);
      // Try once more before the served credential expires, however long the backoff.
      if (until > ctx.now) at = Math.min(at, Math.max(ctx.now + MIN_INTERVAL_MS, until - MIN_INTERVAL_MS));
      v.replaceAt = Math.max(v.replaceAt, at);
    }
    ctx.log(this.failures >= 3 || !isTransient(error.kind) ? "error" : "warn", v === undefined ? "fetching credential failed" : "refreshing credential failed; still serving the previous one", {
      credential: this.spec.name,
      path: this.spec.path,
      error: error.message,
      kind: error.kind,
      attempt: this.failures,
      retry_in_ms: at - ctx.now,
      ...(v !== undefined ? { valid_until: iso(this.validUntil(v)) } : {}),
      hint: fetchHint(error.kind),
    });
    this.next = { op: "fetch", at };
    ctx.arm(this.timer, at);
    ctx.requestPublish();
  }

  onRenewOk(ctx: Context, seq: number, sentAt: number, lease: LeaseResult): void {
    this.op = "idle";
    const v = this.current;
    if (v === undefined || v.seq !== seq) return this.schedule(ctx);
    const step = afterRenewal(v.lifetime, { remainingMs: lease.leaseDurationS * 1000, renewable: lease.renewable, warnings: lease.warnings }, sentAt, ctx.options.random);
    v.leaseEnd = step.endsAt;
    v.lifetime = step.lifetime;
    this.failures = 0;
    this.lastError = undefined;
    this.stats.renewals++;
    ctx.log("info", "renewed lease", { credential: this.spec.name, version: v.seq, lease_fp: ctx.options.fingerprint(v.leaseId), ttl_s: lease.leaseDurationS });
    if (step.next.kind === "final") {
      if (lease.warnings.length > 0 && !this.warned.has("lease-cap")) {
        this.warned.add("lease-cap");
        ctx.log("warn", "Vault capped the lease at its max TTL; a replacement will be fetched before it ends", { credential: this.spec.name, warnings: lease.warnings, valid_until: iso(v.leaseEnd) });
      }
      this.stopRenewing(ctx, v);
    } else {
      v.renewAt = step.next.at;
    }
    this.schedule(ctx);
    ctx.requestPublish();
  }

  onRenewFailed(ctx: Context, seq: number, tokenGen: number, error: Failure): void {
    this.op = "idle";
    const v = this.current;
    if (v === undefined || v.seq !== seq) return this.schedule(ctx);
    this.stats.failures++;
    this.lastError = { at: ctx.now, kind: error.kind, message: error.message };
    const fields = { credential: this.spec.name, lease_fp: ctx.options.fingerprint(v.leaseId), error: error.message, kind: error.kind };
    switch (error.kind) {
      case "lease-not-found":
      case "lease-expired":
        ctx.log("warn", "lease is gone (revoked outside the agent or expired); fetching a new credential", fields);
        loseLease(v, ctx.now);
        break;
      case "invalid-token":
        // The token used for the renewal is gone; if it also created this lease, its death re-fetches.
        this.tokens.reportInvalid(ctx, tokenGen);
        if (!v.leaseLost) this.start(ctx, "renew");
        return;
      case "lease-not-renewable":
      case "permission-denied":
        ctx.log("warn", "lease cannot be renewed; a replacement will be fetched before it ends", { ...fields, valid_until: iso(v.leaseEnd) });
        this.stopRenewing(ctx, v);
        break;
      default: {
        this.failures++;
        const until = this.validUntil(v);
        const retry = afterRenewalError(this.failures, until, MIN_INTERVAL_MS, ctx.now, error.retryAfterMs, ctx.options.random);
        ctx.log("warn", "lease renewal failed; retrying", { ...fields, retry_in_ms: retry.delayMs });
        if (retry.next.kind === "renew") v.renewAt = retry.next.at;
        else {
          v.renewable = false;
          v.renewAt = Infinity;
          v.replaceAt = Math.min(v.replaceAt, Math.max(ctx.now, until - MIN_INTERVAL_MS));
        }
      }
    }
    this.schedule(ctx);
    ctx.requestPublish();
  }

  private stopRenewing(ctx: Context, v: Version): void {
    v.renewable = false;
    v.renewAt = Infinity;
    this.plan(ctx, v, false);
  }

  /** The token that created the current lease or superseded ones died: those leases died with it. */
  onTokenDied(ctx: Context, token: TokenView, why: "revoked" | "expired"): void {
    const v = this.current;
    if (v !== undefined && v.tokenGen === token.gen && v.leaseId !== "" && !v.leaseLost) {
      loseLease(v, token.expiresAt);
      ctx.log("warn", `a credential's lease died with its Vault token (${why}); fetching a new one`, { credential: this.spec.name, lease_fp: ctx.options.fingerprint(v.leaseId) });
      if (this.op === "idle") {
        ctx.disarm(this.timer);
        this.next = undefined;
        this.start(ctx, "fetch");
      }
    }
    for (const s of this.superseded) if (s.tokenGen === token.gen) loseLease(s, token.expiresAt);
  }

  /** The end of token `gen` became fixed: re-plan a version it bounds. */
  onTokenFixed(ctx: Context, gen: number): void {
    const v = this.current;
    if (v === undefined || v.tokenGen !== gen || v.leaseId === "") return;
    this.plan(ctx, v, false);
    if (this.op === "idle") this.schedule(ctx);
  }

  /** Shutdown: revoke every lease still alive and not already being revoked. */
  revokeAll(ctx: Context, token: TokenView): void {
    for (const v of [...this.superseded, ...(this.current === undefined ? [] : [this.current])]) {
      const target = { kind: "lease", name: this.spec.name, seq: v.seq } as const;
      if (v.leaseId !== "" && !v.leaseLost && !this.revocations.has(target) && this.validUntil(v) > ctx.now) this.revocations.lease(ctx, target, v.leaseId, token);
    }
  }

  onLeaseRevoked(ctx: Context, seq: number | "late", error: Failure | undefined): void {
    const v = this.superseded.find((s) => s.seq === seq) ?? (this.current?.seq === seq ? this.current : undefined);
    this.superseded = this.superseded.filter((s) => s.seq !== seq && this.validUntil(s) > ctx.now);
    const name = this.spec.name;
    if (error === undefined) ctx.log("info", "revoked lease", { credential: name, version: seq, ...(v !== undefined ? { lease_fp: ctx.options.fingerprint(v.leaseId) } : {}) });
    else
      ctx.log("warn", "revoking lease failed; it expires on its own", {
        credential: name,
        error: error.message,
        ...(error.kind === "permission-denied" ? { hint: 'grant the role\'s policy "update" on sys/leases/revoke, or rely on token revocation' } : {}),
      });
  }

  view(ctx: Context): CredentialSnapshot {
    const v = this.current;
    return {
      spec: this.spec,
      version:
        v === undefined
          ? undefined
          : { seq: v.seq, issuedAt: v.issuedAt, leaseEnd: v.leaseEnd, validUntil: this.validUntil(v), leaseMs: v.leaseMs, renewable: v.renewable, leaseLost: v.leaseLost, lease: v.leaseId === "" ? undefined : ctx.options.fingerprint(v.leaseId) },
      expiration: this.expiration(ctx.now),
      nextRefreshAt: this.next?.at,
      written: this.written,
      lastError: this.lastError,
      stats: { ...this.stats },
    };
  }

  published(now: number): PublishedCredential | undefined {
    const v = this.current;
    const expiration = this.expiration(now);
    if (v === undefined || expiration === undefined) return undefined;
    return { spec: this.spec, seq: v.seq, credential: v.credential, expiration, validUntil: this.validUntil(v) };
  }
}
