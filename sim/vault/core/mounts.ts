/**
 * The mount table: which engine serves which path prefix (`sys/mounts/<path>`, `sys/auth/<path>`),
 * with each mount's tunable TTLs. Requests are routed to the longest matching mount path.
 */
import type { Backend } from "./backend.js";
import type { MountTtls } from "../time/ttl.js";

export type MountKind = "secret" | "auth" | "system";

export interface MountConfig {
  /** Seconds; 0 = use the system default. */
  defaultLeaseTtl: number;
  maxLeaseTtl: number;
  forceNoCache: boolean;
  auditNonHmacRequestKeys?: string[];
  auditNonHmacResponseKeys?: string[];
  listingVisibility?: string;
  passthroughRequestHeaders?: string[];
}

export interface MountEntry {
  /** With trailing slash: `secret/`, `auth/kubernetes/`. */
  readonly path: string;
  readonly kind: MountKind;
  readonly type: string;
  description: string;
  readonly accessor: string;
  readonly uuid: string;
  readonly config: MountConfig;
  options: Record<string, string>;
  readonly local: boolean;
  readonly sealWrap: boolean;
  readonly backend: Backend;
}

export class MountTable {
  private readonly mounts = new Map<string, MountEntry>();

  constructor(private readonly system: MountTtls) {}

  add(entry: MountEntry): void {
    this.mounts.set(entry.path, entry);
  }

  remove(path: string): MountEntry | undefined {
    const entry = this.mounts.get(path);
    this.mounts.delete(path);
    return entry;
  }

  get(path: string): MountEntry | undefined {
    return this.mounts.get(path);
  }

  /** The mount serving `path` (no `/v1/`), and the rest of the path inside it. */
  route(path: string): { mount: MountEntry; rest: string } | undefined {
    let best: MountEntry | undefined;
    for (const entry of this.mounts.values()) {
      const matches = path.startsWith(entry.path) || `${path}/` === entry.path;
      if (matches && (best === undefined || entry.path.length > best.path.length)) best = entry;
    }
    if (best === undefined) return undefined;
    return { mount: best, rest: path.slice(best.path.length) };
  }

  /** Whether `path` would collide with an existing mount (same path, or one nested in the other). */
  conflict(path: string): MountEntry | undefined {
    for (const entry of this.mounts.values()) {
      if (entry.path.startsWith(path) || path.startsWith(entry.path)) return entry;
    }
    return undefined;
  }

  list(kind: MountKind | "secrets-and-system"): MountEntry[] {
    return [...this.mounts.values()]
      .filter((m) => (kind === "secrets-and-system" ? m.kind !== "auth" : m.kind === kind))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  /** The mount's effective TTLs: tuned values, else the system defaults; the default never exceeds the max. */
  ttls(path: string): MountTtls {
    const entry = this.mounts.get(path);
    const max = entry !== undefined && entry.config.maxLeaseTtl > 0 ? entry.config.maxLeaseTtl : this.system.maxLeaseTtl;
    const def = entry !== undefined && entry.config.defaultLeaseTtl > 0 ? entry.config.defaultLeaseTtl : this.system.defaultLeaseTtl;
    return { defaultLeaseTtl: Math.min(def, max), maxLeaseTtl: max };
  }
}
