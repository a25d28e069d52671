/**
 * The ClusterRole's reach (issue 11, item 6): the webhook may patch only its own
 * MutatingWebhookConfiguration (the caBundle, self-issued TLS mode), never another admission
 * configuration, and no rule grants wildcards or RBAC escalation. docs/operations.md ("Threat model")
 * describes the residual risk of that one patch permission.
 */
import { expect, it } from "vitest";
import { renderChart } from "./render.js";

type Rule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] };

it("the mutatingwebhookconfigurations rule is limited to the chart's own configuration; no wildcards or escalation", async () => {
  const { objects } = await renderChart({ set: ["driftReport.enabled=true", "namespaceLabels.enabled=true"] });
  const mwcName = objects.find((o) => o.kind === "MutatingWebhookConfiguration")?.metadata.name;
  expect(mwcName).toBeDefined();
  const rules = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role").flatMap((o) => (o as unknown as { rules: Rule[] }).rules);
  const admission = rules.filter((r) => r.resources?.some((x) => x.endsWith("webhookconfigurations")));
  expect(admission.length).toBeGreaterThan(0);
  for (const rule of admission) {
    expect(rule.resources).toEqual(["mutatingwebhookconfigurations"]);
    expect(rule.resourceNames).toEqual([mwcName]);
  }
  for (const rule of rules) {
    expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain("*");
    expect(rule.verbs.filter((v) => ["escalate", "bind", "impersonate"].includes(v))).toEqual([]);
    expect(rule.apiGroups ?? []).not.toContain("rbac.authorization.k8s.io");
  }
}, 120_000);
