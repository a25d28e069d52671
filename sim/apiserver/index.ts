/**
 * The kube-apiserver simulator in one piece: the REST server (objects, watches, RBAC), the
 * TokenReview server for Vault's Kubernetes auth (optional), and the admission path calling a webhook
 * the way the API server does — configured from the MutatingWebhookConfiguration stored in the REST
 * server, whose caBundle is read at every call (the API server's informer view of that object).
 */
import { AdmissionHarness, type HarnessOptions } from "./admission/harness.js";
import type { Dial, WebhookEndpoint } from "./admission/webhook-client.js";
import type { ServiceAccountIssuer, TokenReviewServer } from "./authn/index.js";
import { startTokenReviewServer } from "./authn/index.js";
import { findResource, startRestServer, type RestServer, type RestServerOptions } from "./rest/index.js";

export interface ApiServerSimOptions {
  readonly rest?: RestServerOptions;
  /** Also serve TokenReview for this issuer's tokens (reviewers bound to system:auth-delegator). */
  readonly tokenReview?: { readonly issuer: ServiceAccountIssuer; readonly authDelegators?: readonly string[] };
}

export interface WebhookAdmissionOptions extends Omit<Partial<HarnessOptions>, "endpoint" | "webhookName" | "failurePolicy" | "reinvocationPolicy" | "timeoutSeconds"> {
  /** MutatingWebhookConfiguration name. */
  readonly configuration: string;
  /** Webhook name inside it (default: the first). */
  readonly webhook?: string;
  /** Where the Service's endpoints are in this test (one per replica). */
  readonly dial: Dial | readonly Dial[];
}

export interface ApiServerSim {
  readonly rest: RestServer;
  readonly tokenReview?: TokenReviewServer;
  /** An admission path for a webhook registered in the REST server's MutatingWebhookConfiguration. */
  admission(options: WebhookAdmissionOptions): AdmissionHarness;
  stop(): Promise<void>;
}

interface StoredWebhook {
  name: string;
  clientConfig?: { caBundle?: string; service?: { name: string; namespace: string; path?: string; port?: number } };
  failurePolicy?: "Fail" | "Ignore";
  reinvocationPolicy?: "Never" | "IfNeeded";
  timeoutSeconds?: number;
}

const MWC = findResource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")!;

export async function startApiServerSim(options: ApiServerSimOptions = {}): Promise<ApiServerSim> {
  const rest = await startRestServer(options.rest);
  let tokenReview: TokenReviewServer | undefined;
  try {
    if (options.tokenReview !== undefined) {
      tokenReview = await startTokenReviewServer({ issuer: options.tokenReview.issuer, authDelegators: options.tokenReview.authDelegators ?? [] });
    }
  } catch (err) {
    await rest.stop();
    throw err;
  }
  const harnesses: AdmissionHarness[] = [];

  const webhookOf = (configuration: string, name: string | undefined): StoredWebhook => {
    const obj = rest.store.get(MWC, undefined, configuration);
    const hooks = (obj["webhooks"] as StoredWebhook[] | undefined) ?? [];
    const hook = name === undefined ? hooks[0] : hooks.find((h) => h.name === name);
    if (hook === undefined) throw new Error(`mutatingwebhookconfiguration ${configuration} has no webhook ${name ?? "(none)"}`);
    return hook;
  };

  return {
    rest,
    ...(tokenReview !== undefined && { tokenReview }),
    admission({ configuration, webhook, dial, ...rest }) {
      const hook = webhookOf(configuration, webhook);
      const service = hook.clientConfig?.service;
      if (service === undefined) throw new Error(`webhook ${hook.name}: only clientConfig.service is simulated`);
      const endpoint: WebhookEndpoint = {
        service,
        // Empty caBundle: the API server would use the system roots, which never trust a test CA.
        caBundle: () => Buffer.from(webhookOf(configuration, hook.name).clientConfig?.caBundle ?? "", "base64").toString("utf8"),
        dial,
      };
      const harness = new AdmissionHarness({
        ...rest,
        endpoint,
        webhookName: hook.name,
        failurePolicy: hook.failurePolicy ?? "Fail",
        reinvocationPolicy: hook.reinvocationPolicy ?? "Never",
        timeoutSeconds: hook.timeoutSeconds ?? 10,
      });
      harnesses.push(harness);
      return harness;
    },
    async stop() {
      for (const h of harnesses) h.close();
      await Promise.all([rest.stop(), tokenReview?.stop()]);
    },
  };
}
