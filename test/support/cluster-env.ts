/**
 * A cluster for the webhook's cluster features: the kube-apiserver simulator (REST + admission path),
 * the webhook's namespace and MutatingWebhookConfiguration (as the chart renders them), and webhook
 * replicas started against it with the real @kubernetes/client-node, a settings file and a shared fake
 * clock. `close()` stops every replica and server and removes the temp dir.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { stringify } from "yaml";
import { startApiServerSim, type ApiServerSim } from "../../sim/apiserver/index.js";
import { findResource, type Grant, type PolicyRule } from "../../sim/apiserver/rest/index.js";
import { createKubeClients, loadKubeConfig, type KubeClients } from "../../webhook/kube/client-node.js";
import { createMetrics, type WebhookMetrics } from "../../webhook/metrics.js";
import { issueGeneration, serviceDnsNames, type Issuer } from "../../webhook/self-tls/certificates.js";
import type { RotationTiming } from "../../webhook/self-tls/rotation-plan.js";
import { SelfIssuedTls } from "../../webhook/self-tls/self-issued-tls.js";
import { createWebhookServer, type WebhookServer } from "../../webhook/server.js";
import { SERVICE, TEST_SETTINGS } from "./webhook-env.js";
import { aviWebhookConfiguration } from "../../sim/apiserver/webhook-configuration.js";

export const NAMESPACE = SERVICE.namespace;
export const WEBHOOK_CONFIGURATION = "airflow-vault-injector";
export const TLS_SECRET = "avi-webhook-tls";
export const WEBHOOK_USER = `system:serviceaccount:${NAMESPACE}:avi-webhook`;

/** What the chart grants the webhook's service account (the chart test checks the rendered RBAC is this). */
export const WEBHOOK_GRANTS: Omit<Grant, "user">[] = [
  {
    namespace: NAMESPACE,
    rules: [
      { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "update"], resourceNames: [TLS_SECRET] },
    ],
  },
  {
    rules: [
      { apiGroups: ["admissionregistration.k8s.io"], resources: ["mutatingwebhookconfigurations"], verbs: ["get", "list", "watch", "patch"], resourceNames: [WEBHOOK_CONFIGURATION] },
      { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ] satisfies PolicyRule[],
  },
];

export const MWC = findResource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")!;
export const SECRETS = findResource("", "v1", "secrets")!;
export const NAMESPACES = findResource("", "v1", "namespaces")!;
export const PODS = findResource("", "v1", "pods")!;
export const EVENTS = findResource("", "v1", "events")!;

export function webhookConfiguration(): Record<string, unknown> {
  return aviWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, service: SERVICE, timeoutSeconds: 5 });
}

export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly tls: SelfIssuedTls;
  readonly server: WebhookServer;
  readonly metrics: WebhookMetrics;
}

export interface ClusterEnv {
  readonly sim: ApiServerSim;
  readonly dir: string;
  /** The shared fake clock (epoch ms); tests move it. */
  now: number;
  clients(user?: string, grants?: Omit<Grant, "user">[]): KubeClients;
  startReplica(options?: { timing?: RotationTiming; issue?: Issuer; name?: string }): Promise<Replica>;
  replicas(): Replica[];
  close(): Promise<void>;
}

/**
 * Certificates must be valid in real time (Node's TLS verifies with the real clock) while rotation
 * decisions run on the fake clock: a certificate starts at the real time and ends `validity` after the
 * fake one, so on the fake clock it is as fresh as a certificate issued then.
 */
export const realTimeIssuer: Issuer = (request) => {
  const real = Date.now();
  return issueGeneration({ ...request, now: real, validityMs: request.validityMs + Math.max(0, request.now - real) });
};

export async function startClusterEnv(): Promise<ClusterEnv> {
  const sim = await startApiServerSim();
  const dir = await mkdtemp(join(tmpdir(), "avi-cluster-"));
  const settingsFile = join(dir, "settings.yaml");
  await writeFile(settingsFile, stringify(TEST_SETTINGS));
  sim.rest.store.create(NAMESPACES, undefined, { metadata: { name: NAMESPACE } });
  sim.rest.store.create(MWC, undefined, webhookConfiguration());
  const started: Replica[] = [];
  const logger = pino({ level: process.env["AVI_TEST_LOG"] ?? "silent" });
  const env: ClusterEnv = {
    sim,
    dir,
    now: Date.now(),
    clients(user = WEBHOOK_USER, grants = WEBHOOK_GRANTS) {
      const token = sim.rest.addUser(user, grants);
      return createKubeClients(loadKubeConfig({ kubeconfigText: sim.rest.kubeconfig(token) }));
    },
    async startReplica(options = {}) {
      const name = options.name ?? `avi-webhook-${started.length}`;
      const kube = env.clients();
      const metrics = createMetrics({ processMetrics: false });
      const tls = new SelfIssuedTls({
        secretName: TLS_SECRET,
        namespace: NAMESPACE,
        secrets: kube.secret(NAMESPACE, TLS_SECRET),
        webhookConfiguration: kube.webhookConfiguration(WEBHOOK_CONFIGURATION),
        webhookConfigurationName: WEBHOOK_CONFIGURATION,
        dnsNames: serviceDnsNames(SERVICE.name, NAMESPACE),
        validityMs: 90 * 86_400_000,
        logger: logger.child({ replica: name }),
        metrics,
        clock: () => env.now,
        issue: options.issue ?? realTimeIssuer,
        ...(options.timing !== undefined && { timing: options.timing }),
        resyncMs: 3_600_000, // tests drive reconciliation
      });
      const server = await createWebhookServer({ tlsSource: tls, settingsFile, logger: logger.child({ replica: name }), metrics, resyncMs: 3_600_000 });
      const port = await server.listen("127.0.0.1", 0);
      const replica = { name, port, tls, server, metrics };
      started.push(replica);
      return replica;
    },
    replicas: () => [...started],
    async close() {
      await Promise.all(started.map((r) => r.server.close()));
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return env;
}
