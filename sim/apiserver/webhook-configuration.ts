/**
 * The MutatingWebhookConfiguration our chart registers (charts/…/mutatingwebhookconfiguration.yaml),
 * as a plain object for the API-server simulator's store: one webhook, pods CREATE, through a Service.
 */
export interface AviWebhookConfigurationOptions {
  name: string;
  service: { name: string; namespace: string; path: string; port: number };
  caBundlePem?: string;
  timeoutSeconds?: number;
}

export function aviWebhookConfiguration(options: AviWebhookConfigurationOptions): Record<string, unknown> {
  const caBundle = options.caBundlePem === undefined ? {} : { caBundle: Buffer.from(options.caBundlePem).toString("base64") };
  return {
    metadata: { name: options.name },
    webhooks: [
      {
        name: "inject.airflow-vault.io",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        reinvocationPolicy: "IfNeeded",
        timeoutSeconds: options.timeoutSeconds ?? 10,
        clientConfig: { service: { ...options.service }, ...caBundle },
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
      },
    ],
  };
}
