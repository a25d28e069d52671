/**
 * The kubelet simulator: runs a mutated pod's containers as local processes (docs/kubelet-simulator.md).
 */
export { runPod } from "./kubelet.js";
export type { ContainerKind, ContainerStatus, KubeletOptions, PodPhase, PodResult, RunningPod } from "./kubelet.js";
export { clockFromSimClock, realClock } from "./clock.js";
export type { KubeletClock } from "./clock.js";
export { aviImage, HOST_SHELL_IMAGE, inRepo, nodeLayer, NODE_IN_CONTAINER, repoLayer, REPO_IN_CONTAINER } from "./images.js";
export type { ImageEntry, ImageLayer, ImageTable } from "./images.js";
export { detectIsolation } from "./isolation.js";
export type { Isolation, IsolationMode } from "./isolation.js";
export type { ClusterObjects } from "./env.js";
export type { TokenIssuer, TokenRotationEvent } from "./volumes.js";
export { DATA_DIR } from "./atomic-writer.js";
export { PodSpecError } from "./pod-spec.js";
