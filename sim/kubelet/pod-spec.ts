/**
 * The part of a core/v1 Pod the kubelet simulator runs, validated at the edge (a mutated pod comes
 * from admission as plain JSON). Unknown fields are ignored, as a kubelet ignores what it does not act on.
 */
import { z } from "zod";

const intOrString = z.union([z.number().int(), z.string().min(1)]);

const execAction = z.object({ command: z.array(z.string()).min(1) });
const httpGetAction = z.object({
  path: z.string().optional(),
  port: intOrString,
  host: z.string().optional(),
  scheme: z.enum(["HTTP", "HTTPS"]).optional(),
  httpHeaders: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
const tcpSocketAction = z.object({ port: intOrString, host: z.string().optional() });

export const probeSchema = z.object({
  exec: execAction.optional(),
  httpGet: httpGetAction.optional(),
  tcpSocket: tcpSocketAction.optional(),
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
});

const keyRef = z.object({ name: z.string(), key: z.string(), optional: z.boolean().optional() });
export const envVarSchema = z.object({
  name: z.string().min(1),
  value: z.string().optional(),
  valueFrom: z
    .object({
      fieldRef: z.object({ fieldPath: z.string(), apiVersion: z.string().optional() }).optional(),
      secretKeyRef: keyRef.optional(),
      configMapKeyRef: keyRef.optional(),
      resourceFieldRef: z.object({ resource: z.string() }).optional(),
    })
    .optional(),
});

export const securityContextSchema = z.object({
  runAsUser: z.number().int().min(0).optional(),
  runAsGroup: z.number().int().min(0).optional(),
  runAsNonRoot: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  capabilities: z.object({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
  seccompProfile: z.object({ type: z.enum(["RuntimeDefault", "Unconfined", "Localhost"]), localhostProfile: z.string().optional() }).optional(),
});

const quantity = z.union([z.string().min(1), z.number()]);
export const resourcesSchema = z.object({
  limits: z.record(z.string(), quantity).optional(),
  requests: z.record(z.string(), quantity).optional(),
});

export const volumeMountSchema = z.object({
  name: z.string(),
  mountPath: z.string().startsWith("/", { message: "must be an absolute path" }),
  subPath: z.string().optional(),
  readOnly: z.boolean().optional(),
});

export const containerSchema = z.object({
  name: z.string().min(1),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVarSchema).optional(),
  envFrom: z.array(z.unknown()).optional(),
  ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number().int() })).optional(),
  volumeMounts: z.array(volumeMountSchema).optional(),
  securityContext: securityContextSchema.optional(),
  resources: resourcesSchema.optional(),
  restartPolicy: z.literal("Always").optional(),
  startupProbe: probeSchema.optional(),
});

const keyToPath = z.object({ key: z.string(), path: z.string(), mode: z.number().int().optional() });
const downwardItem = z.object({ path: z.string(), fieldRef: z.object({ fieldPath: z.string() }).optional(), mode: z.number().int().optional() });
export const volumeSchema = z.object({
  name: z.string().min(1),
  emptyDir: z.object({ medium: z.enum(["", "Memory"]).optional(), sizeLimit: z.union([z.string(), z.number()]).optional() }).optional(),
  projected: z
    .object({
      defaultMode: z.number().int().optional(),
      sources: z.array(
        z.object({
          serviceAccountToken: z.object({ audience: z.string().optional(), expirationSeconds: z.number().int().optional(), path: z.string().min(1) }).optional(),
          configMap: z.object({ name: z.string(), items: z.array(keyToPath).optional(), optional: z.boolean().optional() }).optional(),
          secret: z.object({ name: z.string(), items: z.array(keyToPath).optional(), optional: z.boolean().optional() }).optional(),
          downwardAPI: z.object({ items: z.array(downwardItem) }).optional(),
        }),
      ),
    })
    .optional(),
  configMap: z.object({ name: z.string(), items: z.array(keyToPath).optional(), optional: z.boolean().optional(), defaultMode: z.number().int().optional() }).optional(),
  downwardAPI: z.object({ items: z.array(downwardItem), defaultMode: z.number().int().optional() }).optional(),
  secret: z.object({ secretName: z.string(), items: z.array(keyToPath).optional(), optional: z.boolean().optional(), defaultMode: z.number().int().optional() }).optional(),
});

export const podSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1).default("default"),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.object({
    serviceAccountName: z.string().optional(),
    restartPolicy: z.enum(["Always", "OnFailure", "Never"]).optional(),
    terminationGracePeriodSeconds: z.number().int().min(0).optional(),
    securityContext: z
      .object({
        runAsUser: z.number().int().min(0).optional(),
        runAsGroup: z.number().int().min(0).optional(),
        fsGroup: z.number().int().min(0).optional(),
        supplementalGroups: z.array(z.number().int().min(0)).optional(),
        seccompProfile: z.object({ type: z.enum(["RuntimeDefault", "Unconfined", "Localhost"]), localhostProfile: z.string().optional() }).optional(),
      })
      .optional(),
    initContainers: z.array(containerSchema).optional(),
    containers: z.array(containerSchema).min(1),
    volumes: z.array(volumeSchema).optional(),
  }),
});

export type Pod = z.output<typeof podSchema>;
export type Container = z.output<typeof containerSchema>;
export type Volume = z.output<typeof volumeSchema>;
export type VolumeMount = z.output<typeof volumeMountSchema>;
export type Probe = z.output<typeof probeSchema>;
export type EnvVar = z.output<typeof envVarSchema>;

export class PodSpecError extends Error {
  override readonly name = "PodSpecError";
}

/** Validate a pod for the simulator; errors name the field, as `kubectl` would. */
export function parsePod(value: unknown): Pod {
  const result = podSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new PodSpecError(`the kubelet simulator cannot run this pod: ${issues}`);
  }
  const pod = result.data;
  const policy = pod.spec.restartPolicy ?? "Always";
  if (policy !== "Never") {
    throw new PodSpecError(`spec.restartPolicy ${policy}: the kubelet simulator runs pods to completion only (restartPolicy: Never, as Airflow's worker and KPO pods use)`);
  }
  return pod;
}
