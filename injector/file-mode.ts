/**
 * Mode of the credential files the agent writes (agent config `fileMode`). The tmpfs is mounted only
 * into this pod's selected containers, so the question is which of *their* users must read the files:
 *   1. the pod sets `fsGroup` (the Airflow chart does, often 0): the kubelet makes the volume's directory
 *      group-owned by fsGroup with the setgid bit, so new files inherit that group, and every container
 *      has fsGroup as a supplementary group → 0440 (owner + group read);
 *   2. every selected container runs as the agent's UID → 0400;
 *   3. otherwise (different or unknown UIDs, e.g. the image's USER) → 0444, readable by any user in the
 *      containers that mount the volume.
 */
import type { ContainerView, PodView } from "./pod.js";

export const FILE_MODE_GROUP = 0o440;
export const FILE_MODE_OWNER = 0o400;
export const FILE_MODE_ALL = 0o444;

export function credentialFileMode(pod: PodView, targets: readonly ContainerView[], agentUid: number): number {
  const podContext = pod.spec.securityContext;
  if (typeof podContext?.fsGroup === "number") return FILE_MODE_GROUP;
  const sameUser = targets.every((c) => (c.securityContext?.runAsUser ?? podContext?.runAsUser) === agentUid);
  return sameUser && targets.length > 0 ? FILE_MODE_OWNER : FILE_MODE_ALL;
}
