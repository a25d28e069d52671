/**
 * Drift report (hashicorp/vault-k8s#40): pods that ask for injection but were not injected —
 * the webhook was bypassed (not registered yet, namespace or object not selected, a copy of the
 * configuration with failurePolicy Ignore) and the pod runs without credentials. Watched through the
 * API; each such pod is counted in `avi_webhook_drift_pods{namespace}`, logged once and recorded as a
 * Warning Event on the pod. Several replicas report the same pod under one deterministic Event name:
 * the first create wins, the others get AlreadyExists and stay quiet.
 */
import type { Logger } from "pino";
import { AGENT_CONTAINER } from "../injector/agent-container.js";
import { ANNOTATION, STATUS_INJECTED, injectSwitch } from "../injector/annotations.js";
import type { EventClient, EventObject, PodObject, Watchable } from "./kube/api.js";
import { Reflector } from "./kube/reflector.js";
import type { WebhookMetrics } from "./metrics.js";

const MIRROR_POD = "kubernetes.io/config.mirror";
export const DRIFT_REASON = "AviNotInjected";

/** Pure: does this pod ask for injection without having been injected? */
export function isDrifted(pod: PodObject): boolean {
  const annotations = pod.metadata.annotations ?? {};
  if (annotations[ANNOTATION.inject] === undefined || annotations[ANNOTATION.status] === STATUS_INJECTED) return false;
  if (annotations[MIRROR_POD] !== undefined) return false; // static pods cannot be mutated at all
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  if (containers.some((c) => c.name === AGENT_CONTAINER)) return false;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  // "true" — or a value the webhook would have denied: either way the webhook never saw the pod.
  const state = injectSwitch({ [ANNOTATION.inject]: annotations[ANNOTATION.inject] });
  return "error" in state || state.on;
}

export function driftEvent(pod: PodObject, instance: string, now: number): EventObject {
  const namespace = pod.metadata.namespace ?? "";
  const uid = pod.metadata.uid ?? "";
  const time = new Date(now).toISOString();
  return {
    metadata: { name: `${pod.metadata.name.slice(0, 230)}.avi-${uid.slice(0, 8)}`, namespace },
    involvedObject: { kind: "Pod", apiVersion: "v1", name: pod.metadata.name, namespace, ...(uid !== "" && { uid }) },
    reason: DRIFT_REASON,
    message: `pod asks for Vault credentials (${ANNOTATION.inject}) but was not injected: the airflow-vault-injector webhook did not see it (not registered, namespace or pod not selected, or failing open); it runs without credentials — recreate it once the webhook serves`,
    type: "Warning",
    source: { component: "airflow-vault-injector" },
    reportingComponent: "airflow-vault.io/webhook",
    reportingInstance: instance,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

export interface DriftReportOptions {
  readonly pods: Watchable<PodObject>;
  readonly events: EventClient;
  readonly logger: Logger;
  readonly metrics: WebhookMetrics;
  /** This replica's pod name (Event reportingInstance). */
  readonly instance: string;
  readonly clock?: () => number;
}

interface Drifted {
  readonly namespace: string;
  readonly name: string;
}

export class DriftReport {
  private readonly reflector: Reflector<PodObject>;
  private readonly drifted = new Map<string, Drifted>();
  private readonly reported = new Set<string>();
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DriftReportOptions) {
    this.reflector = new Reflector({
      source: options.pods,
      onChange: (reason, pod) => (reason === "list" ? this.resync() : pod !== undefined && this.update(pod, reason === "DELETED")),
      onError: (err) => options.logger.warn({ err: err.message }, "drift report: pod watch failed; retrying"),
    });
  }

  start(): Promise<void> {
    return this.reflector.start();
  }

  /** Pods currently drifted, as `namespace/name`. */
  pods(): string[] {
    return [...this.drifted.values()].map((d) => `${d.namespace}/${d.name}`).sort();
  }

  /** Resolves once every Event started so far has been written (tests). */
  async settled(): Promise<void> {
    await this.pending;
  }

  stop(): void {
    this.reflector.stop();
  }

  private resync(): void {
    this.drifted.clear();
    for (const pod of this.reflector.list()) this.update(pod, false, false);
    this.publish();
  }

  private update(pod: PodObject, deleted: boolean, publish = true): void {
    const key = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (deleted || !isDrifted(pod)) {
      this.drifted.delete(key);
      this.reported.delete(key);
    } else {
      this.drifted.set(key, { namespace: pod.metadata.namespace ?? "", name: pod.metadata.name });
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.report(pod);
      }
    }
    if (publish) this.publish();
  }

  private publish(): void {
    const gauge = this.options.metrics.driftPods;
    gauge.reset();
    const counts = new Map<string, number>();
    for (const d of this.drifted.values()) counts.set(d.namespace, (counts.get(d.namespace) ?? 0) + 1);
    for (const [namespace, n] of counts) gauge.set({ namespace }, n);
  }

  private report(pod: PodObject): void {
    const namespace = pod.metadata.namespace ?? "";
    this.options.metrics.driftDetected.inc({ namespace });
    const event = driftEvent(pod, this.options.instance, (this.options.clock ?? Date.now)());
    this.pending = Promise.all([
      this.pending,
      this.options.events.create(event).then(
        (result) => {
          // One log line per pod across replicas: the one whose Event landed says it.
          const fields = { namespace, pod: pod.metadata.name, annotation: ANNOTATION.inject };
          if (result === "created") this.options.logger.warn(fields, "pod asks for injection but was not injected (webhook bypassed)");
          else this.options.logger.debug(fields, "drifted pod already reported by another replica");
        },
        (err: unknown) => this.options.logger.warn({ namespace, pod: pod.metadata.name, err: (err as Error).message }, "pod asks for injection but was not injected; recording the Event failed"),
      ),
    ]);
  }
}
