/**
 * KV version 2 (`vault-plugin-secrets-kv` `path_data.go` and siblings): versioned `data/`, `metadata/`, `delete/`,
 * `undelete/`, `destroy/`, `config`. A soft-deleted or destroyed version reads as 404 **with** the full
 * envelope (`data.data: null`, metadata filled in); a never-written path or version is a bare 404.
 */
import type { Backend, BackendContext, BackendRequest, BackendResponse } from "../core/backend.js";
import { formatGoDuration } from "../time/duration.js";
import { errorResponse, unsupportedOperation } from "../server/errors.js";
import { getBool, getDuration, getInt, getMap, getStringMap } from "../core/fields.js";
import { goTime } from "../time/go-time.js";
import { listChildren } from "./kv-v1.js";

interface Version {
  readonly createdTime: number;
  deletionTime?: number;
  destroyed: boolean;
  data?: Record<string, unknown>;
}

interface KeyMetadata {
  readonly createdTime: number;
  updatedTime: number;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
  versions: Map<number, Version>;
}

const INVALID_PATH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

export function createKvV2Backend(ctx: BackendContext): Backend {
  const keys = new Map<string, KeyMetadata>();
  const config = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };
  const now = (): number => ctx.clock.now();
  const isWrite = (req: BackendRequest): boolean => req.operation === "update" || req.operation === "create";

  const isDeleted = (v: Version): boolean => v.deletionTime !== undefined && v.deletionTime <= now();

  function versionMetadata(meta: KeyMetadata, number: number, v: Version): Record<string, unknown> {
    return {
      created_time: goTime(v.createdTime),
      custom_metadata: meta.customMetadata === null ? null : { ...meta.customMetadata },
      deletion_time: v.deletionTime === undefined ? "" : goTime(v.deletionTime),
      destroyed: v.destroyed,
      version: number,
    };
  }

  function readData(path: string, req: BackendRequest): BackendResponse | null {
    const meta = keys.get(path);
    if (meta === undefined) return null;
    const requested = getInt(req.data, "version");
    const number = requested > 0 ? requested : meta.currentVersion;
    const v = meta.versions.get(number);
    if (v === undefined) return null;
    const metadata = versionMetadata(meta, number, v);
    if (v.destroyed || isDeleted(v)) return { status: 404, data: { data: null, metadata } };
    return { data: { data: { ...v.data }, metadata } };
  }

  function writeData(path: string, req: BackendRequest, patch: boolean): BackendResponse | null {
    const data = getMap(req.data, "data");
    if (data === undefined) throw errorResponse("no data provided");
    const options = getMap(req.data, "options") ?? {};
    let meta = keys.get(path);
    if (patch) {
      const current = meta?.versions.get(meta.currentVersion);
      if (meta === undefined || current === undefined || current.destroyed || isDeleted(current)) return null;
    }
    const casRequired = config.casRequired || (meta?.casRequired ?? false);
    if (options.cas === undefined && casRequired) throw errorResponse("check-and-set parameter required for this call");
    if (options.cas !== undefined && getInt(options, "cas") !== (meta?.currentVersion ?? 0)) {
      throw errorResponse("check-and-set parameter did not match the current version");
    }
    const t = now();
    if (meta === undefined) {
      meta = { createdTime: t, updatedTime: t, currentVersion: 0, oldestVersion: 0, maxVersions: 0, casRequired: false, deleteVersionAfter: 0, customMetadata: null, versions: new Map() };
      keys.set(path, meta);
    }
    const merged = patch ? mergePatch(meta.versions.get(meta.currentVersion)?.data ?? {}, data) : { ...data };
    const number = meta.currentVersion + 1;
    const deleteAfter = meta.deleteVersionAfter > 0 ? meta.deleteVersionAfter : config.deleteVersionAfter;
    const version: Version = { createdTime: t, destroyed: false, data: merged, deletionTime: deleteAfter > 0 ? t + deleteAfter * 1000 : undefined };
    meta.versions.set(number, version);
    meta.currentVersion = number;
    meta.updatedTime = t;
    if (meta.oldestVersion === 0) meta.oldestVersion = 1;
    const max = meta.maxVersions > 0 ? meta.maxVersions : config.maxVersions > 0 ? config.maxVersions : 10;
    while (meta.versions.size > max) {
      const oldest = Math.min(...meta.versions.keys());
      meta.versions.delete(oldest);
      meta.oldestVersion = Math.min(...meta.versions.keys());
    }
    return { data: versionMetadata(meta, number, version) };
  }

  function readMetadata(meta: KeyMetadata): BackendResponse {
    const versions = Object.fromEntries(
      [...meta.versions.entries()].sort(([a], [b]) => a - b).map(([n, v]) => [String(n), { created_time: goTime(v.createdTime), deletion_time: v.deletionTime === undefined ? "" : goTime(v.deletionTime), destroyed: v.destroyed }]),
    );
    return {
      data: {
        cas_required: meta.casRequired,
        created_time: goTime(meta.createdTime),
        current_version: meta.currentVersion,
        custom_metadata: meta.customMetadata === null ? null : { ...meta.customMetadata },
        delete_version_after: formatGoDuration(meta.deleteVersionAfter),
        max_versions: meta.maxVersions,
        oldest_version: meta.oldestVersion,
        updated_time: goTime(meta.updatedTime),
        versions,
      },
    };
  }

  function versionsArg(req: BackendRequest): number[] {
    const raw = req.data.versions;
    const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : raw === undefined ? [] : [raw];
    const out = list.map((v) => Number(v)).filter((n) => Number.isInteger(n) && n > 0);
    if (out.length === 0) throw errorResponse("no version number provided");
    return out;
  }

  function versionOps(action: string, path: string, req: BackendRequest): BackendResponse | null {
    if (!isWrite(req)) throw unsupportedOperation();
    const meta = keys.get(path);
    const numbers = versionsArg(req);
    if (meta === undefined) return null;
    for (const n of numbers) {
      const v = meta.versions.get(n);
      if (v === undefined) continue;
      if (action === "delete" && !v.destroyed && !isDeleted(v)) v.deletionTime = now();
      if (action === "undelete" && !v.destroyed) v.deletionTime = undefined;
      if (action === "destroy") {
        v.destroyed = true;
        delete v.data;
      }
    }
    meta.updatedTime = now();
    return null;
  }

  return {
    type: "kv",
    mountType: "kv",
    exists(req) {
      const m = /^(data|metadata)\/(.+)$/.exec(req.path);
      return m === null ? undefined : keys.has(m[2]!);
    },
    handle(req): Promise<BackendResponse | null> {
      return Promise.resolve(route(req));
    },
  };

  function route(req: BackendRequest): BackendResponse | null {
    if (req.path === "config") {
      if (req.operation === "read") {
        return { data: { cas_required: config.casRequired, delete_version_after: formatGoDuration(config.deleteVersionAfter), max_versions: config.maxVersions } };
      }
      if (!isWrite(req)) throw unsupportedOperation();
      config.maxVersions = getInt(req.data, "max_versions", config.maxVersions);
      config.casRequired = getBool(req.data, "cas_required", config.casRequired);
      config.deleteVersionAfter = getDuration(req.data, "delete_version_after", config.deleteVersionAfter);
      return null;
    }
    const m = /^(data|metadata|delete|undelete|destroy)\/(.*)$/.exec(req.path);
    if (m === null) return { status: 404, warnings: [INVALID_PATH_WARNING] };
    const [, kind, path] = m as unknown as [string, string, string];
    switch (kind) {
      case "data":
        if (req.operation === "read") return readData(path, req);
        if (isWrite(req)) return writeData(path, req, false);
        if (req.operation === "patch") return writeData(path, req, true);
        if (req.operation === "delete") {
          const meta = keys.get(path);
          const v = meta?.versions.get(meta.currentVersion);
          if (v !== undefined && !v.destroyed && !isDeleted(v)) v.deletionTime = now();
          return null;
        }
        throw unsupportedOperation();
      case "metadata": {
        if (req.operation === "list") {
          const children = listChildren(keys.keys(), path);
          return children.length === 0 ? null : { data: { keys: children } };
        }
        const meta = keys.get(path);
        if (req.operation === "read") return meta === undefined ? null : readMetadata(meta);
        if (req.operation === "delete") {
          keys.delete(path);
          return null;
        }
        if (isWrite(req)) {
          const t = now();
          const entry = meta ?? { createdTime: t, updatedTime: t, currentVersion: 0, oldestVersion: 0, maxVersions: 0, casRequired: false, deleteVersionAfter: 0, customMetadata: null, versions: new Map<number, Version>() };
          entry.maxVersions = getInt(req.data, "max_versions", entry.maxVersions);
          entry.casRequired = getBool(req.data, "cas_required", entry.casRequired);
          entry.deleteVersionAfter = getDuration(req.data, "delete_version_after", entry.deleteVersionAfter);
          const custom = getStringMap(req.data, "custom_metadata");
          if (custom !== undefined) entry.customMetadata = custom;
          entry.updatedTime = t;
          keys.set(path, entry);
          return null;
        }
        throw unsupportedOperation();
      }
      default:
        return versionOps(kind, path, req);
    }
  }
}

/** RFC 7396 JSON merge patch. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object" && out[k] !== null && !Array.isArray(out[k])) {
      out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}
