/** The cached namespace look-up (fake clock, counting client) and its use in admission (REST simulator). */
import { expect, it } from "vitest";
import { NamespaceLabelCache } from "../../webhook/namespace-labels.js";
import type { NamespaceClient } from "../../webhook/kube/api.js";
import { createMetrics } from "../../webhook/metrics.js";
import { createWebhookServer } from "../../webhook/server.js";
import { af3WorkerPod, annotate } from "../support/fixtures.js";
import { NAMESPACES, startClusterEnv } from "../support/cluster-env.js";
import { startWebhookEnv } from "../support/webhook-env.js";

function countingClient(labels: Record<string, Record<string, string>>): NamespaceClient & { calls: string[]; fail: boolean } {
  const client = {
    calls: [] as string[],
    fail: false,
    async labels(name: string) {
      client.calls.push(name);
      await new Promise((r) => setTimeout(r, 5));
      if (client.fail) throw new Error("connect ECONNREFUSED");
      return labels[name];
    },
  };
  return client;
}

it("serves fresh entries from the cache, shares concurrent misses, refetches after the TTL", async () => {
  let now = 0;
  const client = countingClient({ airflow: { "istio-injection": "enabled" } });
  const metrics = createMetrics({ processMetrics: false });
  const cache = new NamespaceLabelCache({ client, ttlMs: 30_000, clock: () => now, metrics });
  const [a, b] = await Promise.all([cache.labels("airflow"), cache.labels("airflow")]);
  expect(a).toEqual({ "istio-injection": "enabled" });
  expect(b).toBe(a);
  expect(client.calls).toEqual(["airflow"]);
  now = 29_999;
  await cache.labels("airflow");
  expect(client.calls).toHaveLength(1);
  now = 30_000;
  await cache.labels("airflow");
  expect(client.calls).toHaveLength(2);
  expect(await cache.labels("missing")).toEqual({});
  const results = Object.fromEntries((await metrics.namespaceLookups.get()).values.map((v) => [String(v.labels["result"]), v.value]));
  expect(results).toEqual({ hit: 1, miss: 3 });
});

it("serves a stale entry when the API fails, and fails (closed) with nothing cached", async () => {
  let now = 0;
  const client = countingClient({ airflow: { "istio.io/rev": "canary" } });
  const cache = new NamespaceLabelCache({ client, ttlMs: 1000, clock: () => now });
  await cache.labels("airflow");
  client.fail = true;
  now = 5000;
  expect(await cache.labels("airflow")).toEqual({ "istio.io/rev": "canary" });
  await expect(cache.labels("etl")).rejects.toThrow('cannot read the labels of namespace "etl" (needed for Istio injection): connect ECONNREFUSED');
});

it("admission uses the namespace's Istio label (through the API) and denies when it cannot be read", async () => {
  const cluster = await startClusterEnv();
  const web = await startWebhookEnv();
  try {
    cluster.sim.rest.store.create(NAMESPACES, undefined, { metadata: { name: "airflow", labels: { "istio-injection": "enabled" } } });
    const cache = new NamespaceLabelCache({ client: cluster.clients().namespaces() });
    const server = await createWebhookServer({
      tlsCertFile: web.certFile,
      tlsKeyFile: web.keyFile,
      settingsFile: web.settingsFile,
      logger: (await import("pino")).pino({ level: "silent" }),
      metrics: createMetrics({ processMetrics: false }),
      namespaceLabels: cache,
    });
    const port = await server.listen("127.0.0.1", 0);
    const harness = web.newHarness({ endpoint: { service: { name: "avi-webhook", namespace: "avi-system", path: "/mutate", port: 443 }, caBundle: web.ca.caPem, dial: { host: "127.0.0.1", port } } });
    const outcome = await harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
    expect(outcome.allowed).toBe(true);
    if (outcome.allowed) expect(((outcome.pod["metadata"] as Record<string, unknown>)["annotations"] as Record<string, string>)["traffic.sidecar.istio.io/excludeOutboundPorts"]).toBe("8200");
    // A namespace the webhook may not read (no RBAC for this user): the pod is denied with the reason.
    const denied = new NamespaceLabelCache({ client: cluster.clients("system:serviceaccount:x:nobody", []).namespaces() });
    const server2 = await createWebhookServer({ tlsCertFile: web.certFile, tlsKeyFile: web.keyFile, settingsFile: web.settingsFile, logger: (await import("pino")).pino({ level: "silent" }), metrics: createMetrics({ processMetrics: false }), namespaceLabels: denied });
    const port2 = await server2.listen("127.0.0.1", 0);
    const harness2 = web.newHarness({ endpoint: { service: { name: "avi-webhook", namespace: "avi-system", path: "/mutate", port: 443 }, caBundle: web.ca.caPem, dial: { host: "127.0.0.1", port: port2 } } });
    const refused = await harness2.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
    expect(refused).toMatchObject({ allowed: false, code: 500 });
    if (!refused.allowed) expect(refused.message).toContain('cannot read the labels of namespace "airflow"');
    await Promise.all([server.close(), server2.close()]);
  } finally {
    await web.close();
    await cluster.close();
  }
});
