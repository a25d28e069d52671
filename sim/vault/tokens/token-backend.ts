/**
 * The token store's HTTP side, `auth/token/*` (`vault/token_store.go`): lookup-self, renew-self, revoke-self,
 * plus create/lookup/renew/revoke (by token or accessor) for test setup, as a real Vault exposes them.
 */
import type { Backend, BackendRequest, BackendResponse, RenewedTtl } from "../core/backend.js";
import type { VaultCore } from "../core/core.js";
import { errorResponse, unsupportedOperation, unsupportedPath } from "../server/errors.js";
import { getBool, getCommaList, getDuration, getInt, getString, getStringMap } from "../core/fields.js";
import { goTime } from "../time/go-time.js";
import type { TokenEntry, TokenType } from "./token-store.js";

export function createTokenBackend(core: VaultCore): Backend {
  const isUpdate = (req: BackendRequest): boolean => req.operation === "update" || req.operation === "create";

  /** lookup / lookup-self data (`vault/token_store.go` handleLookup). */
  function lookupData(token: TokenEntry, includeId: boolean): Record<string, unknown> {
    const now = core.clock.now();
    const data: Record<string, unknown> = {
      accessor: token.accessor,
      creation_time: Math.floor(token.creationTime / 1000),
      creation_ttl: Math.trunc(token.creationTtl),
      display_name: token.displayName,
      entity_id: token.entityId,
      expire_time: null,
      explicit_max_ttl: Math.trunc(token.explicitMaxTtl),
      id: includeId ? token.id : "",
      meta: token.meta === null ? null : { ...token.meta },
      num_uses: token.numUses > 0 ? token.usesLeft : 0,
      orphan: token.orphan,
      path: token.path,
      policies: [...token.policies],
      ttl: 0,
      type: token.type,
    };
    if (token.role !== undefined) data.role = token.role;
    if (token.period > 0) data.period = Math.trunc(token.period);
    if (token.boundCidrs.length > 0) data.bound_cidrs = [...token.boundCidrs];
    const lease = core.expiration.tokenLease(token);
    if (lease !== undefined) {
      if (lease.lastRenewalTime !== undefined) {
        data.last_renewal_time = Math.floor(lease.lastRenewalTime / 1000);
        data.last_renewal = goTime(lease.lastRenewalTime);
      }
      data.expire_time = goTime(lease.expireTime);
      data.ttl = Math.max(0, Math.floor((lease.expireTime - now) / 1000));
      data.renewable = token.renewable && now < lease.expireTime;
      data.issue_time = goTime(lease.issueTime);
    } else if (token.batchExpireTime !== undefined) {
      data.expire_time = goTime(token.batchExpireTime);
      data.ttl = Math.max(0, Math.floor((token.batchExpireTime - now) / 1000));
      data.renewable = false;
      data.issue_time = goTime(token.creationTime);
    }
    return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
  }

  async function renew(token: TokenEntry, req: BackendRequest): Promise<BackendResponse> {
    if (token.type === "batch") throw errorResponse("batch tokens cannot be renewed");
    const increment = getDuration(req.data, "increment");
    const { ttl, warnings } = await core.expiration.renewToken(token, increment);
    return { authBlock: core.authBlock(token, ttl), warnings };
  }

  function revoke(token: TokenEntry, reason: string): null {
    if (token.type === "batch") throw errorResponse("batch tokens cannot be revoked");
    core.expiration.revokeToken(token.id, reason);
    return null;
  }

  function targetToken(req: BackendRequest): TokenEntry {
    const id = getString(req.data, "token");
    if (id === "") throw errorResponse("missing token");
    const token = core.expiration.liveToken(id);
    if (token === undefined) throw errorResponse("bad token", 403);
    return token;
  }

  function targetAccessor(req: BackendRequest): TokenEntry {
    const accessor = getString(req.data, "accessor");
    if (accessor === "") throw errorResponse("missing accessor");
    const token = core.expiration.tokens.getByAccessor(accessor);
    if (token === undefined || core.expiration.liveToken(token.id) === undefined) throw errorResponse("invalid accessor");
    return token;
  }

  function create(req: BackendRequest, forceOrphan: boolean): BackendResponse {
    const parent = req.token!;
    if (parent.type === "batch") throw errorResponse("batch tokens cannot create more tokens");
    if (parent.numUses > 0) throw errorResponse("restricted use token cannot generate child tokens");
    const parentIsRoot = parent.policies.includes("root");
    const sudo = parentIsRoot || core.policies.acl(parent.policies).capabilities(req.fullPath).has("sudo");
    const orphan = forceOrphan || getBool(req.data, "no_parent");
    if (getBool(req.data, "no_parent") && !sudo) throw errorResponse("root or sudo privileges required to create orphan token");
    const period = getDuration(req.data, "period");
    if (period > 0 && !sudo) throw errorResponse("root or sudo privileges required to create periodic token");
    const typeText = getString(req.data, "type", "service");
    if (typeText !== "service" && typeText !== "batch") throw errorResponse(`invalid 'token_type' value ${JSON.stringify(typeText)}`);
    const type: TokenType = typeText;
    if (type === "batch" && period > 0) throw errorResponse("batch tokens cannot be periodic");
    const noDefault = getBool(req.data, "no_default_policy");
    const requested = getCommaList(req.data, "policies");
    let policies: string[];
    if (requested === undefined || requested.length === 0) {
      policies = parentIsRoot ? ["root"] : core.sanitizePolicies(parent.policies.filter((p) => !(noDefault && p === "default")), false);
    } else {
      policies = core.sanitizePolicies(requested, !noDefault);
      if (!parentIsRoot) {
        const allowed = new Set(parent.policies);
        if (policies.some((p) => p !== "default" && !allowed.has(p))) throw errorResponse("child policies must be subset of parent");
      }
    }
    if (policies.includes("root") && !parentIsRoot) throw errorResponse("root tokens may not be created without parent token being root");
    const explicitMaxTtl = getDuration(req.data, "explicit_max_ttl");
    const ttls = core.mounts.ttls("auth/token/");
    let ttl: number;
    if (period > 0) ttl = explicitMaxTtl > 0 ? Math.min(period, explicitMaxTtl) : period;
    else {
      ttl = getDuration(req.data, "ttl", getDuration(req.data, "lease"));
      if (ttl === 0 && !policies.includes("root")) ttl = ttls.defaultLeaseTtl;
      if (ttl > ttls.maxLeaseTtl) ttl = ttls.maxLeaseTtl;
      if (explicitMaxTtl > 0 && ttl > explicitMaxTtl) ttl = explicitMaxTtl;
    }
    // A child never outlives a parent with an expiry.
    const parentLease = core.expiration.tokenLease(parent);
    if (!orphan && parentLease !== undefined) ttl = Math.min(ttl, Math.max(1, Math.floor((parentLease.expireTime - core.clock.now()) / 1000)));
    const displayName = getString(req.data, "display_name");
    const token = core.expiration.issueToken({
      id: getString(req.data, "id") || undefined,
      type,
      policies,
      meta: getStringMap(req.data, "meta") ?? null,
      displayName: `token${displayName === "" ? "" : `-${displayName}`}`,
      path: orphan && forceOrphan ? "auth/token/create-orphan" : "auth/token/create",
      mountPath: "auth/token/",
      parentId: orphan ? undefined : parent.id,
      ttl,
      explicitMaxTtl,
      period,
      backendTtl: ttl,
      backendMaxTtl: 0,
      numUses: getInt(req.data, "num_uses"),
      entityId: "",
      boundCidrs: [],
      renewable: type === "service" && getBool(req.data, "renewable", true),
      internal: {},
    });
    return { authBlock: core.authBlock(token, ttl) };
  }

  return {
    type: "token",
    mountType: "token",
    async handle(req) {
      const token = req.token!;
      switch (req.path) {
        case "lookup-self":
          if (req.operation !== "read" && !isUpdate(req)) throw unsupportedOperation();
          return { data: lookupData(token, true) };
        case "renew-self":
          if (!isUpdate(req)) throw unsupportedOperation();
          return renew(token, req);
        case "revoke-self":
          if (!isUpdate(req)) throw unsupportedOperation();
          return revoke(token, "revoke-self");
        case "create":
        case "create-orphan":
          if (!isUpdate(req)) throw unsupportedOperation();
          return create(req, req.path === "create-orphan");
        case "lookup":
          if (req.operation === "read" && req.data.token === undefined) return { data: lookupData(token, true) };
          return { data: lookupData(targetToken(req), true) };
        case "lookup-accessor":
          if (!isUpdate(req)) throw unsupportedOperation();
          return { data: lookupData(targetAccessor(req), false) };
        case "renew":
          if (!isUpdate(req)) throw unsupportedOperation();
          return renew(targetToken(req), req);
        case "revoke": {
          if (!isUpdate(req)) throw unsupportedOperation();
          const id = getString(req.data, "token");
          if (id === "") throw errorResponse("missing token");
          const target = core.expiration.liveToken(id);
          return target === undefined ? null : revoke(target, "auth/token/revoke");
        }
        case "revoke-accessor":
          if (!isUpdate(req)) throw unsupportedOperation();
          return revoke(targetAccessor(req), "auth/token/revoke-accessor");
        default:
          throw unsupportedPath();
      }
    },
    renewAuth(token): Promise<RenewedTtl> {
      return Promise.resolve({ ttl: token.backendTtl, maxTtl: token.backendMaxTtl, period: token.period });
    },
  };
}
