/**
 * The lifecycle's vocabulary: the events the shell reports, the effects the machine asks for, and the
 * timer keys it arms. Plain data only; the machine (coordinator.ts) is the only producer of effects.
 */
import type { CredentialSpec } from "../config.js";
import type { IssuedCredential } from "../credential-format.js";
import type { VaultErrorKind } from "../vault-errors.js";
import type { VaultAuth } from "../vault-responses.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type Phase = "starting" | "running" | "stopping" | "stopped";

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

/** What the shell needs to call Vault with a token. Only effects carry it; no snapshot does. */
export interface TokenRef {
  readonly gen: number;
  readonly secret: string;
  /** Lease duration asked for at renewal (the login TTL). */
  readonly incrementMs: number;
}

/** A timer the machine arms; the shell keys its timers with `timerId` and hands the key back. */
export type TimerKey =
  | { readonly kind: "auth" }
  | { readonly kind: "publish" }
  | { readonly kind: "credential"; readonly name: string }
  | { readonly kind: "revoke"; readonly name: string; readonly seq: number };

/** A stable map key for a timer (never parsed back). */
export function timerId(key: TimerKey): string {
  switch (key.kind) {
    case "auth":
    case "publish":
      return key.kind;
    case "credential":
      return `credential\u0000${key.name}`;
    case "revoke":
      return `revoke\u0000${key.name}\u0000${key.seq}`;
  }
}

/** What a revocation was for; handed back in `revoke-done`. */
export type RevokeTarget =
  | { readonly kind: "lease"; readonly name: string; readonly seq: number | "late" }
  | { readonly kind: "token"; readonly fingerprint: string };

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

export type Event =
  | { readonly type: "start" }
  | { readonly type: "timer"; readonly key: TimerKey }
  | { readonly type: "login-ok"; readonly gen: number; readonly sentAt: number; readonly auth: AuthResult }
  | { readonly type: "login-failed"; readonly gen: number; readonly error: Failure }
  | { readonly type: "renew-token-ok"; readonly gen: number; readonly sentAt: number; readonly auth: AuthResult }
  | { readonly type: "renew-token-failed"; readonly gen: number; readonly error: Failure }
  | { readonly type: "fetch-ok"; readonly name: string; readonly tokenGen: number; readonly sentAt: number; readonly secret: FetchedSecret }
  | { readonly type: "fetch-failed"; readonly name: string; readonly tokenGen: number; readonly error: Failure }
  | { readonly type: "renew-lease-ok"; readonly name: string; readonly seq: number; readonly sentAt: number; readonly lease: LeaseResult }
  | { readonly type: "renew-lease-failed"; readonly name: string; readonly seq: number; readonly tokenGen: number; readonly error: Failure }
  | { readonly type: "revoke-done"; readonly target: RevokeTarget; readonly error?: Failure | undefined }
  | { readonly type: "published"; readonly ok: boolean; readonly seqs: ReadonlyMap<string, number>; readonly error?: string | undefined }
  | { readonly type: "jwt-changed" }
  /** Something status.json shows changed outside the machine (e.g. the bound ports). */
  | { readonly type: "status-changed" }
  | { readonly type: "stop"; readonly reason: string };

export type Effect =
  | { readonly type: "login"; readonly gen: number }
  | { readonly type: "renew-token"; readonly token: TokenRef }
  | { readonly type: "fetch"; readonly name: string; readonly token: TokenRef }
  | { readonly type: "renew-lease"; readonly name: string; readonly seq: number; readonly leaseId: string; readonly incrementS: number; readonly token: TokenRef }
  | { readonly type: "revoke-lease"; readonly target: RevokeTarget; readonly leaseId: string; readonly token: TokenRef }
  | { readonly type: "revoke-token"; readonly target: RevokeTarget; readonly token: TokenRef }
  | { readonly type: "arm"; readonly key: TimerKey; readonly at: number }
  | { readonly type: "disarm"; readonly key: TimerKey }
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

/**
 * What the sub-machines share for one `handle` call: the clock reading, the effect list and the
 * options. The coordinator implements it; nothing else does I/O.
 */
export interface Context {
  readonly options: LifecycleOptions;
  readonly now: number;
  emit(effect: Effect): void;
  arm(key: TimerKey, at: number): void;
  disarm(key: TimerKey): void;
  log(level: LogLevel, msg: string, fields: Record<string, unknown>): void;
  requestPublish(): void;
}

export function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
