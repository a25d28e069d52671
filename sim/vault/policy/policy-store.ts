/**
 * Named ACL policies (`sys/policies/acl/<name>`): the built-in `root` and `default` policies plus
 * whatever setup writes. Names are case-insensitive (Vault lowercases them).
 */
import { compileAcl, type Acl } from "./acl.js";
import { parsePolicy, type PathRule } from "./policy-syntax.js";

/** Vault's built-in `default` policy (the parts that do not need identity templating). */
export const DEFAULT_POLICY = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`;

/** The policy attached to response-wrapping tokens. */
const RESPONSE_WRAPPING_POLICY = `path "cubbyhole/response" { capabilities = ["create", "read"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }`;

interface StoredPolicy {
  readonly name: string;
  readonly text: string;
  readonly rules: readonly PathRule[];
}

export class PolicyStore {
  private readonly policies = new Map<string, StoredPolicy>();
  private readonly aclCache = new Map<string, Acl>();

  constructor() {
    this.put("default", DEFAULT_POLICY);
    this.policies.set("response-wrapping", { name: "response-wrapping", text: RESPONSE_WRAPPING_POLICY, rules: parsePolicy(RESPONSE_WRAPPING_POLICY) });
  }

  /** Store a policy; throws `PolicySyntaxError` for a document Vault would reject. */
  put(name: string, text: string): void {
    const key = name.toLowerCase();
    const rules = parsePolicy(text);
    this.policies.set(key, { name: key, text, rules });
    this.aclCache.clear();
  }

  get(name: string): { name: string; policy: string } | undefined {
    const key = name.toLowerCase();
    if (key === "root") return { name: "root", policy: "" };
    const p = this.policies.get(key);
    return p === undefined || key === "response-wrapping" ? undefined : { name: p.name, policy: p.text };
  }

  delete(name: string): void {
    this.policies.delete(name.toLowerCase());
    this.aclCache.clear();
  }

  list(): string[] {
    return [...this.policies.keys(), "root"].filter((n) => n !== "response-wrapping").sort();
  }

  /** The ACL for a token's policy set (unknown names contribute nothing, as in Vault). */
  acl(policyNames: readonly string[]): Acl {
    const key = [...policyNames].sort().join("\0");
    let acl = this.aclCache.get(key);
    if (acl === undefined) {
      const isRoot = policyNames.includes("root");
      acl = compileAcl(
        policyNames.map((n) => this.policies.get(n.toLowerCase())?.rules ?? []),
        isRoot,
      );
      this.aclCache.set(key, acl);
    }
    return acl;
  }
}
