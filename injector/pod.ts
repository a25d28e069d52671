/**
 * The parts of a Pod (or a workload's pod template) the injector reads. The schema is deliberately
 * loose: unknown fields pass through untouched (the API server owns full validation), and list fields
 * may be absent or `null` (YAML `env:` with nothing under it), which matters for JSONPatch paths.
 */
import { z } from "zod";

// List entries and string maps are checked in place, not copied: a worker pod carries dozens of env
// entries and annotations, the injector reads only names, and this runs on every pod creation.
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const named = z.custom<{ name: string }>((v) => isRecord(v) && typeof v["name"] === "string", { message: "each entry needs a string name" });
const volumeMount = z.custom<{ name: string; mountPath: string }>(
  (v) => isRecord(v) && typeof v["name"] === "string" && typeof v["mountPath"] === "string",
  { message: "each volume mount needs a string name and mountPath" },
);
const stringMap = z.custom<Record<string, unknown>>(isRecord, { message: "must be a map" });

const securityContext = z.looseObject({
  runAsUser: z.number().int().nullish(),
  runAsGroup: z.number().int().nullish(),
  runAsNonRoot: z.boolean().nullish(),
  fsGroup: z.number().int().nullish(),
});

const container = z.looseObject({
  name: z.string().min(1),
  image: z.string().nullish(),
  env: z.array(named).nullish(),
  envFrom: z.array(z.unknown()).nullish(),
  volumeMounts: z.array(volumeMount).nullish(),
  securityContext: securityContext.nullish(),
  restartPolicy: z.string().nullish(),
});

export const podSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().nullish(),
      generateName: z.string().nullish(),
      namespace: z.string().nullish(),
      // Values stay `unknown` here: a YAML file may hold `inject: true` unquoted, and the annotation
      // parser turns that into a precise message instead of a schema error.
      annotations: stringMap.nullish(),
      labels: stringMap.nullish(),
    })
    .nullish(),
  spec: z.looseObject({
    containers: z.array(container).nullish(),
    initContainers: z.array(container).nullish(),
    volumes: z.array(named).nullish(),
    serviceAccountName: z.string().nullish(),
    serviceAccount: z.string().nullish(),
    automountServiceAccountToken: z.boolean().nullish(),
    securityContext: securityContext.nullish(),
    hostNetwork: z.boolean().nullish(),
    os: z.looseObject({ name: z.string() }).nullish(),
  }),
});

export type PodView = z.infer<typeof podSchema>;
export type ContainerView = z.infer<typeof container>;
export type EnvVarView = z.infer<typeof named>;

/** Parses the object under review; the error names the first offending field. */
export function readPod(object: unknown): { pod: PodView } | { error: string } {
  const result = podSchema.safeParse(object);
  if (result.success) return { pod: result.data };
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.join(".");
  return { error: `the object is not a Pod or pod template: ${where}: ${issue?.message ?? "invalid"}` };
}

export function annotationsOf(pod: PodView): Record<string, unknown> {
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
