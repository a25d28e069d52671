// ACL policy syntax (HCL/JSON) and evaluation with Vault's glob priority rules.
import { describe, expect, it } from "vitest";
import { compileAcl, higherPriority } from "../../../../sim/vault/policy/acl.js";
import { parsePolicy, PolicySyntaxError } from "../../../../sim/vault/policy/policy-syntax.js";
import { PolicyStore } from "../../../../sim/vault/policy/policy-store.js";

describe("policy syntax", () => {
  it("reads HCL with comments, legacy `policy =` and extra keys", () => {
    const rules = parsePolicy(`
      # comment
      path "secret/data/*" { capabilities = ["read", "list"] } // trailing
      /* block */ path "sys/leases/renew" { policy = "write" }
      path "aws/creds/etl" { capabilities = ["read"] allowed_parameters = { "ttl" = [] } }
    `);
    expect(rules).toEqual([
      { path: "secret/data/*", capabilities: ["read", "list"] },
      { path: "sys/leases/renew", capabilities: ["create", "read", "update", "patch", "delete", "list"] },
      { path: "aws/creds/etl", capabilities: ["read"] },
    ]);
  });

  it("reads the JSON form", () => {
    expect(parsePolicy('{"path":{"kv/*":{"capabilities":["read"]}}}')).toEqual([{ path: "kv/*", capabilities: ["read"] }]);
  });

  it("deny replaces every other capability", () => {
    expect(parsePolicy('path "x" { capabilities = ["read", "deny"] }')[0]?.capabilities).toEqual(["deny"]);
  });

  it.each([
    ['path "x" { capabilities = ["fly"] }', /invalid capability "fly"/],
    ['path "x" { capabilities = ["read"]', /expected closing/],
    ['paths "x" { }', /invalid key "paths"/],
  ])("rejects %s", (text, message) => {
    expect(() => parsePolicy(text)).toThrow(PolicySyntaxError);
    expect(() => parsePolicy(text)).toThrow(message);
  });
});

describe("ACL evaluation", () => {
  const acl = (text: string) => compileAcl([parsePolicy(text)]);

  it("an exact path beats any glob", () => {
    const a = acl('path "secret/*" { capabilities = ["deny"] }\npath "secret/ok" { capabilities = ["read"] }');
    expect(a.allows("secret/ok", "read")).toBe(true);
    expect(a.allows("secret/other", "read")).toBe(false);
  });

  it("rules for one path from several policies merge; deny wins", () => {
    const a = compileAcl([parsePolicy('path "p" { capabilities = ["read"] }'), parsePolicy('path "p" { capabilities = ["update"] }')]);
    expect(a.allows("p", "read") && a.allows("p", "update")).toBe(true);
    const d = compileAcl([parsePolicy('path "p" { capabilities = ["read"] }'), parsePolicy('path "p" { capabilities = ["deny"] }')]);
    expect(d.allows("p", "read")).toBe(false);
  });

  it("+ matches exactly one segment", () => {
    const a = acl('path "secret/+/x" { capabilities = ["read"] }');
    expect(a.allows("secret/a/x", "read")).toBe(true);
    expect(a.allows("secret/a/b/x", "read")).toBe(false);
  });

  it("sudo is needed on root-protected paths", () => {
    const a = acl('path "sys/auth/*" { capabilities = ["update"] }');
    expect(a.allows("sys/auth/k8s", "update", true)).toBe(false);
    expect(acl('path "sys/auth/*" { capabilities = ["update", "sudo"] }').allows("sys/auth/k8s", "update", true)).toBe(true);
  });

  it("list operations also match the rule without the trailing slash", () => {
    expect(acl('path "secret/metadata" { capabilities = ["list"] }').allows("secret/metadata/", "list")).toBe(true);
  });

  it.each([
    ["secret/a/b*", "secret/a*", true],
    ["secret/*", "secret/+", false],
    ["secret/+/x", "secret/+/+", true],
    ["secret/abc", "secret/ab", true],
    ["secret/b*", "secret/a*", true],
  ])("priority: %s over %s → %s", (p1, p2, expected) => {
    expect(higherPriority(p1, p2)).toBe(expected);
  });

  it("the built-in default policy allows the token self-endpoints and lease renew/lookup but not revoke", () => {
    const a = new PolicyStore().acl(["default"]);
    expect(a.allows("auth/token/lookup-self", "read")).toBe(true);
    expect(a.allows("auth/token/renew-self", "update")).toBe(true);
    expect(a.allows("auth/token/revoke-self", "update")).toBe(true);
    expect(a.allows("sys/leases/renew", "update")).toBe(true);
    expect(a.allows("sys/leases/lookup", "update")).toBe(true);
    expect(a.allows("sys/leases/revoke", "update")).toBe(false);
    expect(a.allows("secret/data/x", "read")).toBe(false);
  });
});
