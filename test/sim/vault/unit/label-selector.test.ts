// bound_service_account_namespace_selector: Kubernetes LabelSelector in JSON or YAML.
import { describe, expect, it } from "vitest";
import { parseLabelSelector, selectorMatches } from "../../../../sim/vault/auth/kubernetes/label-selector.js";

describe("label selectors", () => {
  it("matchLabels and matchExpressions (JSON)", () => {
    const s = parseLabelSelector('{"matchLabels":{"team":"data"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","stage"]},{"key":"legacy","operator":"DoesNotExist"}]}');
    expect(selectorMatches(s, { team: "data", env: "prod" })).toBe(true);
    expect(selectorMatches(s, { team: "data", env: "dev" })).toBe(false);
    expect(selectorMatches(s, { team: "data", env: "prod", legacy: "1" })).toBe(false);
  });

  it("YAML works too; NotIn and Exists", () => {
    const s = parseLabelSelector("matchExpressions:\n  - {key: tier, operator: NotIn, values: [free]}\n  - {key: owner, operator: Exists}\n");
    expect(selectorMatches(s, { owner: "a", tier: "paid" })).toBe(true);
    expect(selectorMatches(s, { owner: "a", tier: "free" })).toBe(false);
    expect(selectorMatches(s, { tier: "paid" })).toBe(false);
  });

  it.each(['{"matchLabels":{"a":1}}', '{"matchExpressions":[{"key":"a","operator":"In"}]}', '{"selector":{}}'])("rejects %s", (text) => {
    expect(() => parseLabelSelector(text)).toThrow(/invalid label selector/);
  });
});
