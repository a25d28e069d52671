/**
 * An in-memory fake of the agent's narrow VaultApi (not a Vault simulator: sim/vault is that), for
 * lifecycle tests on fake time. Tokens and leases follow the rules the agent relies on (Vault's
 * `sdk/framework/lease.go` TTL capping, `vault/logical_system.go` lease errors, `vault/expiration.go`:
 * leases die with their token), and every
 * operation can be failed, delayed or taken down by the test.
 */
import type { CallOptions, LeaseRenewal, ReadOptions, TokenInfo, VaultApi, VaultAuth, VaultHealth, VaultSecret } from "../../agent/vault-client.js";
import { VaultError, type VaultErrorKind } from "../../agent/vault-errors.js";
import type { FakeTime } from "./fake-time.js";

export type Op = "login" | "lookupSelf" | "renewSelf" | "revokeSelf" | "read" | "write" | "renewLease" | "revokeLease" | "health";

interface TokenRec {
  readonly secret: string;
  readonly accessor: string;
  readonly issuedAt: number;
  readonly ttlS: number;
  readonly maxS: number;
  renewable: boolean;
  expiresAt: number;
  revoked: boolean;
}

interface LeaseRec {
  readonly id: string;
  readonly token: string;
  readonly issuedAt: number;
  readonly ttlS: number;
  readonly maxS: number;
  readonly renewable: boolean;
  expiresAt: number;
  revoked: boolean;
}

export interface Engine {
  /** Lease-less when undefined. */
  readonly lease?: { readonly ttlS: number; readonly renewable: boolean; readonly maxS: number };
  readonly data: (n: number, query: Readonly<Record<string, string>> | undefined) => Record<string, unknown>;
}

export const engines = {
  sts: (ttlS: number): Engine => ({
    lease: { ttlS, renewable: false, maxS: ttlS },
    data: (n) => ({ access_key: `ASIAFAKE${n}`, secret_key: `sts-secret-${n}-${rand()}`, security_token: `sts-token-${n}-${rand()}`, session_token: `sts-token-${n}-same`, ttl: ttlS }),
  }),
  iamUser: (ttlS: number, maxS: number): Engine => ({
    lease: { ttlS, renewable: true, maxS },
    data: (n) => ({ access_key: `AKIAFAKE${n}`, secret_key: `iam-secret-${n}-${rand()}`, security_token: null, session_token: null }),
  }),
  kv: (get: () => Record<string, unknown>): Engine => ({ data: () => ({ data: get(), metadata: { version: 1, created_time: "2026-05-01T00:00:00Z", deletion_time: "", destroyed: false } }) }),
};

function rand(): string {
  return Math.random().toString(36).slice(2, 10);
}

export class FakeVault implements VaultApi {
  readonly calls: { op: Op; at: number; path?: string; token?: string }[] = [];
  readonly tokens = new Map<string, TokenRec>();
  readonly leases = new Map<string, LeaseRec>();
  /** Every secret value handed out (tokens, keys), for log scans. */
  readonly issuedSecrets = new Set<string>();
  readonly engines = new Map<string, Engine>();
  tokenTtlS = 3600;
  tokenMaxS = 86_400;
  tokenRenewable = true;
  /** Every operation fails with ECONNREFUSED while true. */
  down = false;
  readonly delays: Partial<Record<Op, number>> = {};
  private readonly faults: { op: Op; error: () => VaultError; times: number }[] = [];
  private counter = 0;

  constructor(private readonly time: FakeTime) {}

  /** The next `times` calls of `op` fail with this error. */
  fail(op: Op, kind: VaultErrorKind, message: string, options: { times?: number; status?: number; retryAfterMs?: number } = {}): void {
    this.faults.push({ op, error: () => new VaultError(kind, op, message, options.status, options.retryAfterMs), times: options.times ?? 1 });
  }

  count(op: Op, path?: string): number {
    return this.calls.filter((c) => c.op === op && (path === undefined || c.path === path)).length;
  }

  revokeTokenOutside(secret: string): void {
    this.revokeToken(secret);
  }

  revokeLeaseOutside(id: string): void {
    const l = this.leases.get(id);
    if (l !== undefined) l.revoked = true;
  }

  liveLeases(): LeaseRec[] {
    return [...this.leases.values()].filter((l) => this.leaseAlive(l));
  }

  liveTokens(): TokenRec[] {
    return [...this.tokens.values()].filter((t) => this.tokenAlive(t));
  }

  private async enter(op: Op, path?: string, token?: string, signal?: AbortSignal): Promise<void> {
    this.calls.push({ op, at: this.time.now(), ...(path !== undefined ? { path } : {}), ...(token !== undefined ? { token } : {}) });
    const delay = this.delays[op];
    if (delay !== undefined) {
      // The agent passes one long-lived signal to many calls: remove the listener once the delay is over.
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([
          this.time.sleep(delay),
          new Promise<void>((_, reject) => {
            onAbort = () => reject(new VaultError("aborted", op, "cancelled"));
            signal?.addEventListener("abort", onAbort, { once: true });
          }),
        ]);
      } finally {
        if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
      }
    }
    if (signal?.aborted === true) throw new VaultError("aborted", op, "cancelled");
    if (this.down) throw new VaultError("transport", op, "connect ECONNREFUSED 127.0.0.1:8200");
    const fault = this.faults.find((f) => f.op === op);
    if (fault !== undefined) {
      if (--fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      throw fault.error();
    }
  }

  private tokenAlive(t: TokenRec | undefined): t is TokenRec {
    return t !== undefined && !t.revoked && this.time.now() < t.expiresAt;
  }

  private leaseAlive(l: LeaseRec): boolean {
    return !l.revoked && this.time.now() < l.expiresAt && this.tokenAlive(this.tokens.get(l.token));
  }

  private requireToken(op: Op, secret: string): TokenRec {
    const t = this.tokens.get(secret);
    if (!this.tokenAlive(t)) throw new VaultError("invalid-token", op, "2 errors occurred: * permission denied * invalid token", 403);
    return t;
  }

  private revokeToken(secret: string): void {
    const t = this.tokens.get(secret);
    if (t === undefined) return;
    t.revoked = true;
    for (const l of this.leases.values()) if (l.token === secret) l.revoked = true;
  }

  /** CalculateTTL: TTL capped to what remains before issue + max, with Vault's warning text. */
  private capped(issuedAt: number, wantS: number, maxS: number): { ttlS: number; warnings: string[] } {
    const remainingS = Math.floor((issuedAt + maxS * 1000 - this.time.now()) / 1000);
    if (remainingS < wantS) return { ttlS: Math.max(0, remainingS), warnings: [`TTL of "${wantS}s" exceeded the effective max_ttl of "${remainingS}s"; TTL value is capped accordingly`] };
    return { ttlS: wantS, warnings: [] };
  }

  async login(jwt: string, options?: CallOptions): Promise<VaultAuth> {
    await this.enter("login", undefined, undefined, options?.signal);
    if (jwt === "") throw new VaultError("bad-request", "login", "missing jwt", 400);
    const n = ++this.counter;
    const secret = `hvs.FAKE${n}${rand()}${rand()}`;
    const accessor = `accessor${n}${rand()}`;
    this.issuedSecrets.add(secret);
    this.issuedSecrets.add(jwt);
    const rec: TokenRec = { secret, accessor, issuedAt: this.time.now(), ttlS: this.tokenTtlS, maxS: this.tokenMaxS, renewable: this.tokenRenewable, expiresAt: this.time.now() + Math.min(this.tokenTtlS, this.tokenMaxS) * 1000, revoked: false };
    this.tokens.set(secret, rec);
    return { clientToken: secret, accessor, leaseDurationS: Math.min(this.tokenTtlS, this.tokenMaxS), renewable: this.tokenRenewable, policies: ["default", "app"], warnings: [] };
  }

  async lookupSelf(token: string, options?: CallOptions): Promise<TokenInfo> {
    await this.enter("lookupSelf", undefined, token, options?.signal);
    const t = this.requireToken("lookupSelf", token);
    return { accessor: t.accessor, ttlS: Math.floor((t.expiresAt - this.time.now()) / 1000), renewable: t.renewable, expireTime: new Date(t.expiresAt).toISOString(), policies: ["default", "app"] };
  }

  async renewSelf(token: string, incrementS: number, options?: CallOptions): Promise<VaultAuth> {
    await this.enter("renewSelf", undefined, token, options?.signal);
    const t = this.requireToken("renewSelf", token);
    if (!t.renewable) throw new VaultError("lease-not-renewable", "renew-self", "lease is not renewable", 400);
    const { ttlS, warnings } = this.capped(t.issuedAt, incrementS > 0 ? incrementS : t.ttlS, t.maxS);
    t.expiresAt = this.time.now() + ttlS * 1000;
    return { clientToken: token, accessor: t.accessor, leaseDurationS: ttlS, renewable: true, policies: ["default", "app"], warnings };
  }

  async revokeSelf(token: string, options?: CallOptions): Promise<void> {
    await this.enter("revokeSelf", undefined, token, options?.signal);
    this.requireToken("revokeSelf", token);
    this.revokeToken(token);
  }

  async read(token: string, path: string, options?: ReadOptions): Promise<VaultSecret> {
    await this.enter("read", path, token, options?.signal);
    this.requireToken("read", token);
    const engine = this.engines.get(path);
    if (engine === undefined) throw new VaultError("not-found", `read ${path}`, "HTTP 404", 404);
    const n = ++this.counter;
    const data = engine.data(n, options?.query);
    for (const v of Object.values(data)) if (typeof v === "string") this.issuedSecrets.add(v);
    if (engine.lease === undefined) return { leaseId: "", leaseDurationS: 0, renewable: false, data, warnings: [] };
    const requested = options?.query?.["ttl"] !== undefined ? Number.parseInt(options.query["ttl"], 10) : engine.lease.ttlS;
    const ttlS = Math.min(requested, engine.lease.maxS);
    const id = `${path}/lease${n}${rand()}`;
    this.leases.set(id, { id, token, issuedAt: this.time.now(), ttlS, maxS: engine.lease.maxS, renewable: engine.lease.renewable, expiresAt: this.time.now() + ttlS * 1000, revoked: false });
    return { leaseId: id, leaseDurationS: ttlS, renewable: engine.lease.renewable, data, warnings: [] };
  }

  async write(token: string, path: string, _data: Readonly<Record<string, unknown>>, options?: ReadOptions): Promise<VaultSecret | undefined> {
    await this.enter("write", path, token, options?.signal);
    this.requireToken("write", token);
    return undefined;
  }

  async renewLease(token: string, leaseId: string, incrementS: number, options?: CallOptions): Promise<LeaseRenewal> {
    await this.enter("renewLease", leaseId, token, options?.signal);
    this.requireToken("renewLease", token);
    const l = this.leases.get(leaseId);
    if (l === undefined || !this.leaseAlive(l)) throw new VaultError("lease-not-found", "renew lease", "lease not found", 400);
    if (!l.renewable) throw new VaultError("lease-not-renewable", "renew lease", "lease is not renewable", 400);
    const { ttlS, warnings } = this.capped(l.issuedAt, incrementS > 0 ? incrementS : l.ttlS, l.maxS);
    l.expiresAt = this.time.now() + ttlS * 1000;
    return { leaseDurationS: ttlS, renewable: true, warnings };
  }

  async revokeLease(token: string, leaseId: string, options?: CallOptions): Promise<void> {
    await this.enter("revokeLease", leaseId, token, options?.signal);
    this.requireToken("revokeLease", token);
    const l = this.leases.get(leaseId);
    if (l !== undefined) l.revoked = true;
  }

  async health(options?: CallOptions): Promise<VaultHealth> {
    await this.enter("health", undefined, undefined, options?.signal);
    return { initialized: true, sealed: false, standby: false, version: "1.16.0" };
  }
}
