/**
 * The chart's RBAC against the webhook's code: the rendered Role/ClusterRole and bindings are loaded
 * into the REST simulator, and the webhook's cluster features — built from the rendered Deployment
 * args — run as the rendered ServiceAccount. Every API call must be allowed (the grants suffice), and
 * every verb of every rendered rule must have been used (nothing is granted that the code does not use).
 */
import { pino } from "pino";
import { expect, vi } from "vitest";
import { flagSources, parseWebhookArgs } from "../../cli/commands/webhook.js";
import { startApiServerSim } from "../../sim/apiserver/index.js";
import { findResource, grantsFromRbacObjects, type PolicyRule } from "../../sim/apiserver/rest/index.js";
import { createClusterFeatures } from "../../webhook/cluster-features.js";
import { createKubeClients, loadKubeConfig } from "../../webhook/kube/client-node.js";
import { createMetrics } from "../../webhook/metrics.js";
import { resolveWebhookOptions } from "../../webhook/options.js";
import { itWithTools } from "../support/tools.js";
import { renderChart } from "./render.js";

const res = (group: string, plural: string) => findResource(group, "v1", plural)!;

itWithTools(["go"], "grants exactly what the webhook's cluster features use (self-issued TLS, namespace labels, drift report)", async () => {
  const { objects } = await renderChart({ set: ["driftReport.enabled=true"] });
  const deployment = objects.find((o) => o.kind === "Deployment")!;
  const pod = (deployment["spec"] as { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } }).template.spec;
  const [, ...flags] = pod.containers[0]!.args;
  const options = resolveWebhookOptions(flagSources(parseWebhookArgs(flags)), {}, {}, "avi-system");
  const user = `system:serviceaccount:avi-system:${pod.serviceAccountName}`;
  const grants = grantsFromRbacObjects(objects);
  expect(grants.map((g) => g.user)).toEqual([user, user]);

  const sim = await startApiServerSim();
  const logger = pino({ level: process.env["AVI_TEST_LOG"] ?? "silent" });
  const features = { close: () => Promise.resolve() } as ReturnType<typeof createClusterFeatures>;
  try {
    const store = sim.rest.store;
    store.create(res("", "namespaces"), undefined, { metadata: { name: "avi-system" } });
    store.create(res("", "namespaces"), undefined, { metadata: { name: "airflow", labels: { "istio-injection": "enabled" } } });
    const mwc = objects.find((o) => o.kind === "MutatingWebhookConfiguration")!;
    store.create(findResource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")!, undefined, structuredClone(mwc));
    for (const g of grants) sim.rest.authorizer.grant(g);
    const token = sim.rest.addUser(user);
    const clients = createKubeClients(loadKubeConfig({ kubeconfigText: sim.rest.kubeconfig(token) }));
    Object.assign(features, createClusterFeatures(options, logger, createMetrics({ processMetrics: false }), clients));

    // Self-issued TLS: create the Secret, sync the caBundle, own the Secret by the webhook configuration.
    await features.tlsSource!.start(() => undefined, () => undefined);
    // An unusable Secret is replaced (update).
    const secrets = res("", "secrets");
    const secret = store.get(secrets, "avi-system", options.selfIssued!.secret);
    store.update(secrets, "avi-system", secret.metadata.name, { ...secret, data: {} });
    await features.tlsSource!.reconcile();
    expect(Object.keys(store.get(secrets, "avi-system", secret.metadata.name)["data"] as object)).toContain("tls.crt");
    // Namespace labels.
    expect(await features.namespaceLabels!.labels("airflow")).toMatchObject({ "istio-injection": "enabled" });
    // Drift report: list/watch pods, create an Event.
    await features.drift!.start();
    store.create(res("", "pods"), "airflow", { metadata: { name: "bypassed", annotations: { "airflow-vault.io/inject": "true" } }, spec: { containers: [{ name: "base" }] } });
    await vi.waitFor(() => expect(store.list(res("", "events"), "airflow")).toHaveLength(1), { timeout: 5000, interval: 20 });
    await features.drift!.settled();

    const decisions = sim.rest.authorizer.decisions().filter((d) => d.user === user);
    expect(decisions.filter((d) => !d.allowed).map((d) => `${d.verb} ${d.resource} ${d.namespace ?? ""}/${d.name ?? ""}`)).toEqual([]);
    const rules = grants.flatMap((g) => g.rules);
    const unused = rules.flatMap((rule: PolicyRule) =>
      rule.verbs.filter((verb) => !decisions.some((d) => d.rule === rule && d.verb === verb)).map((verb) => `${verb} ${rule.resources.join(",")}`),
    );
    expect(unused).toEqual([]);
  } finally {
    await features.close();
    await sim.stop();
  }
});
