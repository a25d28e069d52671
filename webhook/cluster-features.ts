/**
 * The optional features that talk to the Kubernetes API — self-issued TLS, the drift report and
 * namespace label look-ups — built from the webhook's options. With none enabled nothing here touches
 * the API (the webhook then runs with TLS files and no credentials at all).
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { createKubeClients, loadKubeConfig, type KubeClients } from "./kube/client-node.js";
import { DriftReport } from "./drift-report.js";
import type { WebhookMetrics } from "./metrics.js";
import { NamespaceLabelCache } from "./namespace-labels.js";
import type { WebhookOptions } from "./options.js";
import { serviceDnsNames } from "./self-tls/certificates.js";
import { SelfIssuedTls } from "./self-tls/self-issued-tls.js";

export interface ClusterFeatures {
  tlsSource?: SelfIssuedTls;
  namespaceLabels?: NamespaceLabelCache;
  drift?: DriftReport;
  close(): Promise<void>;
}

export function needsKubernetesApi(options: WebhookOptions): boolean {
  return options.selfIssued !== undefined || options.driftReport || options.namespaceLabels;
}

export function createClusterFeatures(options: WebhookOptions, logger: Logger, metrics: WebhookMetrics, clients?: KubeClients): ClusterFeatures {
  if (!needsKubernetesApi(options)) return { close: () => Promise.resolve() };
  const kube = clients ?? createKubeClients(loadKubeConfig(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}));
  const features: ClusterFeatures = { close: () => Promise.resolve() };
  const { selfIssued } = options;
  if (selfIssued !== undefined) {
    features.tlsSource = new SelfIssuedTls({
      secretName: selfIssued.secret,
      namespace: selfIssued.namespace,
      secrets: kube.secret(selfIssued.namespace, selfIssued.secret),
      webhookConfiguration: kube.webhookConfiguration(selfIssued.webhookConfiguration),
      webhookConfigurationName: selfIssued.webhookConfiguration,
      dnsNames: serviceDnsNames(selfIssued.service, selfIssued.namespace),
      validityMs: selfIssued.validity * 1000,
      logger: logger.child({ feature: "self-issued-tls" }),
      metrics,
    });
  }
  if (options.namespaceLabels) features.namespaceLabels = new NamespaceLabelCache({ client: kube.namespaces(), metrics });
  if (options.driftReport) {
    features.drift = new DriftReport({
      pods: kube.pods(),
      events: kube.events(),
      logger: logger.child({ feature: "drift-report" }),
      metrics,
      instance: process.env["AVI_POD_NAME"] ?? hostname(),
    });
  }
  features.close = async () => {
    features.drift?.stop();
    await features.tlsSource?.close();
  };
  return features;
}

/** The namespace this pod runs in (downward API env, else the service-account mount). */
export async function inClusterNamespace(readText: (path: string) => Promise<string>): Promise<string | undefined> {
  const fromEnv = process.env["AVI_POD_NAMESPACE"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  try {
    return (await readText("/var/run/secrets/kubernetes.io/serviceaccount/namespace")).trim() || undefined;
  } catch {
    return undefined;
  }
}
