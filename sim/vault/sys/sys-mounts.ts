/**
 * `sys/mounts`, `sys/auth` and their `tune` endpoints: enable, disable, list and tune engines the way
 * setup scripts drive a real Vault (`vault secrets enable`, `vault auth enable`).
 */
import type { BackendRequest, BackendResponse } from "../core/backend.js";
import type { VaultCore } from "../core/core.js";
import { formatGoDuration } from "../time/duration.js";
import { errorResponse, unsupportedOperation } from "../server/errors.js";
import { getBool, getDuration, getMap, getString, getStringMap } from "../core/fields.js";
import type { MountConfig, MountEntry } from "../core/mounts.js";

function mountInfo(m: MountEntry): Record<string, unknown> {
  return {
    accessor: m.accessor,
    config: {
      default_lease_ttl: Math.trunc(m.config.defaultLeaseTtl),
      force_no_cache: m.config.forceNoCache,
      max_lease_ttl: Math.trunc(m.config.maxLeaseTtl),
    },
    description: m.description,
    external_entropy_access: false,
    local: m.local,
    options: Object.keys(m.options).length === 0 ? null : { ...m.options },
    plugin_version: "",
    running_plugin_version: m.kind === "system" || ["kv", "aws", "kubernetes", "token"].includes(m.type) ? `v0.0.0+builtin` : "",
    running_sha256: "",
    seal_wrap: m.sealWrap,
    type: m.type,
    uuid: m.uuid,
  };
}

/** Parse a `config` map's TTLs; `"system"` or absent means "use the system default" (0). */
function ttlField(config: Readonly<Record<string, unknown>> | undefined, key: string): number | undefined {
  if (config === undefined || config[key] === undefined) return undefined;
  if (config[key] === "system") return 0;
  return getDuration(config, key);
}

export function handleMounts(core: VaultCore, req: BackendRequest, kind: "secret" | "auth"): BackendResponse | null {
  const prefix = kind === "secret" ? "mounts" : "auth";
  const rest = req.path.slice(prefix.length).replace(/^\//, "");
  const isWrite = req.operation === "update" || req.operation === "create";
  if (rest === "") {
    if (req.operation !== "read") throw unsupportedOperation();
    const list = kind === "secret" ? core.mounts.list("secrets-and-system") : core.mounts.list("auth");
    const data = Object.fromEntries(list.map((m) => [kind === "auth" ? m.path.slice("auth/".length) : m.path, mountInfo(m)]));
    return { data };
  }
  const tune = rest.endsWith("/tune");
  const bare = `${(tune ? rest.slice(0, -"/tune".length) : rest).replace(/\/*$/, "")}/`;
  const full = kind === "auth" ? `auth/${bare}` : bare;
  if (tune) return handleTune(core, req, full);
  if (req.operation === "read") {
    const m = core.mounts.get(full);
    return m === undefined ? null : { data: mountInfo(m) };
  }
  if (req.operation === "delete") {
    core.disableMount(full);
    return null;
  }
  if (!isWrite) throw unsupportedOperation();
  const type = getString(req.data, "type");
  if (type === "") throw errorResponse("backend type must be specified as a string");
  const config = getMap(req.data, "config");
  core.enableMount({
    kind,
    path: bare,
    type,
    description: getString(req.data, "description"),
    config: {
      defaultLeaseTtl: ttlField(config, "default_lease_ttl"),
      maxLeaseTtl: ttlField(config, "max_lease_ttl"),
      forceNoCache: config === undefined ? false : getBool(config, "force_no_cache"),
    },
    options: getStringMap(req.data, "options") ?? {},
    local: getBool(req.data, "local"),
    sealWrap: getBool(req.data, "seal_wrap"),
  });
  return null;
}

function handleTune(core: VaultCore, req: BackendRequest, full: string): BackendResponse | null {
  const m = core.mounts.get(full);
  if (m === undefined) throw errorResponse(`cannot fetch mount entry on "${full}"`);
  const effective = core.mounts.ttls(full);
  if (req.operation === "read") {
    return {
      data: {
        default_lease_ttl: Math.trunc(effective.defaultLeaseTtl),
        description: m.description,
        force_no_cache: m.config.forceNoCache,
        max_lease_ttl: Math.trunc(effective.maxLeaseTtl),
        ...(Object.keys(m.options).length > 0 ? { options: { ...m.options } } : {}),
      },
    };
  }
  if (req.operation !== "update" && req.operation !== "create") throw unsupportedOperation();
  const next: MountConfig = { ...m.config };
  const def = ttlField(req.data, "default_lease_ttl");
  const max = ttlField(req.data, "max_lease_ttl");
  if (def !== undefined) next.defaultLeaseTtl = def;
  if (max !== undefined) next.maxLeaseTtl = max;
  // Only explicitly tuned values are compared; an unset default follows the (smaller) max.
  if (next.defaultLeaseTtl > 0 && next.maxLeaseTtl > 0 && next.defaultLeaseTtl > next.maxLeaseTtl) {
    throw errorResponse(`default_lease_ttl (${formatGoDuration(next.defaultLeaseTtl)}) cannot be greater than max_lease_ttl (${formatGoDuration(next.maxLeaseTtl)})`);
  }
  Object.assign(m.config, next);
  if (req.data.description !== undefined) m.description = getString(req.data, "description");
  const options = getStringMap(req.data, "options");
  if (options !== undefined) m.options = { ...m.options, ...options };
  return null;
}
