/**
 * The imperative shell around the lifecycle state machine: runs its effects (Vault calls through the
 * narrow VaultApi, timers on the injected clock, file publication, log lines) and feeds the outcomes
 * back as events. Events are processed one at a time, in order.
 */
import type { Cancel, Clock, Timers } from "./clock.js";
import type { CredentialSpec } from "./config.js";
import { CredentialFormatError, readCredential } from "./credential-format.js";
import { timerId, type Effect, type Event, type Failure, type Lifecycle, type LogLevel } from "./lifecycle/index.js";
import type { VaultApi } from "./vault-client.js";
import { VaultError } from "./vault-errors.js";

export interface RuntimeLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface RuntimeDeps {
  readonly machine: Lifecycle;
  /** The credentials the machine was made for (the shell needs their paths and formats). */
  readonly credentials: readonly CredentialSpec[];
  readonly vault: VaultApi;
  /** Reads the service-account JWT (fresh at every login). */
  readonly readJwt: () => Promise<string>;
  /** Writes the files for the machine's current state; resolves with the version written per credential. */
  readonly publish: () => Promise<ReadonlyMap<string, number>>;
  readonly time: Clock & Timers;
  readonly logger: RuntimeLogger;
  readonly onExit: (code: number) => void;
}

export class AgentRuntime {
  private readonly timers = new Map<string, Cancel>();
  private readonly specs: Map<string, CredentialSpec>;
  private readonly inFlight = new Set<Promise<void>>();
  private work = new AbortController();
  /** Cancels even revocations: only when the process is about to exit. */
  private readonly final = new AbortController();
  private readonly queue: Event[] = [];
  private dispatching = false;
  /** Set by abandonAll: the process is exiting, and a late outcome must not arm new timers. */
  private closed = false;

  constructor(private readonly deps: RuntimeDeps) {
    this.specs = new Map(deps.credentials.map((spec) => [spec.name, spec]));
  }

  dispatch(event: Event): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        for (const effect of this.deps.machine.handle(next, this.deps.time.now())) this.run(effect);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Resolves once no effect is in flight (tests and benchmarks use it to settle). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels every call in flight and every timer (the process is exiting). */
  abandonAll(): void {
    this.closed = true;
    this.queue.length = 0;
    this.work.abort();
    this.final.abort();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  /** Number of armed timers (tests check that shutdown leaves none). */
  get armedTimers(): number {
    return this.timers.size;
  }

  private track(task: () => Promise<void>): void {
    const p = task().finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private run(effect: Effect): void {
    const { vault, time } = this.deps;
    const signal = this.work.signal;
    switch (effect.type) {
      case "login":
        return this.call(
          async () => {
            const sentAt = time.now();
            const jwt = await this.deps.readJwt().catch((err: unknown) => {
              throw new JwtReadError((err as Error).message);
            });
            const auth = await vault.login(jwt, { signal });
            return { type: "login-ok", gen: effect.gen, sentAt, auth };
          },
          (error) => ({ type: "login-failed", gen: effect.gen, error }),
        );
      case "renew-token":
        return this.call(
          async () => {
            const sentAt = time.now();
            const auth = await vault.renewSelf(effect.token.secret, effect.token.incrementMs / 1000, { signal });
            return { type: "renew-token-ok", gen: effect.token.gen, sentAt, auth };
          },
          (error) => ({ type: "renew-token-failed", gen: effect.token.gen, error }),
        );
      case "fetch": {
        const spec = this.spec(effect.name);
        return this.call(
          async () => {
            const sentAt = time.now();
            const query = spec.ttl !== undefined && spec.ttl > 0 && spec.format !== "kv" ? { ttl: `${Math.round(spec.ttl)}s` } : undefined;
            const secret = await vault.read(effect.token.secret, spec.path, { minting: spec.format !== "kv", query, signal });
            const issued = readCredential(spec, secret, time.now());
            return {
              type: "fetch-ok",
              name: spec.name,
              tokenGen: effect.token.gen,
              sentAt,
              secret: { issued, leaseId: secret.leaseId, leaseDurationS: secret.leaseDurationS, renewable: secret.renewable, warnings: secret.warnings },
            };
          },
          (error) => ({ type: "fetch-failed", name: spec.name, tokenGen: effect.token.gen, error }),
        );
      }
      case "renew-lease":
        return this.call(
          async () => {
            const sentAt = time.now();
            const lease = await vault.renewLease(effect.token.secret, effect.leaseId, effect.incrementS, { signal });
            return { type: "renew-lease-ok", name: effect.name, seq: effect.seq, sentAt, lease };
          },
          (error) => ({ type: "renew-lease-failed", name: effect.name, seq: effect.seq, tokenGen: effect.token.gen, error }),
        );
      case "revoke-lease":
        // Revocations are not abandoned at shutdown: they are what shutdown waits for.
        return this.call(
          async () => {
            await vault.revokeLease(effect.token.secret, effect.leaseId, { signal: this.final.signal });
            return { type: "revoke-done", target: effect.target };
          },
          (error) => ({ type: "revoke-done", target: effect.target, error }),
        );
      case "revoke-token":
        return this.call(
          async () => {
            await vault.revokeSelf(effect.token.secret, { signal: this.final.signal });
            return { type: "revoke-done", target: effect.target };
          },
          (error) => ({ type: "revoke-done", target: effect.target, error }),
        );
      case "arm": {
        const id = timerId(effect.key);
        this.timers.get(id)?.();
        const cancel = time.at(effect.at, () => {
          this.timers.delete(id);
          this.dispatch({ type: "timer", key: effect.key });
        });
        this.timers.set(id, cancel);
        return;
      }
      case "disarm": {
        const id = timerId(effect.key);
        this.timers.get(id)?.();
        this.timers.delete(id);
        return;
      }
      case "disarm-all":
        for (const cancel of this.timers.values()) cancel();
        this.timers.clear();
        return;
      case "abandon-calls":
        this.work.abort();
        this.work = new AbortController();
        return;
      case "publish":
        return this.track(async () => {
          try {
            const seqs = await this.deps.publish();
            this.dispatch({ type: "published", ok: true, seqs });
          } catch (err) {
            this.dispatch({ type: "published", ok: false, seqs: new Map(), error: (err as Error).message });
          }
        });
      case "log":
        return this.log(effect.level, effect.fields, effect.msg);
      case "exit":
        for (const cancel of this.timers.values()) cancel();
        this.timers.clear();
        return this.deps.onExit(effect.code);
    }
  }

  /** Runs a Vault call and dispatches its outcome (after at least one await, never re-entrantly). */
  private call(attempt: () => Promise<Event>, failed: (error: Failure) => Event): void {
    this.track(async () => {
      let event: Event;
      try {
        event = await attempt();
      } catch (err) {
        event = failed(failureOf(err));
      }
      this.dispatch(event);
    });
  }

  private spec(name: string): CredentialSpec {
    const spec = this.specs.get(name);
    if (spec === undefined) throw new Error(`unknown credential ${name}`);
    return spec;
  }

  private log(level: LogLevel, fields: object, msg: string): void {
    this.deps.logger[level](fields, msg);
  }
}

class JwtReadError extends Error {
  override readonly name = "JwtReadError";
}

/** Any failure as the machine sees it. Messages carry paths and Vault's error text, never secrets. */
export function failureOf(err: unknown): Failure {
  if (err instanceof VaultError) {
    return { kind: err.kind, message: deletedVersionMessage(err) ?? err.message, retryAfterMs: err.retryAfterMs };
  }
  if (err instanceof CredentialFormatError) return { kind: "format", message: err.message };
  if (err instanceof JwtReadError) return { kind: "jwt", message: err.message };
  return { kind: "invalid-response", message: err instanceof Error ? err.message : String(err) };
}

/**
 * KV v2 answers 404 with the metadata when the current version is deleted or destroyed
 * (vault-plugin-secrets-kv `path_data.go` pathDataRead).
 */
function deletedVersionMessage(err: VaultError): string | undefined {
  const meta = (err.body as { data?: { metadata?: { version?: unknown; deletion_time?: unknown; destroyed?: unknown } } } | undefined)?.data?.metadata;
  if (meta === undefined) return undefined;
  const state = meta.destroyed === true ? "destroyed" : `deleted at ${String(meta.deletion_time)}`;
  return `${err.operation}: version ${String(meta.version)} of this KV v2 secret is ${state}; undelete it or write a new version`;
}
