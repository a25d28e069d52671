/**
 * Container environment as the kubelet builds it (pure): `env` in order, each value expanded against
 * the variables defined before it, `valueFrom` resolved (downward API fieldRef, Secret/ConfigMap keys
 * from the objects the caller supplies), and `$(VAR)` expansion of command and args. The expansion
 * follows Kubernetes' third_party/forked/golang/expansion: `$(NAME)` → value when defined, otherwise
 * left as written; `$$` → `$`; any other `$` is literal.
 */
import type { Container, EnvVar, Pod } from "./pod-spec.js";

/** What the kubelet knows about the running pod beyond its spec. */
export interface PodRuntimeFacts {
  readonly uid: string;
  readonly nodeName: string;
  readonly podIP: string;
  readonly hostIP: string;
}

/** Secret and ConfigMap contents in the pod's namespace (`name → key → value`). */
export interface ClusterObjects {
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly configMaps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** `CreateContainerConfigError`: the container cannot be created from its spec. */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
}

export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== "$" || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i++;
    } else if (next === "(") {
      const close = input.indexOf(")", i + 2);
      if (close === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else out += c;
  }
  return out;
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The value of a downward-API `fieldRef` (the paths Kubernetes allows in env). */
export function fieldRefValue(pod: Pod, facts: PodRuntimeFacts, fieldPath: string): string {
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub !== null) {
    const map = sub[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[sub[2]!] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "metadata.uid":
      return facts.uid;
    case "spec.nodeName":
      return facts.nodeName;
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs":
      return facts.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return facts.hostIP;
    default:
      throw new ContainerConfigError(`fieldRef ${JSON.stringify(fieldPath)} is not supported in env (metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP)`);
  }
}

function keyRefValue(kind: "secret" | "configmap", objects: ClusterObjects, ref: { name: string; key: string; optional?: boolean | undefined }): string | undefined {
  const store = kind === "secret" ? objects.secrets : objects.configMaps;
  const obj = store?.[ref.name];
  if (obj === undefined) {
    if (ref.optional === true) return undefined;
    throw new ContainerConfigError(`${kind} ${JSON.stringify(ref.name)} not found (give its data to the kubelet simulator's \`objects\`, or mark the reference optional)`);
  }
  const value = obj[ref.key];
  if (value === undefined && ref.optional !== true) throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind === "secret" ? "Secret" : "ConfigMap"} ${ref.name}`);
  return value;
}

function envValue(pod: Pod, facts: PodRuntimeFacts, objects: ClusterObjects, v: EnvVar, lookup: (name: string) => string | undefined): string | undefined {
  if (v.value !== undefined) return expand(v.value, lookup);
  const from = v.valueFrom;
  if (from === undefined) return "";
  if (from.fieldRef !== undefined) return fieldRefValue(pod, facts, from.fieldRef.fieldPath);
  if (from.secretKeyRef !== undefined) return keyRefValue("secret", objects, from.secretKeyRef);
  if (from.configMapKeyRef !== undefined) return keyRefValue("configmap", objects, from.configMapKeyRef);
  throw new ContainerConfigError(`env ${v.name}: resourceFieldRef is not supported by the kubelet simulator`);
}

/**
 * The container's environment: the image's env first, then `HOSTNAME`, then the spec's `env` in order
 * (later entries override, and may refer to earlier ones with `$(NAME)`).
 */
export function containerEnv(
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  objects: ClusterObjects,
  imageEnv: Readonly<Record<string, string>>,
): { env: Record<string, string>; declared: Record<string, string> } {
  if (container.envFrom !== undefined && container.envFrom.length > 0) {
    throw new ContainerConfigError(`container ${container.name}: envFrom is not supported by the kubelet simulator; list the variables under env`);
  }
  const env: Record<string, string> = { ...imageEnv, HOSTNAME: pod.metadata.name };
  // Kubernetes expands against the container's own env defined so far (not the image's env).
  const defined = new Map<string, string>();
  for (const v of container.env ?? []) {
    const value = envValue(pod, facts, objects, v, (name) => defined.get(name));
    if (value === undefined) continue;
    defined.set(v.name, value);
    env[v.name] = value;
  }
  return { env, declared: Object.fromEntries(defined) };
}

/** Command and args with `$(VAR)` expanded against the env the spec declares (not the image's). */
export function expandCommand(container: Container, declared: Readonly<Record<string, string>>): { command?: string[]; args?: string[] } {
  const lookup = (name: string): string | undefined => declared[name];
  return {
    ...(container.command !== undefined && { command: container.command.map((s) => expand(s, lookup)) }),
    ...(container.args !== undefined && { args: container.args.map((s) => expand(s, lookup)) }),
  };
}
