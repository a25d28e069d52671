/**
 * Pod validation as the API server's `BeforeCreate` would do it, in two layers (kubernetes `pkg/apis/core/validation/validation.go`):
 * the schema (kubernetes-models, types and required fields; unknown fields are dropped, not errors)
 * and the server-side rules the schema cannot express, which a sidecar injector can break.
 */
import { Pod } from "kubernetes-models/v1/Pod";

type Obj = Record<string, unknown>;
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
/** Field values as the API server prints them in messages. */
const text = (v: unknown): string => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Type/shape errors (an InternalError 500 when a patch produces them). */
export function schemaErrors(pod: Obj): string[] {
  try {
    new Pod(pod).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** The 422 rules: `Pod "<name>" is invalid: <field>: <detail>`. */
export function validationErrors(pod: Obj): string[] {
  const spec = (pod["spec"] ?? {}) as Obj;
  const errors: string[] = [];
  const containers = arr(spec["containers"]);
  const initContainers = arr(spec["initContainers"]);
  const volumes = arr(spec["volumes"]);
  if (containers.length === 0) errors.push("spec.containers: Required value");

  const seen = new Set<string>();
  const groups: [string, Obj[]][] = [
    ["spec.initContainers", initContainers],
    ["spec.containers", containers],
    ["spec.ephemeralContainers", arr(spec["ephemeralContainers"])],
  ];
  for (const [field, list] of groups) {
    list.forEach((c, i) => {
      const name = text(c["name"]);
      if (!DNS1123_LABEL.test(name) || name.length > 63) errors.push(`${field}[${i}].name: Invalid value: "${name}": must be a DNS-1123 label`);
      if (seen.has(name)) errors.push(`${field}[${i}].name: Duplicate value: "${name}"`);
      seen.add(name);
    });
  }

  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    const name = text(v["name"]);
    if (!DNS1123_LABEL.test(name) || name.length > 63) errors.push(`spec.volumes[${i}].name: Invalid value: "${name}": must be a DNS-1123 label`);
    if (volumeNames.has(name)) errors.push(`spec.volumes[${i}].name: Duplicate value: "${name}"`);
    volumeNames.add(name);
    arr((v["projected"] as Obj | undefined)?.["sources"]).forEach((s, j) => {
      const token = s["serviceAccountToken"] as Obj | undefined;
      if (token === undefined) return;
      const seconds = token["expirationSeconds"];
      if (typeof seconds === "number" && seconds < 600) {
        errors.push(`spec.volumes[${i}].projected.sources[${j}].serviceAccountToken.expirationSeconds: Invalid value: ${seconds}: may not specify a duration less than 10 minutes`);
      }
      if (typeof token["path"] !== "string" || token["path"] === "") errors.push(`spec.volumes[${i}].projected.sources[${j}].serviceAccountToken.path: Required value`);
    });
  });

  for (const [field, list] of groups) {
    list.forEach((c, i) => {
      const paths = new Set<string>();
      arr(c["volumeMounts"]).forEach((m, j) => {
        const name = text(m["name"]);
        const path = text(m["mountPath"]);
        if (!volumeNames.has(name)) errors.push(`${field}[${i}].volumeMounts[${j}].name: Not found: "${name}"`);
        if (paths.has(path)) errors.push(`${field}[${i}].volumeMounts[${j}].mountPath: Invalid value: "${path}": must be unique`);
        paths.add(path);
      });
    });
  }

  initContainers.forEach((c, i) => {
    const policy = c["restartPolicy"];
    if (policy !== undefined && policy !== "Always") {
      errors.push(`spec.initContainers[${i}].restartPolicy: Unsupported value: "${text(policy)}": supported values: "Always"`);
    }
    if (policy !== "Always") {
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        if (c[probe] !== undefined) errors.push(`spec.initContainers[${i}].${probe}: Forbidden: may not be set for init containers without restartPolicy=Always`);
      }
    }
  });
  containers.forEach((c, i) => {
    if (c["restartPolicy"] !== undefined) errors.push(`spec.containers[${i}].restartPolicy: Forbidden: may not be set for non-init containers`);
  });
  return errors;
}
