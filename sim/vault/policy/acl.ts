/**
 * ACL evaluation as Vault does it (vault/acl.go): rules with the same path from all of a token's
 * policies are merged (capabilities unioned, `deny` wins); an exact path beats any glob; among globs
 * (`*` suffix) and segment wildcards (`+`) the most specific one wins by Vault's priority rules.
 */
import type { PathRule } from "./policy-syntax.js";

export type Operation = "read" | "list" | "update" | "create" | "delete" | "patch" | "header";

export interface Acl {
  readonly root: boolean;
  /** Capabilities granted on `path` (without `/v1/`), after merging and priority. */
  capabilities(path: string): ReadonlySet<string>;
  /** Whether `op` on `path` is allowed; `sudo` additionally required when `needsSudo`. */
  allows(path: string, op: Operation, needsSudo?: boolean): boolean;
}

interface CompiledRule {
  readonly pattern: string;
  readonly caps: ReadonlySet<string>;
  readonly glob: boolean;
  readonly regex?: RegExp;
}

const ALL = new Set(["create", "read", "update", "patch", "delete", "list", "sudo"]);

function merge(a: ReadonlySet<string> | undefined, b: readonly string[]): Set<string> {
  const out = new Set([...(a ?? []), ...b]);
  return out.has("deny") ? new Set(["deny"]) : out;
}

/** Build an ACL from the rules of every policy a token carries. `root` grants everything. */
export function compileAcl(policies: readonly (readonly PathRule[])[], root = false): Acl {
  const merged = new Map<string, Set<string>>();
  for (const rules of policies) for (const rule of rules) merged.set(rule.path, merge(merged.get(rule.path), rule.capabilities));

  const exact = new Map<string, ReadonlySet<string>>();
  const wildcards: CompiledRule[] = [];
  for (const [pattern, caps] of merged) {
    const glob = pattern.endsWith("*");
    if (!glob && !pattern.includes("+")) {
      exact.set(pattern, caps);
      continue;
    }
    const body = glob ? pattern.slice(0, -1) : pattern;
    const needsRegex = body.includes("+");
    wildcards.push({
      pattern,
      caps,
      glob,
      regex: needsRegex ? new RegExp(`^${body.split("+").map(escapeRegex).join("[^/]+")}${glob ? "" : "$"}`) : undefined,
    });
  }

  const matches = (rule: CompiledRule, path: string): boolean => {
    if (rule.regex !== undefined) return rule.regex.test(path);
    return path.startsWith(rule.pattern.slice(0, -1));
  };

  function capabilities(path: string): ReadonlySet<string> {
    if (root) return ALL;
    const hit = exact.get(path) ?? (path.endsWith("/") ? exact.get(path.slice(0, -1)) : undefined);
    if (hit !== undefined) return hit;
    let best: CompiledRule | undefined;
    for (const rule of wildcards) {
      if (!matches(rule, path)) continue;
      if (best === undefined || higherPriority(rule.pattern, best.pattern)) best = rule;
    }
    return best?.caps ?? new Set();
  }

  return {
    root,
    capabilities,
    allows(path, op, needsSudo = false) {
      if (root) return true;
      const caps = capabilities(path);
      if (caps.has("deny")) return false;
      const needed = op === "header" ? "read" : op;
      if (!caps.has(needed)) return false;
      return !needsSudo || caps.has("sudo");
    },
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Vault's glob priority (docs "Priority matching"): P1 beats P2 unless, in order,
 * 1. its first wildcard (`+` or `*`) comes earlier; 2. it ends in `*` and P2 does not;
 * 3. it has more `+` segments; 4. it is shorter; 5. it is lexicographically smaller.
 */
export function higherPriority(p1: string, p2: string): boolean {
  const firstWildcard = (p: string): number => {
    const idx = [p.indexOf("+"), p.indexOf("*")].filter((i) => i >= 0);
    return idx.length === 0 ? p.length : Math.min(...idx);
  };
  const w1 = firstWildcard(p1);
  const w2 = firstWildcard(p2);
  if (w1 !== w2) return w1 > w2;
  const g1 = p1.endsWith("*");
  const g2 = p2.endsWith("*");
  if (g1 !== g2) return !g1;
  const plus = (p: string): number => p.split("+").length - 1;
  if (plus(p1) !== plus(p2)) return plus(p1) < plus(p2);
  if (p1.length !== p2.length) return p1.length > p2.length;
  return p1 > p2;
}
