/**
 * KV version 1 (vault-plugin-secrets-kv `passthrough.go`): the stored map is the response `data`; no lease is
 * registered, `lease_duration` is the stored `ttl`/`lease` key or the mount's default TTL.
 */
import type { Backend, BackendContext, BackendResponse } from "../core/backend.js";
import { parseDurationSecond } from "../time/duration.js";
import { errorResponse, unsupportedOperation } from "../server/errors.js";

/** Immediate children of `prefix` among `keys`, folders with a trailing slash (Vault LIST semantics). */
export function listChildren(keys: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    if (rest === "") continue;
    const slash = rest.indexOf("/");
    out.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return [...out].sort();
}

export function createKvV1Backend(ctx: BackendContext): Backend {
  const store = new Map<string, Record<string, unknown>>();
  return {
    type: "kv",
    mountType: "kv",
    exists: (req) => store.has(req.path),
    handle(req): Promise<BackendResponse | null> {
      const path = req.path;
      switch (req.operation) {
        case "list": {
          const keys = listChildren(store.keys(), path === "/" ? "" : path);
          return Promise.resolve(keys.length === 0 ? null : { data: { keys } });
        }
        case "read": {
          const data = store.get(path);
          if (data === undefined) return Promise.resolve(null);
          const ttls = ctx.mountTtls();
          let ttl = ttls.defaultLeaseTtl;
          const raw = data.ttl ?? data.lease;
          if (raw !== undefined) {
            try {
              ttl = parseDurationSecond(raw);
            } catch {
              // an unparsable ttl key is ignored, as in Vault
            }
          }
          return Promise.resolve({ data: { ...data }, leaseDuration: Math.min(ttl, ttls.maxLeaseTtl) });
        }
        case "create":
        case "update": {
          if (Object.keys(req.data).length === 0) throw errorResponse("missing data fields");
          store.set(path, { ...req.data });
          return Promise.resolve(null);
        }
        case "delete":
          store.delete(path);
          return Promise.resolve(null);
        default:
          throw unsupportedOperation();
      }
    },
  };
}
