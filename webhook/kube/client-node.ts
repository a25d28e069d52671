/**
 * The Kubernetes I/O of the webhook's cluster features through @kubernetes/client-node 1.x (typed
 * APIs for reads and writes, its Watch for streams). Failures are mapped to what callers act on:
 * 404 → undefined, 409 → ConflictError; anything else is rethrown with the request named.
 */
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type CoreV1Event,
} from "@kubernetes/client-node";
import {
  ConflictError,
  type EventClient,
  type EventObject,
  type NamespaceClient,
  type PodObject,
  type SecretClient,
  type SecretObject,
  type Watchable,
  type WebhookConfigurationClient,
  type WebhookConfigurationObject,
} from "./api.js";

export interface KubeClients {
  secret(namespace: string, name: string): SecretClient;
  webhookConfiguration(name: string): WebhookConfigurationClient;
  namespaces(): NamespaceClient;
  pods(): Watchable<PodObject>;
  events(): EventClient;
}

/** From a kubeconfig file (`--kubeconfig`, `KUBECONFIG`) or, absent, the in-cluster service account. */
export function loadKubeConfig(options: { kubeconfig?: string; kubeconfigText?: string }): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfigText !== undefined) kc.loadFromString(options.kubeconfigText);
  else if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function describe(err: unknown, what: string): Error {
  if (err instanceof ApiException) {
    const text = typeof err.body === "string" ? err.body : JSON.stringify(err.body);
    let message = text;
    try {
      const body = JSON.parse(text) as { message?: string };
      if (body.message !== undefined) message = body.message;
    } catch {
      // not a Status body
    }
    return new Error(`${what}: HTTP ${err.code}: ${message}`, { cause: err });
  }
  return new Error(`${what}: ${(err as Error).message}`, { cause: err });
}

/** Plain JSON objects (client-node returns class instances with Date fields). */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function watchable<T>(kc: KubeConfig, path: string, query: Record<string, string>, list: () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>): Watchable<T> {
  return {
    async list() {
      const result = await list().catch((err: unknown) => {
        throw describe(err, `list ${path}`);
      });
      return { items: result.items.map((i) => plain<T>(i)), resourceVersion: result.metadata?.resourceVersion ?? "" };
    },
    async watch(resourceVersion, onEvent, onEnd) {
      let expired = false;
      let ended = false;
      const end = (error?: Error): void => {
        if (ended) return;
        ended = true;
        onEnd(expired, error);
      };
      const controller = await new Watch(kc).watch(
        path,
        { ...query, resourceVersion, allowWatchBookmarks: true },
        (phase: string, obj: unknown) => {
          if (phase === "ERROR") {
            expired ||= (obj as { code?: number } | undefined)?.code === 410;
            return;
          }
          if (phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED") onEvent({ type: phase, object: plain<T>(obj) });
        },
        (err: unknown) => end(err === null || err === undefined ? undefined : err instanceof Error ? err : new Error(JSON.stringify(err))),
      );
      return () => {
        ended = true;
        controller.abort();
      };
    },
  };
}

export function createKubeClients(kc: KubeConfig): KubeClients {
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  return {
    secret(namespace, name): SecretClient {
      const what = `secret ${namespace}/${name}`;
      return {
        ...watchable<SecretObject>(kc, `/api/v1/namespaces/${namespace}/secrets`, { fieldSelector: `metadata.name=${name}` }, () =>
          core.listNamespacedSecret({ namespace, fieldSelector: `metadata.name=${name}` }),
        ),
        async get() {
          try {
            return plain<SecretObject>(await core.readNamespacedSecret({ name, namespace }));
          } catch (err) {
            if (statusOf(err) === 404) return undefined;
            throw describe(err, `get ${what}`);
          }
        },
        async create(secret) {
          try {
            return plain<SecretObject>(await core.createNamespacedSecret({ namespace, body: secret }));
          } catch (err) {
            if (statusOf(err) === 409) throw new ConflictError(`${what} already exists`);
            throw describe(err, `create ${what}`);
          }
        },
        async replace(secret) {
          try {
            return plain<SecretObject>(await core.replaceNamespacedSecret({ name, namespace, body: secret }));
          } catch (err) {
            if (statusOf(err) === 409) throw new ConflictError(`${what} was modified concurrently`);
            throw describe(err, `update ${what}`);
          }
        },
      };
    },
    webhookConfiguration(name): WebhookConfigurationClient {
      const what = `mutatingwebhookconfiguration ${name}`;
      return {
        ...watchable<WebhookConfigurationObject>(kc, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", { fieldSelector: `metadata.name=${name}` }, () =>
          admission.listMutatingWebhookConfiguration({ fieldSelector: `metadata.name=${name}` }),
        ),
        async get() {
          try {
            return plain<WebhookConfigurationObject>(await admission.readMutatingWebhookConfiguration({ name }));
          } catch (err) {
            if (statusOf(err) === 404) return undefined;
            throw describe(err, `get ${what}`);
          }
        },
        async setCaBundle(observed, caBundle) {
          // A JSON patch: `test` ops make it conditional (resourceVersion, webhook names at their index),
          // and only the caBundle paths are written, so fields this client's models lack are kept.
          const ops: object[] = [{ op: "test", path: "/metadata/resourceVersion", value: observed.metadata.resourceVersion }];
          observed.webhooks.forEach((hook, i) => {
            ops.push({ op: "test", path: `/webhooks/${i}/name`, value: hook.name }, { op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle });
          });
          try {
            await admission.patchMutatingWebhookConfiguration({ name, body: ops }, setHeaderOptions("Content-Type", PatchStrategy.JsonPatch));
          } catch (err) {
            // A failed test op is a 422 (UnprocessableEntity), a moved resourceVersion a 409.
            if (statusOf(err) === 409 || statusOf(err) === 422) throw new ConflictError(`${what} was modified concurrently`);
            throw describe(err, `patch ${what}`);
          }
        },
      };
    },
    namespaces(): NamespaceClient {
      return {
        async labels(name) {
          try {
            return (await core.readNamespace({ name })).metadata?.labels ?? {};
          } catch (err) {
            if (statusOf(err) === 404) return undefined;
            throw describe(err, `get namespace ${name}`);
          }
        },
      };
    },
    pods() {
      return watchable<PodObject>(kc, "/api/v1/pods", {}, () => core.listPodForAllNamespaces({}));
    },
    events(): EventClient {
      return {
        async create(event: EventObject) {
          try {
            // The client's serializer wants Date objects for timestamps.
            const body = { ...event, firstTimestamp: new Date(event.firstTimestamp), lastTimestamp: new Date(event.lastTimestamp) } as unknown as CoreV1Event;
            await core.createNamespacedEvent({ namespace: event.metadata.namespace, body });
            return "created";
          } catch (err) {
            if (statusOf(err) === 409) return "exists";
            throw describe(err, `create event ${event.metadata.namespace}/${event.metadata.name}`);
          }
        },
      };
    },
  };
}
