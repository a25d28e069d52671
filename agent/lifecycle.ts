/**
 * The agent's lifecycle as one explicit state machine: `handle(event, now)` updates the state and
 * returns the effects to run (Vault calls, timers, file publication, log lines, exit). It performs
 * no I/O and reads no clock; randomness is injected. The shell (agent-runtime.ts) runs the effects
 * and feeds their outcomes back as events, so unit tests drive every path with a fake clock.
 *
 * Phases: starting (until every credential was written once) → running → stopping → stopped.
 *
 * Vault token (rules of Vault's LifetimeWatcher and auto-auth, reference vault-api.md §10):
 *   none ──login-ok──▶ active ──renew-ok──▶ active (renew again at ⅔·remaining + ⅓·grace)
 *   active ──capped / not renewable / permission denied──▶ fixed end: re-login inside the grace
 *   active ──invalid token──▶ dead: re-login now; leases it created are gone (re-fetched)
 *   login-failed ──▶ backoff 1 s → 5 min (−25 % jitter), forever; a rotated SA token retries at once
 *   A new token does not touch credentials whose leases are still valid; a superseded token is kept
 *   (not revoked) until it expires, because revoking it would revoke the leases it created.
 *
 * Credential (per name):
 *   pending ──fetch-ok──▶ served ──renew-ok──▶ served (renewable leases, LifetimeWatcher timing)
 *   served ──replacement due (rotation-policy.ts)──▶ fetch ──ok──▶ new version served; the old one is
 *     kept valid and revoked a minute after the last Expiration served for it
 *   fetch/renew failures ──▶ backoff (1 s → 5 min before the first success, then 10 s → 5 min ±50 %,
 *     capped at ¼ of the served credential's remaining validity),
 *     the last valid credential stays served until it expires; nothing is ever deleted
 *   lease not found / token dead ──▶ re-fetch now
 *
 * Stopping: timers cleared, in-flight calls abandoned; leases revoked, then tokens; exit 0.
 * Init mode: login, fetch, write, exit 0 — no renewals, no revocation.
 */
import { AUTH_BACKOFF, RENEW_BACKOFF, backoffDelay, refreshRetryDelay, type BackoffPolicy } from "./backoff.js";
import type { CredentialSpec } from "./config.js";
import type { IssuedCredential, S3Credential } from "./credential-format.js";
import { calculateGrace, renewSleep, renewalExhausted } from "./lifetime-watcher.js";
import { DEFAULT_KV_REFRESH_MS, LEAD_MS, planReplacement, revocationTime, servedExpiration } from "./rotation-policy.js";
import type { VaultErrorKind } from "./vault-errors.js";
import type { VaultAuth } from "./vault-responses.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface ErrorInfo {
  readonly at: number;
  readonly kind: Failure["kind"] | "write";
  readonly message: string;
}

/** An outcome the shell reports; `kind` drives the reaction. */
export interface Failure {
  /** `format`: the response is not this credential's format; `jwt`: the SA token file is unreadable. */
  readonly kind: VaultErrorKind | "format" | "jwt";
  readonly message: string;
  readonly retryAfterMs?: number | undefined;
}

export interface Token {
  readonly gen: number;
  readonly secret: string;
  readonly accessor: string;
  readonly issuedAt: number;
  expiresAt: number;
  /** Lease duration asked for at renewal (the login TTL). */
  readonly incrementMs: number;
  renewable: boolean;
  /** The expiry can no longer move: capped, not renewable, superseded or dead. */
  fixedEnd: boolean;
  dead: boolean;
  graceMs: number;
  priorMs: number;
  warnedCap: boolean;
}

export interface Version {
  readonly seq: number;
  readonly credential: S3Credential;
  readonly leaseId: string;
  /** Token generation that created the lease (leases die with their token). */
  readonly tokenGen: number | undefined;
  /** When the secret was (last) requested: issue time for leases, last read for KV. */
  issuedAt: number;
  /** Current lease end (Infinity when the secret has no expiry). */
  leaseEnd: number;
  readonly leaseMs: number;
  renewable: boolean;
  graceMs: number;
  priorMs: number;
  renewAt: number;
  /** Planned replacement; moves later (never earlier) while replacements fail. */
  replaceAt: number;
  /** Known to be revoked in Vault (lease not found, creating token died). */
  leaseLost: boolean;
  /** Superseded versions: the last Expiration served, and when to revoke. */
  servedUntil?: number;
  revokeAt?: number;
}

export interface CredentialState {
  readonly spec: CredentialSpec;
  current: Version | undefined;
  superseded: Version[];
  op: "idle" | "fetch" | "renew";
  next: { op: "fetch" | "renew"; at: number } | undefined;
  waitingForToken: boolean;
  failures: number;
  lastError: ErrorInfo | undefined;
  writtenSeq: number | undefined;
  lastSeq: number;
  readonly warned: Set<string>;
  readonly stats: { fetches: number; rotations: number; renewals: number; failures: number };
}

export interface AuthState {
  current: Token | undefined;
  retired: Token[];
  /** A login and a renewal may be in flight at the same time (a token died while renewing). */
  loginInFlight: boolean;
  renewInFlight: boolean;
  next: { op: "login" | "renew"; at: number } | undefined;
  loginFailures: number;
  renewFailures: number;
  lastError: ErrorInfo | undefined;
  lastLoginAt: number | undefined;
  nextGen: number;
  readonly stats: { logins: number; loginFailures: number; renewals: number; renewFailures: number };
}

export type Phase = "starting" | "running" | "stopping" | "stopped";

export type Event =
  | { readonly type: "start" }
  | { readonly type: "timer"; readonly key: string }
  | { readonly type: "login-ok"; readonly gen: number; readonly sentAt: number; readonly auth: AuthResult }
  | { readonly type: "login-failed"; readonly gen: number; readonly error: Failure }
  | { readonly type: "renew-token-ok"; readonly gen: number; readonly sentAt: number; readonly auth: AuthResult }
  | { readonly type: "renew-token-failed"; readonly gen: number; readonly error: Failure }
  | { readonly type: "fetch-ok"; readonly name: string; readonly tokenGen: number; readonly sentAt: number; readonly secret: FetchedSecret }
  | { readonly type: "fetch-failed"; readonly name: string; readonly tokenGen: number; readonly error: Failure }
  | { readonly type: "renew-lease-ok"; readonly name: string; readonly seq: number; readonly sentAt: number; readonly lease: LeaseResult }
  | { readonly type: "renew-lease-failed"; readonly name: string; readonly seq: number; readonly tokenGen: number; readonly error: Failure }
  | { readonly type: "revoke-done"; readonly target: string; readonly error?: Failure | undefined }
  | { readonly type: "published"; readonly ok: boolean; readonly seqs: ReadonlyMap<string, number>; readonly error?: string | undefined }
  | { readonly type: "jwt-changed" }
  /** Something status.json shows changed outside the machine (e.g. the bound ports). */
  | { readonly type: "status-changed" }
  | { readonly type: "stop"; readonly reason: string };

/** A login or token renewal as Vault answered it. */
export type AuthResult = VaultAuth;

export interface FetchedSecret {
  readonly issued: IssuedCredential;
  readonly leaseId: string;
  readonly leaseDurationS: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
}

export interface LeaseResult {
  readonly leaseDurationS: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
}

export type Effect =
  | { readonly type: "login"; readonly gen: number }
  | { readonly type: "renew-token"; readonly token: Token }
  | { readonly type: "fetch"; readonly name: string; readonly token: Token }
  | { readonly type: "renew-lease"; readonly name: string; readonly seq: number; readonly leaseId: string; readonly incrementS: number; readonly token: Token }
  | { readonly type: "revoke-lease"; readonly target: string; readonly leaseId: string; readonly token: Token }
  | { readonly type: "revoke-token"; readonly target: string; readonly token: Token }
  | { readonly type: "arm"; readonly key: string; readonly at: number }
  | { readonly type: "disarm"; readonly key: string }
  | { readonly type: "disarm-all" }
  | { readonly type: "abandon-calls" }
  | { readonly type: "publish" }
  | { readonly type: "log"; readonly level: LogLevel; readonly msg: string; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly type: "exit"; readonly code: number };

export interface LifecycleOptions {
  readonly credentials: readonly CredentialSpec[];
  readonly mode: "sidecar" | "init";
  readonly revokeOnExit: boolean;
  readonly random: () => number;
  /** Short, non-secret fingerprint of a lease id or accessor for logs and status. */
  readonly fingerprint: (value: string) => string;
}

/** File-write retries: quick, capped at 30 s (a full tmpfs or a permissions fix is worth retrying). */
const PUBLISH_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: "down-25" };
/** A credential that expires sooner than this after issue is treated as a failed fetch. */
const MIN_CREDENTIAL_LIFE_MS = 2_000;
/** Lower bound between two requests for the same credential (guards against zero-length plans). */
const MIN_INTERVAL_MS = 1_000;

/**
 * A lease that died (with its token, or revoked outside) ends there: the credential no longer works,
 * so it must not be served on — least of all with an `Expiration` in the past, which the dead token's
 * forgotten bound would otherwise leave behind.
 */
function loseLease(v: Version, at: number): void {
  v.leaseLost = true;
  v.leaseEnd = Math.min(v.leaseEnd, at);
}
/** Assumed lease life when nothing better is known (for "is this token good for minting?"). */
const ASSUMED_TTL_MS = 3600_000;

const AUTH_TIMER = "auth";
const PUBLISH_TIMER = "publish";
const credTimer = (name: string): string => `cred:${name}`;
const revokeTimer = (name: string, seq: number): string => `revoke:${name}:${seq}`;

export class Lifecycle {
  phase: Phase = "starting";
  readonly auth: AuthState = {
    current: undefined,
    retired: [],
    loginInFlight: false,
    renewInFlight: false,
    next: undefined,
    loginFailures: 0,
    renewFailures: 0,
    lastError: undefined,
    lastLoginAt: undefined,
    nextGen: 1,
    stats: { logins: 0, loginFailures: 0, renewals: 0, renewFailures: 0 },
  };
  readonly credentials = new Map<string, CredentialState>();
  readonly publish = { inFlight: false, dirty: false, failures: 0, lastError: undefined as ErrorInfo | undefined, writes: 0 };
  private readonly pendingRevocations = new Set<string>();
  private shutdownStage: "none" | "leases" | "tokens" = "none";
  private out: Effect[] = [];
  private now = 0;

  constructor(private readonly options: LifecycleOptions) {
    for (const spec of options.credentials) {
      this.credentials.set(spec.name, {
        spec,
        current: undefined,
        superseded: [],
        op: "idle",
        next: undefined,
        waitingForToken: false,
        failures: 0,
        lastError: undefined,
        writtenSeq: undefined,
        lastSeq: 0,
        warned: new Set(),
        stats: { fetches: 0, rotations: 0, renewals: 0, failures: 0 },
      });
    }
  }

  // ---------------------------------------------------------------- queries (endpoint, files, status)

  /** Every credential has been written to disk at least once. */
  get ready(): boolean {
    for (const c of this.credentials.values()) if (c.writtenSeq === undefined) return false;
    return true;
  }

  /** End of a version's validity: its lease end, or its token's end once that cannot move. */
  validUntil(v: Version): number {
    return Math.min(v.leaseEnd, this.tokenBound(v));
  }

  /**
   * The `Expiration` served for the current version of a credential. A replacement that is overdue
   * (waiting for a login, say) is attempted from now on, so the served value never lies in the past
   * while the credential is still valid.
   */
  served(c: CredentialState): number | undefined {
    const v = c.current;
    return v === undefined ? undefined : servedExpiration(this.validUntil(v), Math.max(v.replaceAt, this.now));
  }

  tokenByGen(gen: number | undefined): Token | undefined {
    if (gen === undefined) return undefined;
    if (this.auth.current?.gen === gen) return this.auth.current;
    return this.auth.retired.find((t) => t.gen === gen);
  }

  // ---------------------------------------------------------------- transitions

  handle(event: Event, now: number): Effect[] {
    this.out = [];
    this.now = now;
    if (this.phase === "stopped") return [];
    if (this.phase === "stopping") this.onWhileStopping(event);
    else this.onEvent(event);
    return this.out;
  }

  private onEvent(event: Event): void {
    switch (event.type) {
      case "start":
        return this.onStart();
      case "timer":
        return this.onTimer(event.key);
      case "login-ok":
        return this.onLoginOk(event.gen, event.sentAt, event.auth);
      case "login-failed":
        return this.onLoginFailed(event.error);
      case "renew-token-ok":
        return this.onRenewTokenOk(event.gen, event.sentAt, event.auth);
      case "renew-token-failed":
        return this.onRenewTokenFailed(event.gen, event.error);
      case "fetch-ok":
        return this.onFetchOk(this.cred(event.name), event.tokenGen, event.sentAt, event.secret);
      case "fetch-failed":
        return this.onFetchFailed(this.cred(event.name), event.tokenGen, event.error);
      case "renew-lease-ok":
        return this.onRenewLeaseOk(this.cred(event.name), event.seq, event.sentAt, event.lease);
      case "renew-lease-failed":
        return this.onRenewLeaseFailed(this.cred(event.name), event.seq, event.tokenGen, event.error);
      case "revoke-done":
        return this.onRevokeDone(event.target, event.error);
      case "published":
        return this.onPublished(event.ok, event.seqs, event.error);
      case "jwt-changed":
        return this.onJwtChanged();
      case "status-changed":
        return this.requestPublish();
      case "stop":
        return this.onStop(event.reason);
    }
  }

  private onStart(): void {
    this.log("info", "agent starting", { credentials: [...this.credentials.keys()], mode: this.options.mode });
    for (const c of this.credentials.values()) c.waitingForToken = true;
    this.startLogin();
    this.requestPublish();
  }

  private onTimer(key: string): void {
    if (key === AUTH_TIMER) {
      const next = this.auth.next;
      this.auth.next = undefined;
      if (next?.op === "renew" && this.usableToken() !== undefined) this.startTokenRenewal();
      else this.startLogin();
      return;
    }
    if (key === PUBLISH_TIMER) return this.requestPublish();
    if (key.startsWith("cred:")) {
      const c = this.cred(key.slice("cred:".length));
      const next = c.next;
      c.next = undefined;
      if (next !== undefined) this.startCredentialOp(c, next.op);
      return;
    }
    if (key.startsWith("revoke:")) {
      const [, name = "", seqText = ""] = key.split(":");
      const c = this.cred(name);
      const v = c.superseded.find((s) => s.seq === Number(seqText));
      const token = this.usableToken();
      if (v !== undefined && token !== undefined && !v.leaseLost) this.revokeLease(c, v, token);
    }
  }

  // ---------------------------------------------------------------- Vault token

  private usableToken(): Token | undefined {
    const t = this.auth.current;
    return t !== undefined && !t.dead && t.expiresAt > this.now ? t : undefined;
  }

  private startLogin(): void {
    if (this.auth.loginInFlight) return;
    this.disarm(AUTH_TIMER);
    this.auth.next = undefined;
    this.auth.loginInFlight = true;
    this.emit({ type: "login", gen: this.auth.nextGen++ });
  }

  private startTokenRenewal(): void {
    const token = this.usableToken();
    if (token === undefined) return this.startLogin();
    this.auth.renewInFlight = true;
    this.emit({ type: "renew-token", token });
  }

  private scheduleAuth(op: "login" | "renew", at: number): void {
    this.auth.next = { op, at };
    this.arm(AUTH_TIMER, at);
  }

  /** Re-login inside the grace (or now, when already inside it). */
  private scheduleRelogin(token: Token): void {
    if (this.options.mode === "init") return;
    if (!Number.isFinite(token.expiresAt)) return;
    this.scheduleAuth("login", Math.max(this.now, token.expiresAt - token.graceMs));
  }

  private onLoginOk(gen: number, sentAt: number, auth: AuthResult): void {
    this.auth.loginInFlight = false;
    const leaseMs = auth.leaseDurationS * 1000;
    const token: Token = {
      gen,
      secret: auth.clientToken,
      accessor: auth.accessor,
      issuedAt: sentAt,
      expiresAt: leaseMs > 0 ? sentAt + leaseMs : Infinity,
      incrementMs: leaseMs,
      renewable: auth.renewable && leaseMs > 0,
      fixedEnd: !(auth.renewable && leaseMs > 0),
      dead: false,
      graceMs: calculateGrace(leaseMs, leaseMs, this.options.random()),
      priorMs: leaseMs,
      warnedCap: false,
    };
    const previous = this.auth.current;
    if (previous !== undefined) this.retire(previous);
    this.auth.current = token;
    this.auth.loginFailures = 0;
    this.auth.renewFailures = 0;
    this.auth.lastError = undefined;
    this.auth.lastLoginAt = sentAt;
    this.auth.stats.logins++;
    this.log("info", "logged in to Vault", {
      token_fp: this.options.fingerprint(token.accessor),
      ttl_s: auth.leaseDurationS,
      renewable: token.renewable,
      policies: auth.policies,
      ...(auth.warnings.length > 0 ? { warnings: auth.warnings } : {}),
    });
    if (this.options.mode !== "init") {
      if (!token.renewable || renewalExhausted(leaseMs, token.graceMs)) {
        token.fixedEnd = true;
        this.scheduleRelogin(token);
      } else {
        this.scheduleAuth("renew", sentAt + renewSleep(leaseMs, token.graceMs));
      }
    }
    for (const c of this.credentials.values()) {
      if (c.waitingForToken) {
        c.waitingForToken = false;
        this.resumeCredential(c);
      }
    }
  }

  private onLoginFailed(error: Failure): void {
    this.auth.loginInFlight = false;
    this.auth.loginFailures++;
    this.auth.stats.loginFailures++;
    this.auth.lastError = { at: this.now, kind: error.kind, message: error.message };
    const current = this.auth.current;
    if (current !== undefined && current.expiresAt <= this.now) this.tokenDied(current, "expired");
    const delay = Math.max(backoffDelay(AUTH_BACKOFF, this.auth.loginFailures, this.options.random()), error.retryAfterMs ?? 0);
    this.log(this.auth.loginFailures >= 3 ? "error" : "warn", "Vault login failed", {
      error: error.message,
      kind: error.kind,
      attempt: this.auth.loginFailures,
      retry_in_ms: delay,
      hint: loginHint(error),
    });
    this.scheduleAuth("login", this.now + delay);
    this.requestPublish();
  }

  private onJwtChanged(): void {
    this.log("info", "service-account token file changed; the next login uses it", {});
    if (!this.auth.loginInFlight && this.auth.next?.op === "login" && this.auth.loginFailures > 0) this.startLogin();
  }

  private onRenewTokenOk(gen: number, sentAt: number, auth: AuthResult): void {
    this.auth.renewInFlight = false;
    const token = this.auth.current;
    if (token === undefined || token.gen !== gen) return;
    const remaining = auth.leaseDurationS * 1000;
    token.expiresAt = sentAt + remaining;
    token.renewable = auth.renewable;
    if (remaining > token.priorMs) {
      token.priorMs = remaining;
      token.graceMs = calculateGrace(remaining, token.incrementMs, this.options.random());
    }
    this.auth.renewFailures = 0;
    this.auth.stats.renewals++;
    // A TTL below the increment asked for means Vault capped it at the max TTL: the end is final and
    // renewing again would only return the same deadline (periodic tokens are capped per period).
    const exhausted = !auth.renewable || capped(remaining, token.incrementMs, auth.warnings) || renewalExhausted(remaining, token.graceMs);
    this.log("debug", "renewed Vault token", { token_fp: this.options.fingerprint(token.accessor), ttl_s: auth.leaseDurationS });
    if (auth.warnings.length > 0 && !token.warnedCap) {
      token.warnedCap = true;
      this.log("warn", "Vault capped the token's TTL; logging in again before it ends", { token_fp: this.options.fingerprint(token.accessor), warnings: auth.warnings, expires_at: iso(token.expiresAt) });
    }
    if (exhausted) this.fixTokenEnd(token);
    else this.scheduleAuth("renew", sentAt + renewSleep(remaining, token.graceMs));
    this.requestPublish();
  }

  private onRenewTokenFailed(gen: number, error: Failure): void {
    this.auth.renewInFlight = false;
    const token = this.auth.current;
    if (token === undefined || token.gen !== gen) return;
    this.auth.lastError = { at: this.now, kind: error.kind, message: error.message };
    this.auth.stats.renewFailures++;
    switch (error.kind) {
      case "invalid-token":
        this.log("warn", "Vault token is no longer valid (revoked or expired); logging in again", { token_fp: this.options.fingerprint(token.accessor), error: error.message });
        this.tokenDied(token, "revoked");
        return;
      case "permission-denied":
      case "lease-not-renewable":
      case "max-ttl":
        // LifetimeWatcher: "permission denied" turns the token non-renewable; wait out the lease.
        this.log("warn", "Vault token cannot be renewed; logging in again inside its grace period", { token_fp: this.options.fingerprint(token.accessor), error: error.message, expires_at: iso(token.expiresAt) });
        token.renewable = false;
        this.fixTokenEnd(token);
        return;
      default: {
        this.auth.renewFailures++;
        // Capped by the token's remaining life: it bounds every lease minted under it.
        const r = this.options.random();
        const delay = Math.max(refreshRetryDelay(backoffDelay(RENEW_BACKOFF, this.auth.renewFailures, r), token.expiresAt - this.now, r), error.retryAfterMs ?? 0);
        this.log("warn", "Vault token renewal failed; retrying", { error: error.message, kind: error.kind, retry_in_ms: delay });
        if (this.now + delay >= token.expiresAt - token.graceMs) this.scheduleRelogin(token);
        else this.scheduleAuth("renew", this.now + delay);
      }
    }
    this.requestPublish();
  }

  /** The token's expiry will not move any more: plan the re-login and re-plan what it bounds. */
  private fixTokenEnd(token: Token): void {
    token.fixedEnd = true;
    this.scheduleRelogin(token);
    this.replanBoundBy(token);
  }

  private retire(token: Token): void {
    token.fixedEnd = true;
    this.auth.retired = this.auth.retired.filter((t) => !t.dead && t.expiresAt > this.now);
    this.auth.retired.push(token);
    this.replanBoundBy(token);
  }

  private tokenDied(token: Token, why: "revoked" | "expired"): void {
    token.dead = true;
    token.fixedEnd = true;
    token.expiresAt = Math.min(token.expiresAt, this.now);
    const wasCurrent = this.auth.current === token;
    if (wasCurrent) {
      this.auth.current = undefined;
      this.auth.retired.push(token);
    }
    for (const c of this.credentials.values()) {
      const v = c.current;
      if (v !== undefined && v.tokenGen === token.gen && v.leaseId !== "" && !v.leaseLost) {
        loseLease(v, token.expiresAt);
        this.log("warn", `a credential's lease died with its Vault token (${why}); fetching a new one`, { credential: c.spec.name, lease_fp: this.options.fingerprint(v.leaseId) });
        if (c.op === "idle") {
          this.disarm(credTimer(c.spec.name));
          c.next = undefined;
          this.startCredentialOp(c, "fetch");
        }
      }
      for (const s of c.superseded) if (s.tokenGen === token.gen) loseLease(s, token.expiresAt);
    }
    if (wasCurrent) this.startLogin();
  }

  /** A version's validity ends no later than the token that created its lease, once that is fixed. */
  private tokenBound(v: Version): number {
    if (v.leaseId === "" || v.tokenGen === undefined) return Infinity;
    const t = this.tokenByGen(v.tokenGen);
    if (t === undefined) return Infinity;
    return t.fixedEnd ? t.expiresAt : Infinity;
  }

  private replanBoundBy(token: Token): void {
    for (const c of this.credentials.values()) {
      const v = c.current;
      if (v === undefined || v.tokenGen !== token.gen || v.leaseId === "") continue;
      this.planVersion(c, v, false);
      if (c.op === "idle") this.scheduleCredential(c);
    }
    this.requestPublish();
  }

  // ---------------------------------------------------------------- credentials

  private cred(name: string): CredentialState {
    const c = this.credentials.get(name);
    if (c === undefined) throw new Error(`unknown credential ${name}`);
    return c;
  }

  /** How long a newly minted lease of this credential is expected to live. */
  private expectedLife(c: CredentialState): number {
    const v = c.current;
    if (v !== undefined && v.leaseMs > 0) return v.leaseMs;
    if (c.spec.ttl !== undefined && c.spec.ttl > 0) return c.spec.ttl * 1000;
    return ASSUMED_TTL_MS;
  }

  private startCredentialOp(c: CredentialState, op: "fetch" | "renew"): void {
    if (c.op !== "idle") return;
    const token = this.usableToken();
    // A lease dies with the token that created it: when the token's end is fixed and less than half
    // of what a fresh login would give (or of the lease's expected life) remains, log in first.
    const tooShort =
      op === "fetch" &&
      c.spec.format !== "kv" &&
      token !== undefined &&
      token.fixedEnd &&
      token.expiresAt - this.now < Math.min(this.expectedLife(c), token.incrementMs) / 2;
    if (token === undefined || tooShort) {
      c.waitingForToken = true;
      c.next = { op, at: this.now };
      if (tooShort && !c.warned.has("token-life")) {
        c.warned.add("token-life");
        this.log("info", "logging in again before minting: the current Vault token ends before the new lease would", { credential: c.spec.name, token_expires_at: iso(token.expiresAt) });
      }
      if (this.auth.loginFailures === 0) this.startLogin();
      return;
    }
    c.next = undefined;
    if (op === "renew" && c.current !== undefined && c.current.renewable) {
      c.op = "renew";
      this.emit({ type: "renew-lease", name: c.spec.name, seq: c.current.seq, leaseId: c.current.leaseId, incrementS: Math.round(c.current.leaseMs / 1000), token });
      return;
    }
    c.op = "fetch";
    this.emit({ type: "fetch", name: c.spec.name, token });
  }

  /** After a new token: run whatever the credential was waiting for. */
  private resumeCredential(c: CredentialState): void {
    const pending = c.next;
    if (pending !== undefined && pending.at > this.now) return this.scheduleCredential(c);
    this.startCredentialOp(c, pending?.op ?? (c.current === undefined || c.current.leaseLost ? "fetch" : "renew"));
  }

  /** Arms the credential's next renewal or replacement. */
  private scheduleCredential(c: CredentialState): void {
    if (this.options.mode === "init" && c.current !== undefined) return;
    const v = c.current;
    let next: { op: "fetch" | "renew"; at: number } | undefined;
    if (v === undefined || v.leaseLost) next = { op: "fetch", at: this.now };
    else if (v.renewable && v.renewAt < v.replaceAt) next = { op: "renew", at: v.renewAt };
    else if (Number.isFinite(v.replaceAt)) next = { op: "fetch", at: v.replaceAt };
    c.next = next;
    if (next === undefined) this.disarm(credTimer(c.spec.name));
    else this.arm(credTimer(c.spec.name), next.at);
  }

  /** (Re)computes a version's renewal and replacement times. `fresh`: just fetched. */
  private planVersion(c: CredentialState, v: Version, fresh: boolean): void {
    const bound = this.tokenBound(v);
    const hardEnd = v.renewable ? bound : Math.min(v.leaseEnd, bound);
    const maxAgeMs = c.spec.refreshInterval !== undefined ? c.spec.refreshInterval * 1000 : c.spec.format === "kv" ? DEFAULT_KV_REFRESH_MS : undefined;
    const plan = planReplacement({ issuedAt: v.issuedAt, hardEnd, graceMs: v.graceMs, maxAgeMs });
    // Bound by its token's end (not by its own lease): once that end is fixed, a fresh login gives a
    // full life, so replace it LEAD ahead of that end — not at ⅔ of what was left, as for a short TTL.
    const tokenBounded = bound < (v.renewable ? Infinity : v.leaseEnd);
    const planned = tokenBounded ? Math.min(plan.at, bound - LEAD_MS) : plan.at;
    const at = Math.max(planned, fresh ? v.issuedAt + MIN_INTERVAL_MS : this.now);
    v.replaceAt = fresh ? at : Math.min(v.replaceAt, Math.max(at, this.now));
    if (fresh && plan.shortTtl && hardEnd === v.leaseEnd && !c.warned.has("short-ttl")) {
      c.warned.add("short-ttl");
      const ttlS = Math.round((hardEnd - v.issuedAt) / 1000);
      this.log("warn", "credential TTL is too short to keep the served Expiration more than 15 minutes ahead; botocore will re-read the endpoint on every call. Request a TTL of at least 32m", {
        credential: c.spec.name,
        ttl_s: ttlS,
        min_ttl_s: (2 * LEAD_MS) / 1000,
      });
    }
  }

  private onFetchOk(c: CredentialState, tokenGen: number, sentAt: number, secret: FetchedSecret): void {
    c.op = "idle";
    const leased = secret.leaseId !== "";
    const leaseEnd = Math.min(leased && secret.leaseDurationS > 0 ? sentAt + secret.leaseDurationS * 1000 : Infinity, secret.issued.payloadExpiresAt ?? Infinity);
    if (leaseEnd - this.now < MIN_CREDENTIAL_LIFE_MS) {
      return this.onFetchFailed(c, tokenGen, { kind: "format", message: `${c.spec.path} returned a credential that expires in ${Math.round((leaseEnd - this.now) / 1000)}s; check the role's TTL` });
    }
    c.stats.fetches++;
    c.failures = 0;
    c.lastError = undefined;
    const old = c.current;
    if (old !== undefined && !leased && !old.leaseLost && old.leaseId === "" && sameCredential(old.credential, secret.issued.credential)) {
      // Lease-less secret re-read without change: same version, new re-read time.
      old.issuedAt = sentAt;
      old.leaseEnd = leaseEnd;
      this.planVersion(c, old, true);
      this.log("debug", "re-read credential; unchanged", { credential: c.spec.name, version: old.seq });
      this.scheduleCredential(c);
      this.requestPublish();
      return;
    }
    const leaseMs = Number.isFinite(leaseEnd) ? leaseEnd - sentAt : 0;
    const graceMs = calculateGrace(leaseMs, leaseMs, this.options.random());
    const renewable = leased && secret.renewable && this.options.mode !== "init";
    const v: Version = {
      seq: ++c.lastSeq,
      credential: secret.issued.credential,
      leaseId: secret.leaseId,
      tokenGen: leased ? tokenGen : undefined,
      issuedAt: sentAt,
      leaseEnd,
      leaseMs,
      renewable,
      graceMs,
      priorMs: leaseMs,
      renewAt: renewable ? sentAt + renewSleep(leaseMs, graceMs) : Infinity,
      replaceAt: Infinity,
      leaseLost: false,
    };
    this.planVersion(c, v, true);
    if (old !== undefined) this.supersede(c, old);
    c.current = v;
    const token = this.tokenByGen(tokenGen);
    // The token died while this request was in flight: its new lease died with it.
    if (leased && token?.dead === true) loseLease(v, token.expiresAt);
    if (leased && token !== undefined && Number.isFinite(token.expiresAt) && token.expiresAt < leaseEnd && token.fixedEnd && !c.warned.has("token-shorter")) {
      c.warned.add("token-shorter");
      this.log("warn", "the Vault token ends before this credential's lease; the lease will be re-minted with the next token (raise the Kubernetes auth role's token_max_ttl)", { credential: c.spec.name });
    }
    this.log("info", old === undefined ? "fetched credential" : "rotated credential", {
      credential: c.spec.name,
      version: v.seq,
      ...(leased ? { lease_fp: this.options.fingerprint(v.leaseId) } : {}),
      ttl_s: Number.isFinite(leaseEnd) ? Math.round(leaseMs / 1000) : null,
      renewable,
      expiration: iso(this.served(c) ?? Infinity),
      next_refresh_at: iso(Math.min(v.renewAt, v.replaceAt)),
      ...(secret.warnings.length > 0 ? { warnings: secret.warnings } : {}),
    });
    if (old !== undefined) c.stats.rotations++;
    this.scheduleCredential(c);
    this.requestPublish();
  }

  /** Keeps the old version valid for consumers that cached it, and plans its revocation. */
  private supersede(c: CredentialState, old: Version): void {
    old.servedUntil = servedExpiration(this.validUntil(old), old.replaceAt);
    if (old.leaseId === "" || old.leaseLost || this.options.mode === "init") return;
    const at = revocationTime(old.servedUntil, this.validUntil(old));
    if (at === undefined) return;
    old.revokeAt = at;
    c.superseded = c.superseded.filter((s) => this.validUntil(s) > this.now);
    c.superseded.push(old);
    this.arm(revokeTimer(c.spec.name, old.seq), at);
  }

  private revokeLease(c: CredentialState, v: Version, token: Token): void {
    const target = `lease:${c.spec.name}:${v.seq}`;
    this.pendingRevocations.add(target);
    this.emit({ type: "revoke-lease", target, leaseId: v.leaseId, token });
  }

  private onFetchFailed(c: CredentialState, tokenGen: number, error: Failure): void {
    c.op = "idle";
    c.failures++;
    c.stats.failures++;
    c.lastError = { at: this.now, kind: error.kind, message: error.message };
    if (error.kind === "invalid-token") {
      const token = this.tokenByGen(tokenGen);
      if (token !== undefined && !token.dead) this.tokenDied(token, "revoked");
      this.startCredentialOp(c, "fetch");
      this.requestPublish();
      return;
    }
    const v = c.current;
    const policy = v === undefined ? AUTH_BACKOFF : RENEW_BACKOFF;
    const r = this.options.random();
    const left = v === undefined ? 0 : this.validUntil(v) - this.now;
    const delay = left > 0 ? refreshRetryDelay(backoffDelay(policy, c.failures, r), left, r) : backoffDelay(policy, c.failures, r);
    let at = this.now + Math.max(delay, error.retryAfterMs ?? 0);
    if (v !== undefined) {
      const until = this.validUntil(v);
      // Try once more before the served credential expires, however long the backoff.
      if (until > this.now) at = Math.min(at, Math.max(this.now + MIN_INTERVAL_MS, until - MIN_INTERVAL_MS));
      v.replaceAt = Math.max(v.replaceAt, at);
    }
    this.log(c.failures >= 3 || !isTransient(error.kind) ? "error" : "warn", v === undefined ? "fetching credential failed" : "refreshing credential failed; still serving the previous one", {
      credential: c.spec.name,
      path: c.spec.path,
      error: error.message,
      kind: error.kind,
      attempt: c.failures,
      retry_in_ms: at - this.now,
      ...(v !== undefined ? { valid_until: iso(this.validUntil(v)) } : {}),
      hint: fetchHint(error.kind),
    });
    c.next = { op: "fetch", at };
    this.arm(credTimer(c.spec.name), at);
    this.requestPublish();
  }

  private onRenewLeaseOk(c: CredentialState, seq: number, sentAt: number, lease: LeaseResult): void {
    c.op = "idle";
    const v = c.current;
    if (v === undefined || v.seq !== seq) return this.scheduleCredential(c);
    const remaining = lease.leaseDurationS * 1000;
    v.leaseEnd = sentAt + remaining;
    if (remaining > v.priorMs) {
      v.priorMs = remaining;
      v.graceMs = calculateGrace(remaining, v.leaseMs, this.options.random());
    }
    c.failures = 0;
    c.lastError = undefined;
    c.stats.renewals++;
    this.log("info", "renewed lease", { credential: c.spec.name, version: v.seq, lease_fp: this.options.fingerprint(v.leaseId), ttl_s: lease.leaseDurationS });
    if (!lease.renewable || capped(remaining, v.leaseMs, lease.warnings) || renewalExhausted(remaining, v.graceMs)) {
      if (lease.warnings.length > 0 && !c.warned.has("lease-cap")) {
        c.warned.add("lease-cap");
        this.log("warn", "Vault capped the lease at its max TTL; a replacement will be fetched before it ends", { credential: c.spec.name, warnings: lease.warnings, valid_until: iso(v.leaseEnd) });
      }
      v.renewable = false;
      v.renewAt = Infinity;
      this.planVersion(c, v, false);
    } else {
      v.renewAt = sentAt + renewSleep(remaining, v.graceMs);
    }
    this.scheduleCredential(c);
    this.requestPublish();
  }

  private onRenewLeaseFailed(c: CredentialState, seq: number, tokenGen: number, error: Failure): void {
    c.op = "idle";
    const v = c.current;
    if (v === undefined || v.seq !== seq) return this.scheduleCredential(c);
    c.stats.failures++;
    c.lastError = { at: this.now, kind: error.kind, message: error.message };
    const fields = { credential: c.spec.name, lease_fp: this.options.fingerprint(v.leaseId), error: error.message, kind: error.kind };
    switch (error.kind) {
      case "lease-not-found":
      case "lease-expired":
        this.log("warn", "lease is gone (revoked outside the agent or expired); fetching a new credential", fields);
        loseLease(v, this.now);
        break;
      case "invalid-token": {
        // The token used for the renewal is gone; if it also created this lease, tokenDied re-fetches.
        const token = this.tokenByGen(tokenGen);
        if (token !== undefined && !token.dead) this.tokenDied(token, "revoked");
        if (!v.leaseLost) this.startCredentialOp(c, "renew");
        return;
      }
      case "lease-not-renewable":
      case "permission-denied":
        this.log("warn", "lease cannot be renewed; a replacement will be fetched before it ends", { ...fields, valid_until: iso(v.leaseEnd) });
        v.renewable = false;
        v.renewAt = Infinity;
        this.planVersion(c, v, false);
        break;
      default: {
        c.failures++;
        const r = this.options.random();
        const delay = refreshRetryDelay(backoffDelay(RENEW_BACKOFF, c.failures, r), this.validUntil(v) - this.now, r);
        const at = this.now + Math.max(delay, error.retryAfterMs ?? 0);
        this.log("warn", "lease renewal failed; retrying", { ...fields, retry_in_ms: at - this.now });
        if (at < this.validUntil(v) - MIN_INTERVAL_MS) v.renewAt = at;
        else {
          v.renewable = false;
          v.renewAt = Infinity;
          v.replaceAt = Math.min(v.replaceAt, Math.max(this.now, this.validUntil(v) - MIN_INTERVAL_MS));
        }
      }
    }
    this.scheduleCredential(c);
    this.requestPublish();
  }

  private onRevokeDone(target: string, error: Failure | undefined): void {
    this.pendingRevocations.delete(target);
    const [kind, name = "", seqText = ""] = target.split(":");
    if (kind === "lease") {
      const c = this.cred(name);
      const v = c.superseded.find((s) => s.seq === Number(seqText)) ?? (c.current?.seq === Number(seqText) ? c.current : undefined);
      c.superseded = c.superseded.filter((s) => s.seq !== Number(seqText) && this.validUntil(s) > this.now);
      if (error === undefined) this.log("info", "revoked lease", { credential: name, version: Number(seqText), ...(v !== undefined ? { lease_fp: this.options.fingerprint(v.leaseId) } : {}) });
      else
        this.log("warn", "revoking lease failed; it expires on its own", {
          credential: name,
          error: error.message,
          ...(error.kind === "permission-denied" ? { hint: 'grant the role\'s policy "update" on sys/leases/revoke, or rely on token revocation' } : {}),
        });
    } else if (error === undefined) this.log("info", "revoked Vault token", { token_fp: name });
    else this.log("warn", "revoking Vault token failed; it expires on its own", { token_fp: name, error: error.message });
  }

  // ---------------------------------------------------------------- publication (files)

  private requestPublish(): void {
    if (this.publish.inFlight) {
      this.publish.dirty = true;
      return;
    }
    this.publish.inFlight = true;
    this.publish.dirty = false;
    this.emit({ type: "publish" });
  }

  private onPublished(ok: boolean, seqs: ReadonlyMap<string, number>, error: string | undefined): void {
    this.publish.inFlight = false;
    const wasReady = this.ready;
    if (ok) {
      this.publish.failures = 0;
      this.publish.lastError = undefined;
      this.publish.writes++;
      for (const [name, seq] of seqs) this.cred(name).writtenSeq = seq;
    } else {
      this.publish.failures++;
      this.publish.lastError = { at: this.now, kind: "write", message: error ?? "write failed" };
      const delay = backoffDelay(PUBLISH_BACKOFF, this.publish.failures, this.options.random());
      this.log("error", "writing credential files failed; the endpoint keeps serving from memory", { error: error ?? "", retry_in_ms: delay });
      this.arm(PUBLISH_TIMER, this.now + delay);
    }
    if (!wasReady && this.ready) {
      this.phase = "running";
      this.log("info", "all credentials written; ready", {});
      if (this.options.mode === "init") {
        this.phase = "stopped";
        this.log("info", "init mode: credentials written, exiting", {});
        this.emit({ type: "exit", code: 0 });
        return;
      }
    }
    if (ok && this.publish.dirty) this.requestPublish();
  }

  // ---------------------------------------------------------------- shutdown

  private onStop(reason: string): void {
    this.phase = "stopping";
    this.emit({ type: "disarm-all" });
    this.emit({ type: "abandon-calls" });
    const token = this.usableToken();
    const revoke = this.options.revokeOnExit && this.options.mode === "sidecar" && token !== undefined;
    this.log("info", "stopping", { reason, revoke: revoke });
    if (!revoke) return this.finish();
    this.shutdownStage = "leases";
    for (const c of this.credentials.values()) {
      for (const v of [...c.superseded, ...(c.current === undefined ? [] : [c.current])]) {
        const inFlight = this.pendingRevocations.has(`lease:${c.spec.name}:${v.seq}`);
        if (v.leaseId !== "" && !v.leaseLost && !inFlight && this.validUntil(v) > this.now) this.revokeLease(c, v, token);
      }
    }
    this.advanceShutdown();
  }

  private revokeTokens(): void {
    this.shutdownStage = "tokens";
    const tokens = [...this.auth.retired, ...(this.auth.current === undefined ? [] : [this.auth.current])].filter((t) => !t.dead && t.expiresAt > this.now);
    for (const token of tokens) {
      const target = `token:${this.options.fingerprint(token.accessor)}`;
      this.pendingRevocations.add(target);
      this.emit({ type: "revoke-token", target, token });
    }
    this.advanceShutdown();
  }

  private finish(): void {
    this.phase = "stopped";
    const interrupted = this.options.mode === "init" && !this.ready;
    this.log(interrupted ? "warn" : "info", interrupted ? "stopped before credentials were written" : "stopped", {});
    this.emit({ type: "exit", code: interrupted ? 1 : 0 });
  }

  private onWhileStopping(event: Event): void {
    switch (event.type) {
      case "revoke-done":
        this.onRevokeDone(event.target, event.error);
        return this.advanceShutdown();
      case "fetch-ok": {
        // Minted while stopping: revoke it too rather than leave it to expire.
        const token = this.usableToken();
        if (this.shutdownStage === "leases" && event.secret.leaseId !== "" && token !== undefined) {
          const target = `lease:${event.name}:late`;
          this.pendingRevocations.add(target);
          this.emit({ type: "revoke-lease", target, leaseId: event.secret.leaseId, token });
        }
        return;
      }
      case "published":
        this.publish.inFlight = false;
        return;
      default:
        return;
    }
  }

  /** Leases first (their revocations may still be in flight), then tokens, then exit. */
  private advanceShutdown(): void {
    if (this.pendingRevocations.size > 0) return;
    if (this.shutdownStage === "leases") this.revokeTokens();
    else if (this.shutdownStage === "tokens") this.finish();
  }

  // ---------------------------------------------------------------- effect helpers

  private emit(effect: Effect): void {
    this.out.push(effect);
  }

  private arm(key: string, at: number): void {
    this.emit({ type: "arm", key, at });
  }

  private disarm(key: string): void {
    this.emit({ type: "disarm", key });
  }

  private log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    this.emit({ type: "log", level, msg, fields });
  }
}

/** Vault returned less than the increment asked for (reference vault-api.md §4.3), not per period. */
function capped(remainingMs: number, incrementMs: number, warnings: readonly string[]): boolean {
  return incrementMs > 0 && remainingMs < incrementMs - 1000 && !warnings.some((w) => w.includes("period value is capped"));
}

function sameCredential(a: S3Credential, b: S3Credential): boolean {
  return a.accessKeyId === b.accessKeyId && a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken;
}

function isTransient(kind: Failure["kind"]): boolean {
  return kind === "sealed" || kind === "standby" || kind === "rate-limited" || kind === "server" || kind === "timeout" || kind === "transport";
}

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function loginHint({ kind, message }: Failure): string {
  if (/\((exp|nbf|iat)\) claim/.test(message)) {
    return "the projected service-account token is expired or not yet valid: check that the kubelet refreshes it and that node and Vault clocks agree";
  }
  if (message.includes("(aud) claim")) return "the token's audience does not match the Vault role's audience (settings: vault.audience)";
  switch (kind) {
    case "permission-denied":
      return "check the Kubernetes auth role (bound service account names/namespaces, audience) and that Vault can reach the TokenReview API; retrying";
    case "bad-request":
      return "check vault.role and vault.authMount (the airflow-vault.io/role annotation or the chart's vault.role)";
    case "tls":
      return "the Vault certificate is not trusted: check vault.caCert and vault.tlsServerName";
    case "transport":
    case "timeout":
      return "is vault.address reachable from the pod (NetworkPolicy, service mesh egress)?";
    case "sealed":
    case "standby":
      return "Vault is sealed or has no active node";
    case "jwt":
      return "the projected service-account token cannot be read: check the avi-token volume and vault.tokenFile";
    default:
      return "";
  }
}

function fetchHint(kind: Failure["kind"]): string {
  switch (kind) {
    case "permission-denied":
      return "the token's policies do not allow reading this path";
    case "not-found":
      return "no secret or role at this path (check the profile's path)";
    case "bad-request":
      return "Vault rejected the request (check the role behind the path and its TTL settings)";
    case "format":
      return "the response does not look like this credential's format (check format / fields)";
    default:
      return "";
  }
}
