/**
 * A container's `podman run` arguments, as a kubelet with a CRI runtime would create it from the pod
 * spec: user and groups (fsGroup and supplementalGroups as supplementary groups), a read-only root
 * without podman's implicit writable tmpfs mounts, capabilities, no-new-privileges, seccomp, memory
 * limit with swap equal to it, the pod's volumes as bind mounts, the host network. Values of env vars
 * are not in the arguments (`--env NAME` takes them from podman's own environment), so no secret
 * reaches the process list.
 */
import type { BindMount } from "./mount-plan.js";

/** The env of the `podman run` process itself: the host's PATH/HOME, the container's other values. */
export function podmanProcessEnv(containerEnv: Readonly<Record<string, string>>, hostPath: string): Record<string, string> {
  const { PATH: _path, HOME: _home, ...rest } = containerEnv;
  return { ...rest, PATH: hostPath, HOME: "/root" };
}
import type { Container, Pod } from "./pod-spec.js";

export class QuantityError extends Error {
  override readonly name = "QuantityError";
}

const SUFFIX: Readonly<Record<string, number>> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A Kubernetes memory quantity (`64Mi`, `128M`, `1e9`, 1000) in bytes. */
export function memoryBytes(q: string | number): number {
  if (typeof q === "number") return Math.ceil(q);
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q.trim());
  if (m === null) throw new QuantityError(`memory quantity "${q.slice(0, 40)}" is not a Kubernetes quantity (e.g. 64Mi)`);
  return Math.ceil(Number(m[1]) * SUFFIX[m[2] ?? ""]!);
}

export interface OciRunInput {
  readonly pod: Pod;
  readonly container: Container;
  /** runAsUser/runAsGroup and the supplementary groups (fsGroup, supplementalGroups) resolved. */
  readonly identity: { readonly uid: number; readonly gid: number; readonly groups: readonly number[] };
  /** The image ID or reference. */
  readonly image: string;
  /** The whole command line (Kubernetes' command/args resolved against the image's entrypoint/cmd). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly mounts: readonly BindMount[];
  readonly cidfile: string;
}

export function ociRunArgs(input: OciRunInput): string[] {
  const { pod, container } = input;
  const psc = pod.spec.securityContext ?? {};
  const csc = container.securityContext ?? {};
  const id = input.identity;
  const args = ["run", "--rm", "--pull=never", "--cidfile", input.cidfile, "--network=host", "--log-driver=k8s-file"];
  // The labels a CRI runtime puts on a pod's containers (how tests and tools find them).
  args.push("--label", `io.kubernetes.pod.uid=${pod.metadata.uid ?? ""}`, "--label", `io.kubernetes.pod.name=${pod.metadata.name}`, "--label", `io.kubernetes.container.name=${container.name}`);
  args.push("--user", `${id.uid}:${id.gid}`);
  for (const g of id.groups) args.push("--group-add", String(g));
  // A kubelet gives a read-only root no writable /tmp, /run or /var/tmp: podman would add them.
  if (csc.readOnlyRootFilesystem === true) args.push("--read-only", "--read-only-tmpfs=false");
  const caps = csc.capabilities ?? {};
  for (const c of caps.drop ?? []) args.push("--cap-drop", c.toUpperCase() === "ALL" ? "all" : c);
  for (const c of caps.add ?? []) args.push("--cap-add", c);
  if (csc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
  const seccomp = csc.seccompProfile ?? psc.seccompProfile;
  // RuntimeDefault: the runtime's default profile, which podman applies unless told otherwise.
  if (seccomp?.type === "Unconfined") args.push("--security-opt", "seccomp=unconfined");
  if (seccomp?.type === "Localhost") args.push("--security-opt", `seccomp=${seccomp.localhostProfile ?? ""}`);
  const limit = container.resources?.limits?.["memory"];
  if (limit !== undefined) {
    const bytes = String(memoryBytes(limit));
    args.push("--memory", bytes, "--memory-swap", bytes);
  }
  for (const m of input.mounts) args.push("--volume", `${m.source}:${m.target}:${m.readOnly ? "ro" : "rw"}`);
  // Values come from podman's environment; PATH and HOME (not secrets) are given so podman keeps its own.
  for (const name of Object.keys(input.env)) args.push("--env", name === "PATH" || name === "HOME" ? `${name}=${input.env[name] ?? ""}` : name);
  args.push("--workdir", input.workingDir);
  const [entry, ...rest] = input.argv;
  if (entry === undefined) throw new Error(`container ${container.name}: no command (neither the pod nor the image gives one)`);
  args.push("--entrypoint", JSON.stringify([entry]), input.image, ...rest);
  return args;
}
