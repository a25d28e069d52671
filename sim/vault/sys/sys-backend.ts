/**
 * The built-in `sys/` backend: health and seal, mounts and auth methods, ACL policies, leases
 * (`vault/logical_system.go`), capabilities, audited request headers, response wrapping.
 */
import type { Backend, BackendRequest, BackendResponse } from "../core/backend.js";
import type { VaultCore } from "../core/core.js";
import { errorResponse, unsupportedOperation, unsupportedPath } from "../server/errors.js";
import { getBool, getCommaList, getString } from "../core/fields.js";
import { PolicySyntaxError } from "../policy/policy-syntax.js";
import { handleLeases } from "./sys-leases.js";
import { handleMounts } from "./sys-mounts.js";
import { healthBody, healthStatus, sealStatusBody } from "./sys-health.js";

const UNAUTHENTICATED = new Set(["health", "seal-status", "unseal", "init", "leader", "wrapping/lookup"]);
const SUDO = [/^seal$/, /^auth\/./, /^config\/auditing\//, /^leases\/revoke-prefix\//, /^leases\/revoke-force\//, /^leases\/lookup\/.*/, /^revoke-prefix\//];

/** Go's `http.CanonicalHeaderKey`: `x-airflow-dag-id` → `X-Airflow-Dag-Id`. */
export const canonicalHeader = (name: string): string => name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());

export function createSysBackend(core: VaultCore): Backend {
  const isWrite = (req: BackendRequest): boolean => req.operation === "update" || req.operation === "create";

  function policies(req: BackendRequest, legacy: boolean): BackendResponse | null {
    const name = req.path.replace(/^policies\/acl\/?|^policy\/?/, "");
    if (name === "") {
      if (req.operation !== "list" && !(legacy && req.operation === "read")) throw unsupportedOperation();
      const keys = core.policies.list();
      return { data: legacy ? { keys, policies: keys } : { keys } };
    }
    const lower = name.toLowerCase();
    if (req.operation === "read") {
      const p = core.policies.get(lower);
      if (p === undefined) return null;
      return { data: legacy ? { name: p.name, rules: p.policy } : { name: p.name, policy: p.policy } };
    }
    if (req.operation === "delete") {
      if (lower === "root" || lower === "default") throw errorResponse(`cannot delete ${JSON.stringify(lower)} policy`);
      core.policies.delete(lower);
      return null;
    }
    if (!isWrite(req)) throw unsupportedOperation();
    if (lower === "root") throw errorResponse(`cannot update ${JSON.stringify("root")} policy`);
    const text = getString(req.data, "policy") || (legacy ? getString(req.data, "rules") : "");
    if (text === "") throw errorResponse("'policy' parameter not supplied or empty");
    try {
      core.policies.put(lower, text);
    } catch (err) {
      if (err instanceof PolicySyntaxError) throw errorResponse(`failed to parse policy: ${err.message}`);
      throw err;
    }
    return null;
  }

  function capabilities(req: BackendRequest, self: boolean): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    let policyNames = req.token!.policies;
    if (!self) {
      const id = getString(req.data, "token");
      const target = id === "" ? undefined : core.expiration.liveToken(id);
      if (target === undefined) throw errorResponse("invalid token");
      policyNames = target.policies;
    }
    const paths = getCommaList(req.data, "paths") ?? getCommaList(req.data, "path") ?? [];
    if (paths.length === 0) throw errorResponse("paths must be supplied");
    const acl = core.policies.acl(policyNames);
    const data: Record<string, unknown> = {};
    const all = new Set<string>();
    for (const path of paths) {
      const caps = acl.root ? ["root"] : [...acl.capabilities(path.replace(/^\//, ""))].sort();
      const shown = caps.length === 0 ? ["deny"] : caps;
      data[path] = shown;
      shown.forEach((c) => all.add(c));
    }
    data.capabilities = [...all].sort();
    return { data };
  }

  function auditedHeaders(req: BackendRequest): BackendResponse | null {
    const name = req.path.slice("config/auditing/request-headers".length).replace(/^\//, "");
    if (name === "") {
      if (req.operation !== "read") throw unsupportedOperation();
      const headers = Object.fromEntries([...core.auditedHeaders].map(([h, hmac]) => [canonicalHeader(h), { hmac }]));
      return { data: { headers } };
    }
    const key = name.toLowerCase();
    if (req.operation === "read") {
      const hmac = core.auditedHeaders.get(key);
      return hmac === undefined ? null : { data: { [canonicalHeader(key)]: { hmac } } };
    }
    if (req.operation === "delete") {
      core.auditedHeaders.delete(key);
      return null;
    }
    if (!isWrite(req)) throw unsupportedOperation();
    core.auditedHeaders.set(key, getBool(req.data, "hmac"));
    return null;
  }

  function wrapping(req: BackendRequest): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    const id = getString(req.data, "token") || (req.path === "wrapping/unwrap" ? (req.token?.id ?? "") : "");
    if (req.path === "wrapping/lookup") {
      const info = core.wrapping.lookup(id);
      if (info === undefined) throw errorResponse("wrapping token is not valid or does not exist");
      return { data: info };
    }
    if (req.path !== "wrapping/unwrap") throw unsupportedPath();
    const env = core.wrapping.unwrap(id);
    if (env === undefined) throw errorResponse("wrapping token is not valid or does not exist");
    return { rawBody: { ...env, request_id: req.requestId } };
  }

  return {
    type: "system",
    mountType: "system",
    isUnauthenticated: (path) => UNAUTHENTICATED.has(path),
    needsSudo: (path) => SUDO.some((re) => re.test(path)),
    async handle(req) {
      const path = req.path;
      if (path === "health") {
        if (req.operation !== "read" && req.operation !== "header") throw unsupportedOperation();
        const status = healthStatus(core.node, req.data);
        return { status, rawBody: healthBody(core.node, core.cluster, core.clock.now()) };
      }
      if (path === "seal-status") return { rawBody: sealStatusBody(core.node, core.cluster) };
      if (path === "init") return { rawBody: { initialized: core.node.initialized } };
      if (path === "leader") {
        return { rawBody: { ha_enabled: false, is_self: !core.node.standby, active_time: "0001-01-01T00:00:00Z", leader_address: "", leader_cluster_address: "", performance_standby: false, performance_standby_last_remote_wal: 0 } };
      }
      if (path === "seal") {
        if (!isWrite(req)) throw unsupportedOperation();
        core.node.sealed = true;
        return null;
      }
      if (path === "unseal") {
        if (!isWrite(req)) throw unsupportedOperation();
        if (!getBool(req.data, "reset")) {
          const key = getString(req.data, "key");
          if (key === "") throw errorResponse("'key' must be specified in request body as JSON, or 'reset' set to true");
          if (key !== core.unsealKey) throw errorResponse("invalid key");
          core.node.sealed = false;
        }
        return { rawBody: sealStatusBody(core.node, core.cluster) };
      }
      if (path === "mounts" || path.startsWith("mounts/")) return handleMounts(core, req, "secret");
      if (path === "auth" || path.startsWith("auth/")) return handleMounts(core, req, "auth");
      if (path === "policies/acl" || path.startsWith("policies/acl/")) return policies(req, false);
      if (path === "policy" || path.startsWith("policy/")) return policies(req, true);
      if (/^(leases\/|renew|revoke)/.test(path)) return handleLeases(core, req);
      if (path === "capabilities-self") return capabilities(req, true);
      if (path === "capabilities") return capabilities(req, false);
      if (path.startsWith("config/auditing/request-headers")) return auditedHeaders(req);
      if (path.startsWith("wrapping/")) return wrapping(req);
      throw unsupportedPath();
    },
  };
}
