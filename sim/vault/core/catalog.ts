/**
 * The plugin catalog: which engine a `type` in `sys/mounts` / `sys/auth` names. Built-ins mirror
 * Vault's names (`kv`, `kv-v2`, `aws`, `kubernetes`); the MinIO plugins are external in real Vault and
 * registered here under the names docs/vault-simulator.md gives.
 */
import type { BackendFactory } from "./backend.js";

export interface ResolvedPlugin {
  /** The type recorded on the mount (`kv-v2` is recorded as `kv` with `version: "2"`). */
  readonly type: string;
  readonly options: Record<string, string>;
  readonly create: BackendFactory;
}

export interface PluginCatalog {
  resolve(kind: "secret" | "auth", type: string, options: Readonly<Record<string, string>>): ResolvedPlugin | undefined;
}

export interface CatalogEntries {
  readonly secret: Readonly<Record<string, BackendFactory>>;
  readonly auth: Readonly<Record<string, BackendFactory>>;
}

export function createCatalog(entries: CatalogEntries): PluginCatalog {
  return {
    resolve(kind, type, options) {
      if (kind === "secret" && (type === "kv" || type === "kv-v2" || type === "generic")) {
        const version = type === "kv-v2" ? "2" : (options.version ?? "1");
        const create = entries.secret[version === "2" ? "kv-v2" : "kv"];
        if (create === undefined || (version !== "1" && version !== "2")) return undefined;
        return { type: "kv", options: { ...options, version }, create };
      }
      const create = entries[kind][type];
      return create === undefined ? undefined : { type, options: { ...options }, create };
    },
  };
}
