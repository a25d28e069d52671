/**
 * The parts of a Pod (or a workload's pod template) the injector reads, checked in place (view-schema.ts:
 * this runs on every pod creation, and the injector only reads the object). Unknown fields pass through
 * untouched (the API server owns full validation), and list fields may be absent or `null` (YAML `env:`
 * with nothing under it), which matters for JSONPatch paths.
 */
import { arrayOf, boolean, describeIssue, integer, nonEmptyString, nullish, object, record, string, unknown, type Infer } from "./view-schema.js";

const named = object({ name: string });
const volumeMount = object({ name: string, mountPath: string, readOnly: nullish(boolean) });

const securityContext = object({
  runAsUser: nullish(integer),
  runAsGroup: nullish(integer),
  runAsNonRoot: nullish(boolean),
  fsGroup: nullish(integer),
  privileged: nullish(boolean),
});

const container = object({
  name: nonEmptyString,
  image: nullish(string),
  // Only names are read: the values stay whatever the pod author wrote.
  env: nullish(arrayOf(named)),
  envFrom: nullish(arrayOf(unknown)),
  volumeMounts: nullish(arrayOf(volumeMount)),
  securityContext: nullish(securityContext),
  restartPolicy: nullish(string),
});

export const podSchema = object({
  metadata: nullish(
    object({
      name: nullish(string),
      generateName: nullish(string),
      namespace: nullish(string),
      // Values stay `unknown` here: a YAML file may hold `inject: true` unquoted, and the annotation
      // parser turns that into a precise message instead of a schema error.
      annotations: nullish(record),
      labels: nullish(record),
    }),
  ),
  spec: object({
    containers: nullish(arrayOf(container)),
    initContainers: nullish(arrayOf(container)),
    volumes: nullish(arrayOf(named)),
    serviceAccountName: nullish(string),
    serviceAccount: nullish(string),
    automountServiceAccountToken: nullish(boolean),
    securityContext: nullish(securityContext),
    hostNetwork: nullish(boolean),
    hostPID: nullish(boolean),
    shareProcessNamespace: nullish(boolean),
    os: nullish(object({ name: string })),
  }),
});

export type PodView = Infer<typeof podSchema>;
export type ContainerView = Infer<typeof container>;
export type EnvVarView = Infer<typeof named>;

/** Checks the object under review; the error names the first offending field. */
export function readPod(object: unknown): { pod: PodView } | { error: string } {
  const issue = podSchema(object);
  if (issue === undefined) return { pod: object as PodView };
  return { error: `the object is not a Pod or pod template: ${describeIssue(issue, "(root)")}` };
}

export function annotationsOf(pod: PodView): Readonly<Record<string, unknown>> {
  return pod.metadata?.annotations ?? {};
}

export function containersOf(pod: PodView): readonly ContainerView[] {
  return pod.spec.containers ?? [];
}

export function initContainersOf(pod: PodView): readonly ContainerView[] {
  return pod.spec.initContainers ?? [];
}

/** `spec.serviceAccountName`, the deprecated `spec.serviceAccount`, else `default` (what the API server assigns). */
export function serviceAccountOf(pod: PodView): string {
  return pod.spec.serviceAccountName || pod.spec.serviceAccount || "default";
}

export function envNames(c: ContainerView): Set<string> {
  return new Set((c.env ?? []).map((e) => e.name));
}
