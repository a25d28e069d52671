/**
 * The parts of pod defaulting (SetDefaults_Pod/Container/Volume) and of the ServiceAccount admission
 * plugin that matter to a sidecar injector: after our patch the API server fills these fields in, and
 * on reinvocation the plugin mounts the API token into every container without a mount at its path
 * (kubernetes `pkg/apis/core/v1/defaults.go`, `plugin/pkg/admission/serviceaccount/admission.go`). A subset, chosen so idempotency checks cannot rely on the exact JSON we sent.
 */
import { randomBytes } from "node:crypto";
import type { JsonObject } from "./review.js";

export const SA_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export function applyPodDefaults(pod: JsonObject): void {
  const spec = obj(pod["spec"]);
  if (spec === undefined) return;
  spec["restartPolicy"] ??= "Always";
  spec["dnsPolicy"] ??= "ClusterFirst";
  spec["schedulerName"] ??= "default-scheduler";
  spec["terminationGracePeriodSeconds"] ??= 30;
  spec["securityContext"] ??= {};
  spec["enableServiceLinks"] ??= true;
  for (const c of [...arr(spec["initContainers"]), ...arr(spec["containers"])]) defaultContainer(c);
  for (const v of arr(spec["volumes"])) defaultVolume(v);
}

function defaultContainer(c: Obj): void {
  c["terminationMessagePath"] ??= "/dev/termination-log";
  c["terminationMessagePolicy"] ??= "File";
  const image = typeof c["image"] === "string" ? c["image"] : "";
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  c["imagePullPolicy"] ??= tag === undefined || tag === "latest" ? "Always" : "IfNotPresent";
  c["resources"] ??= {};
  for (const p of arr(c["ports"])) p["protocol"] ??= "TCP";
  for (const e of arr(c["env"])) {
    const fieldRef = obj(obj(e["valueFrom"])?.["fieldRef"]);
    if (fieldRef !== undefined) fieldRef["apiVersion"] ??= "v1";
  }
  for (const key of ["startupProbe", "livenessProbe", "readinessProbe"]) {
    const probe = obj(c[key]);
    if (probe === undefined) continue;
    probe["timeoutSeconds"] ??= 1;
    probe["periodSeconds"] ??= 10;
    probe["successThreshold"] ??= 1;
    probe["failureThreshold"] ??= 3;
    const httpGet = obj(probe["httpGet"]);
    if (httpGet !== undefined) {
      httpGet["scheme"] ??= "HTTP";
      httpGet["path"] ??= "/";
    }
  }
}

function defaultVolume(v: Obj): void {
  for (const key of ["secret", "configMap", "projected", "downwardAPI"]) {
    const source = obj(v[key]);
    if (source !== undefined) source["defaultMode"] ??= 420;
  }
  for (const s of arr(obj(v["projected"])?.["sources"])) {
    const token = obj(s["serviceAccountToken"]);
    if (token !== undefined) token["expirationSeconds"] ??= 3600;
  }
}

/**
 * plugin/pkg/admission/serviceaccount `mountServiceAccountToken`: unless automount is off, ensure the
 * `kube-api-access-*` volume and mount it read-only into every (init) container lacking a mount at
 * the token path. `serviceAccountAutomount` stands for the ServiceAccount object's own setting.
 */
export function serviceAccountPlugin(pod: JsonObject, serviceAccountAutomount = true): void {
  const spec = obj(pod["spec"]);
  if (spec === undefined) return;
  spec["serviceAccountName"] ??= "default";
  const podSetting = spec["automountServiceAccountToken"];
  if (podSetting === false || (podSetting === undefined && !serviceAccountAutomount)) return;
  const volumes = arr(spec["volumes"]);
  let volume = volumes.find((v) => typeof v["name"] === "string" && v["name"].startsWith("kube-api-access-"));
  if (volume === undefined) {
    volume = kubeApiAccessVolume(`kube-api-access-${randomBytes(3).toString("hex").slice(0, 5)}`);
    spec["volumes"] = [...volumes, volume];
  }
  for (const c of [...arr(spec["initContainers"]), ...arr(spec["containers"])]) {
    const mounts = arr(c["volumeMounts"]);
    if (mounts.some((m) => m["mountPath"] === SA_MOUNT_PATH)) continue;
    c["volumeMounts"] = [...mounts, { name: volume["name"], readOnly: true, mountPath: SA_MOUNT_PATH }];
  }
}

/** The projected volume the plugin adds: API token, cluster CA, namespace. */
export function kubeApiAccessVolume(name: string): JsonObject {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    },
  };
}
