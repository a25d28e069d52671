/**
 * The simulator's core: the state (mounts, tokens, leases, policies, identity, seal) and the request
 * pipeline Vault runs for every `/v1/` call — Agent-mode header check (412), seal check (503), token
 * check (403 permission denied / invalid token), ACL with existence check (create vs update), routing
 * to the mount, then leases, tokens, response wrapping and the envelope (Vault `http/logical.go`,
 * `vault/request_handling.go`).
 */
import type { Operation } from "../policy/acl.js";
import type { AuthSpec, Backend, BackendRequest, BackendResponse } from "./backend.js";
import type { PluginCatalog } from "./catalog.js";
import type { SimClock } from "../time/clock.js";
import { cidrAllows } from "../tokens/cidr.js";
import type { CompatOptions } from "../server/compat.js";
import { envelope, type AuthBlock, type Envelope } from "../server/envelope.js";
import { codedError, emptyError, errorResponse, errorStrings, permissionDenied, VaultError } from "../server/errors.js";
import { EventLog } from "../server/events.js";
import { ExpirationManager } from "./expiration.js";
import * as ids from "./identifiers.js";
import { injectDataIntoTop, injectsDataIntoTop, nonLogicalMethodAllowed } from "../server/http-routes.js";
import { IdentityStore } from "./identity.js";
import { MountTable, type MountConfig, type MountEntry, type MountKind } from "./mounts.js";
import { PolicyStore } from "../policy/policy-store.js";
import { parseLogicalRequest, type LogicalRequest, type RawRequest } from "../server/request.js";
import { ResponseWrapping } from "../server/response-wrapping.js";
import type { ClusterIdentity, NodeState } from "../sys/sys-health.js";
import type { TokenEntry, TokenType } from "../tokens/token-store.js";
import { calculateTtl, TtlError, type MountTtls } from "../time/ttl.js";

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface CoreOptions {
  readonly clock: SimClock;
  readonly rootToken: string;
  readonly compat: CompatOptions;
  readonly system: MountTtls;
  readonly version: string;
  readonly requireRequestHeader: boolean;
  readonly sweep: boolean;
  readonly catalog: PluginCatalog;
  /** Builds the built-in `sys/` and `auth/token/` backends (they need the core itself). */
  readonly builtins: (core: VaultCore) => { sys: Backend; token: Backend };
}

/** Paths that answer while sealed (Vault's unauthenticated seal/health endpoints). */
const SEAL_EXEMPT = new Set(["sys/health", "sys/seal-status", "sys/unseal", "sys/init", "sys/leader"]);

export interface EnableMountSpec {
  readonly kind: Exclude<MountKind, "system">;
  /** Without `auth/` and with or without trailing slash (`secret`, `kubernetes`). */
  readonly path: string;
  readonly type: string;
  readonly description?: string;
  readonly config?: Partial<MountConfig>;
  readonly options?: Record<string, string>;
  readonly local?: boolean;
  readonly sealWrap?: boolean;
}

export class VaultCore {
  readonly clock: SimClock;
  readonly compat: CompatOptions;
  readonly mounts: MountTable;
  readonly events = new EventLog();
  readonly expiration: ExpirationManager;
  readonly policies = new PolicyStore();
  readonly identity = new IdentityStore();
  readonly wrapping: ResponseWrapping;
  readonly node: NodeState = {
    initialized: true,
    sealed: false,
    standby: false,
    performanceStandby: false,
    drSecondary: false,
    haUnhealthy: false,
    removed: false,
  };
  readonly cluster: ClusterIdentity;
  /** `sys/config/auditing/request-headers`: header name (lower case) → hmac flag. */
  readonly auditedHeaders = new Map<string, boolean>();
  readonly unsealKey = Buffer.from(ids.base62(32)).toString("base64");
  requireRequestHeader: boolean;
  readonly rootToken: TokenEntry;
  private readonly catalog: PluginCatalog;

  constructor(options: CoreOptions) {
    this.clock = options.clock;
    this.compat = options.compat;
    this.catalog = options.catalog;
    this.requireRequestHeader = options.requireRequestHeader;
    this.mounts = new MountTable(options.system);
    this.expiration = new ExpirationManager(
      this.clock,
      {
        ttls: (path) => this.mounts.ttls(path),
        backend: (path) => this.mounts.get(path)?.backend,
      },
      this.events,
      { sweep: options.sweep, expiredLeaseRetentionSeconds: options.compat.expiredLeaseRetentionSeconds },
    );
    this.wrapping = new ResponseWrapping(this.expiration);
    this.cluster = { version: options.version, clusterName: `vault-cluster-${ids.base62(8).toLowerCase()}`, clusterId: ids.uuid() };
    const builtins = options.builtins(this);
    this.mounts.add(this.builtinMount("sys/", "system", "system endpoints used for control, policy and debugging", builtins.sys));
    this.mounts.add(this.builtinMount("auth/token/", "token", "token based credentials", builtins.token));
    this.rootToken = this.expiration.issueToken({
      id: options.rootToken,
      type: "service",
      policies: ["root"],
      meta: null,
      displayName: "root",
      path: "auth/token/root",
      mountPath: "auth/token/",
      ttl: 0,
      explicitMaxTtl: 0,
      period: 0,
      backendTtl: 0,
      backendMaxTtl: 0,
      numUses: 0,
      entityId: "",
      boundCidrs: [],
      renewable: false,
      internal: {},
    });
  }

  // ── mounts ──────────────────────────────────────────────────────────────────────────────────────

  private builtinMount(path: string, type: string, description: string, backend: Backend): MountEntry {
    return {
      path,
      kind: path === "sys/" ? "system" : "auth",
      type,
      description,
      accessor: ids.mountAccessor(type === "token" ? "auth_token" : type),
      uuid: ids.uuid(),
      config: { defaultLeaseTtl: 0, maxLeaseTtl: 0, forceNoCache: false },
      options: {},
      local: false,
      sealWrap: false,
      backend,
    };
  }

  /** `sys/mounts/<path>` and `sys/auth/<path>`; errors are Vault's 400 messages. */
  enableMount(spec: EnableMountSpec): MountEntry {
    const bare = spec.path.replace(/^\/+/, "").replace(/\/*$/, "/");
    const full = spec.kind === "auth" ? `auth/${bare}` : bare;
    if (bare === "/") throw errorResponse("path cannot be empty");
    if (spec.kind === "secret" && ["sys/", "auth/", "cubbyhole/", "identity/"].some((r) => full.startsWith(r))) {
      throw errorResponse(`cannot mount to reserved path ${JSON.stringify(full)}`);
    }
    const existing = this.mounts.conflict(full);
    if (existing !== undefined) {
      if (existing.path === full) throw errorResponse(`path is already in use at ${bare}`);
      throw errorResponse(`existing mount at ${existing.path}`);
    }
    const plugin = this.catalog.resolve(spec.kind, spec.type, spec.options ?? {});
    if (plugin === undefined) throw errorResponse(`plugin not found in the catalog: ${spec.type}`);
    const config: MountConfig = {
      defaultLeaseTtl: spec.config?.defaultLeaseTtl ?? 0,
      maxLeaseTtl: spec.config?.maxLeaseTtl ?? 0,
      forceNoCache: spec.config?.forceNoCache ?? false,
    };
    const entry: MountEntry = {
      path: full,
      kind: spec.kind,
      type: plugin.type,
      description: spec.description ?? "",
      accessor: ids.mountAccessor(spec.kind === "auth" ? `auth_${plugin.type}` : plugin.type),
      uuid: ids.uuid(),
      config,
      options: plugin.options,
      local: spec.local ?? false,
      sealWrap: spec.sealWrap ?? false,
      backend: plugin.create({ clock: this.clock, mountPath: full, mountTtls: () => this.mounts.ttls(full) }, plugin.options),
    };
    this.mounts.add(entry);
    return entry;
  }

  /** Unmount: every lease issued under the mount is revoked first, as Vault does. */
  disableMount(fullPath: string): void {
    const entry = this.mounts.get(fullPath);
    if (entry === undefined || entry.kind === "system" || fullPath === "auth/token/") return;
    for (const lease of this.expiration.allLeases()) {
      if (lease.mountPath === fullPath && lease.state === "active") {
        if (lease.kind === "auth") this.expiration.revokeToken(lease.tokenId, "mount disabled");
        else this.expiration.revokeLease(lease.id, "mount disabled");
      }
    }
    this.mounts.remove(fullPath);
  }

  // ── tokens ──────────────────────────────────────────────────────────────────────────────────────

  /** Vault's `policyutil.SanitizePolicies`: trim, dedupe, add `default` unless refused, sort. */
  sanitizePolicies(policies: readonly string[], addDefault: boolean): string[] {
    const set = new Set(policies.map((p) => p.trim().toLowerCase()).filter((p) => p !== ""));
    if (set.has("root")) return ["root"];
    if (addDefault) set.add("default");
    return [...set].sort();
  }

  /**
   * The caller's token, or the 403 Vault answers: `permission denied` without a token,
   * `permission denied` + `invalid token` for an unknown, revoked or expired one.
   */
  resolveToken(id: string | undefined, remoteAddress: string): TokenEntry {
    if (id === undefined || id === "") throw permissionDenied();
    const token = this.expiration.liveToken(id);
    if (token === undefined) throw codedError(403, ...this.compat.invalidTokenErrors);
    if (token.boundCidrs.length > 0 && !cidrAllows(token.boundCidrs, remoteAddress)) throw permissionDenied();
    return token;
  }

  /** Turn a login's `auth` into a token and the `auth` block of the response (vault-plugin-auth-kubernetes
   * `path_login.go`). */
  issueLoginToken(mount: MountEntry, path: string, auth: AuthSpec): { token: TokenEntry; block: AuthBlock; warnings: readonly string[] } {
    const tokenType: TokenType = auth.tokenType;
    const policies = this.sanitizePolicies(auth.policies, !auth.noDefaultPolicy);
    let ttl: number;
    let warnings: readonly string[];
    try {
      ({ ttl, warnings } = calculateTtl({
        now: this.clock.now(),
        mount: this.mounts.ttls(mount.path),
        increment: 0,
        backendTtl: auth.ttl,
        period: tokenType === "batch" ? 0 : auth.period,
        backendMaxTtl: auth.maxTtl,
        explicitMaxTtl: auth.explicitMaxTtl,
      }));
    } catch (err) {
      if (err instanceof TtlError) throw codedError(500, err.message);
      throw err;
    }
    const source = mount.path.slice("auth/".length).replaceAll("/", "-");
    const displayName = `${source}${auth.displayName}`.replace(/-$/, "");
    const entityId = auth.alias === undefined ? "" : this.identity.entityFor(mount.accessor, auth.alias.name, auth.alias.metadata);
    const token = this.expiration.issueToken({
      type: tokenType,
      policies,
      meta: auth.metadata,
      displayName,
      path,
      mountPath: mount.path,
      ttl,
      explicitMaxTtl: auth.explicitMaxTtl,
      period: tokenType === "batch" ? 0 : auth.period,
      backendTtl: auth.ttl,
      backendMaxTtl: auth.maxTtl,
      numUses: auth.numUses,
      entityId,
      boundCidrs: auth.boundCidrs,
      renewable: auth.renewable,
      internal: auth.internal,
    });
    return { token, block: this.authBlock(token, ttl), warnings };
  }

  /** The `auth` object of login / renew-self responses (`sdk/logical/translate_response.go` HTTPAuth). */
  authBlock(token: TokenEntry, leaseDuration: number): AuthBlock {
    return {
      client_token: token.id,
      accessor: token.accessor,
      policies: [...token.policies],
      token_policies: [...token.policies],
      metadata: token.meta === null ? null : { ...token.meta },
      lease_duration: Math.trunc(leaseDuration),
      renewable: token.renewable,
      entity_id: token.entityId,
      token_type: token.type,
      orphan: token.orphan,
      mfa_requirement: null,
      num_uses: token.numUses,
    };
  }

  // ── the request pipeline ──────────────────────────────────────────────────────────────────────

  async handle(raw: RawRequest): Promise<HttpResult> {
    const base: Record<string, string> = { "cache-control": "no-store" };
    const namespace = raw.headers["x-vault-namespace"];
    if (namespace !== undefined && namespace !== "" && this.compat.echoNamespaceHeader) base["x-vault-namespace"] = namespace;
    if (this.requireRequestHeader && raw.headers["x-vault-request"] !== "true") {
      return jsonResult(412, { errors: [this.compat.requestHeaderError] }, base);
    }
    if (!nonLogicalMethodAllowed(raw.method, raw.url)) return jsonResult(405, { errors: [] }, base);
    let authenticated = false;
    let unauthenticatedPath = false;
    let usedToken: TokenEntry | undefined;
    try {
      let logical: LogicalRequest;
      try {
        logical = parseLogicalRequest(raw);
      } catch (err) {
        if (err instanceof URIError) throw errorResponse("invalid URL escape in request path");
        throw err;
      }
      if ((this.node.sealed || !this.node.initialized) && !SEAL_EXEMPT.has(logical.path)) {
        throw errorResponse("Vault is sealed", 503);
      }
      const routed = this.mounts.route(logical.path);
      unauthenticatedPath = routed?.mount.backend.isUnauthenticated?.(routed.rest) ?? false;
      let token: TokenEntry | undefined;
      let operation: Operation = logical.operation;
      if (!unauthenticatedPath) {
        authenticated = true;
        token = this.resolveToken(logical.clientToken, raw.remoteAddress);
        usedToken = token;
        if (token.numUses > 0) token.usesLeft -= 1;
        if (routed !== undefined && operation === "update" && routed.mount.backend.exists !== undefined) {
          const exists = await routed.mount.backend.exists(this.backendRequest(logical, routed, operation, token, raw));
          if (exists === false) operation = "create";
        }
        const sudo = routed?.mount.backend.needsSudo?.(routed.rest) ?? false;
        if (!this.policies.acl(token.policies).allows(logical.path, operation, sudo)) throw permissionDenied();
      }
      if (routed === undefined) {
        if (this.compat.unknownRoute === "empty") throw emptyError(404);
        throw codedError(404, `no handler for route ${JSON.stringify(logical.path)}. route entry not found.`);
      }
      const req = this.backendRequest(logical, routed, operation, token, raw);
      const resp = await routed.mount.backend.handle(req);
      return this.respond(logical, routed.mount, req, resp, base, injectsDataIntoTop(raw.url));
    } catch (err) {
      if (!(err instanceof VaultError)) {
        const message = err instanceof Error ? err.message : String(err);
        return jsonResult(500, { errors: errorStrings(codedError(500, message), authenticated && !unauthenticatedPath) }, base);
      }
      const headers = { ...base, ...err.headers };
      return jsonResult(err.status, { errors: errorStrings(err, authenticated && !unauthenticatedPath) }, headers);
    } finally {
      if (usedToken !== undefined && usedToken.numUses > 0 && usedToken.usesLeft <= 0) this.expiration.revokeToken(usedToken.id, "num_uses exhausted");
    }
  }

  private backendRequest(
    logical: LogicalRequest,
    routed: { mount: MountEntry; rest: string },
    operation: Operation,
    token: TokenEntry | undefined,
    raw: RawRequest,
  ): BackendRequest {
    return {
      operation,
      path: routed.rest,
      fullPath: logical.path,
      mountPath: routed.mount.path,
      data: logical.data,
      token,
      remoteAddress: raw.remoteAddress,
      requestId: ids.uuid(),
      headers: raw.headers,
    };
  }

  private respond(
    logical: LogicalRequest,
    mount: MountEntry,
    req: BackendRequest,
    resp: BackendResponse | null,
    base: Record<string, string>,
    injectData: boolean,
  ): HttpResult {
    if (resp === null) {
      if (req.operation === "read" || req.operation === "list") throw emptyError(404);
      return { status: 204, headers: { ...base, "content-type": "application/json" } };
    }
    if (resp.emptyBody === true) return { status: resp.status ?? 204, headers: { ...base, "content-type": "application/json" } };
    if (resp.rawBody !== undefined) {
      const status = resp.status ?? 200;
      if (req.operation === "header") return { status, headers: { ...base, "content-type": "application/json" } };
      return jsonResult(status, resp.rawBody, base);
    }
    const mountType = mount.kind === "system" ? this.compat.sysMountType : mount.backend.mountType;
    const warnings = [...(resp.warnings ?? [])];
    let leaseId = resp.leaseIdOverride ?? "";
    let renewable = resp.renewable ?? false;
    let leaseDuration = resp.leaseDuration ?? 0;
    let auth: AuthBlock | null = null;
    if (resp.secret !== undefined) {
      const ttls = this.mounts.ttls(mount.path);
      let ttl = resp.secret.ttl > 0 ? resp.secret.ttl : ttls.defaultLeaseTtl;
      const max = resp.secret.maxTtl > 0 && resp.secret.maxTtl < ttls.maxLeaseTtl ? resp.secret.maxTtl : ttls.maxLeaseTtl;
      if (ttl > max) ttl = max;
      if (req.token?.batchExpireTime !== undefined) ttl = Math.min(ttl, Math.max(0, Math.floor((req.token.batchExpireTime - this.clock.now()) / 1000)));
      const lease = this.expiration.registerSecret(logical.path.replace(/\/$/, ""), mount.path, req.token, resp.secret, ttl);
      leaseId = lease.id;
      renewable = resp.secret.renewable;
      leaseDuration = ttl;
    }
    if (resp.auth !== undefined) {
      const issued = this.issueLoginToken(mount, logical.path, resp.auth);
      auth = issued.block;
      warnings.push(...issued.warnings);
    }
    const body: Envelope = envelope({
      requestId: req.requestId,
      leaseId,
      renewable,
      leaseDuration,
      data: resp.data ?? null,
      warnings,
      auth: resp.authBlock ?? auth,
      mountType,
    });
    if (logical.wrapTtl !== undefined) {
      const wrapInfo = this.wrapping.wrap(body, logical.wrapTtl, logical.path, this.clock.now());
      return jsonResult(resp.status ?? 200, envelope({ requestId: req.requestId, wrapInfo, mountType }), base);
    }
    return jsonResult(resp.status ?? 200, injectData ? injectDataIntoTop(body) : body, base);
  }
}

/** A JSON body the way Go's `json.Encoder` writes it (trailing newline). */
export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    status,
    headers: { "cache-control": "no-store", ...headers, "content-type": "application/json" },
    body: `${JSON.stringify(body)}\n`,
  };
}
