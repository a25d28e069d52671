/**
 * The kubelet simulator: runs a mutated pod's containers as local processes (docs/kubelet-simulator.md).
 */
export { runPod } from "./kubelet.js";
export type { ContainerKind, ContainerStatus, KubeletOptions, PodPhase, PodResult, RunningPod } from "./kubelet.js";
export { clockFromSimClock, realClock } from "./clock.js";
export type { KubeletClock } from "./clock.js";
export { aviImage, HOST_SHELL_IMAGE } from "./images.js";
export type { ImageEntry, ImageTable } from "./images.js";
export { detectIsolation } from "./isolation.js";
export type { Isolation, IsolationMode } from "./isolation.js";
export type { ClusterObjects } from "./env.js";
export type { TokenIssuer, TokenRotationEvent } from "./volumes.js";
export { DATA_DIR } from "./atomic-writer.js";
export { PodSpecError } from "./pod-spec.js";
