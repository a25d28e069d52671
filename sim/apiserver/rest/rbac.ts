/**
 * RBAC as the API server evaluates it (plugin/pkg/auth/authorizer/rbac): a request is allowed when a
 * rule bound to the user matches its API group, resource, verb and — when the rule lists
 * resourceNames — its object name. Role rules count only in the RoleBinding's namespace. Every
 * decision is recorded, so a test can show that a set of rules is both sufficient and all used.
 */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** Rules granted to a user: cluster-wide (ClusterRoleBinding) or in one namespace (RoleBinding). */
export interface Grant {
  readonly user: string;
  /** Absent: cluster-wide. */
  readonly namespace?: string;
  readonly rules: readonly PolicyRule[];
}

export interface RequestAttributes {
  readonly user: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface Decision extends RequestAttributes {
  readonly allowed: boolean;
  /** The rule that allowed it. */
  readonly rule?: PolicyRule;
}

/** Members of `system:masters` are allowed everything (tests set up objects with it). */
export const SUPERUSER = "system:admin";

function ruleMatches(rule: PolicyRule, attrs: RequestAttributes): boolean {
  const has = (list: readonly string[], value: string): boolean => list.includes("*") || list.includes(value);
  if (!has(rule.apiGroups, attrs.group) || !has(rule.resources, attrs.resource) || !has(rule.verbs, attrs.verb)) return false;
  if (rule.resourceNames === undefined || rule.resourceNames.length === 0) return true;
  // A rule with resourceNames never matches a request without a name (create, an unfiltered list).
  return attrs.name !== undefined && attrs.name !== "" && rule.resourceNames.includes(attrs.name);
}

export class Authorizer {
  private readonly grants: Grant[] = [];
  private readonly log: Decision[] = [];

  grant(grant: Grant): void {
    this.grants.push(grant);
  }

  authorize(attrs: RequestAttributes): Decision {
    let decision: Decision = { ...attrs, allowed: attrs.user === SUPERUSER };
    if (!decision.allowed) {
      for (const grant of this.grants) {
        if (grant.user !== attrs.user) continue;
        if (grant.namespace !== undefined && grant.namespace !== attrs.namespace) continue;
        const rule = grant.rules.find((r) => ruleMatches(r, attrs));
        if (rule !== undefined) {
          decision = { ...attrs, allowed: true, rule };
          break;
        }
      }
    }
    if (attrs.user !== SUPERUSER) this.log.push(decision);
    return decision;
  }

  /** Decisions for users other than the superuser, oldest first. */
  decisions(): Decision[] {
    return [...this.log];
  }
}

interface RbacObject {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  rules?: unknown;
  roleRef?: { kind?: unknown; name?: unknown };
  subjects?: unknown;
}

/**
 * Grants from Role/ClusterRole + RoleBinding/ClusterRoleBinding objects (e.g. a rendered chart):
 * ServiceAccount subjects become `system:serviceaccount:<ns>:<name>`.
 */
export function grantsFromRbacObjects(objects: readonly unknown[]): Grant[] {
  const all = objects as RbacObject[];
  const rulesOf = (kind: string, name: unknown, namespace: unknown): PolicyRule[] => {
    const role = all.find((o) => o.kind === kind && o.metadata?.name === name && (kind === "ClusterRole" || o.metadata?.namespace === namespace));
    if (role === undefined) throw new Error(`${kind} ${String(name)} is bound but not defined`);
    return (role.rules as PolicyRule[] | undefined) ?? [];
  };
  const grants: Grant[] = [];
  for (const binding of all) {
    if (binding.kind !== "RoleBinding" && binding.kind !== "ClusterRoleBinding") continue;
    const namespace = binding.kind === "RoleBinding" ? String(binding.metadata?.namespace) : undefined;
    const rules = rulesOf(String(binding.roleRef?.kind), binding.roleRef?.name, namespace);
    for (const subject of (binding.subjects as { kind?: string; name?: string; namespace?: string }[] | undefined) ?? []) {
      if (subject.kind !== "ServiceAccount") continue;
      grants.push({ user: `system:serviceaccount:${subject.namespace}:${subject.name}`, ...(namespace !== undefined && { namespace }), rules });
    }
  }
  return grants;
}
