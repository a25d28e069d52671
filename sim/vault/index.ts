/**
 * The Vault HTTP API simulator — a development/test double (like `vault server -dev`, in memory, on
 * loopback only) that follows Vault's HTTP API (hashicorp/vault `http/`, `vault/`, `sdk/`): envelope,
 * status codes, error texts, TTL arithmetic, Kubernetes auth with TokenReview, tokens, leases,
 * AWS/KV/MinIO engines, ACL policies, health — plus test controls under `/sim/`.
 * See docs/vault-simulator.md.
 */
export type { SimClock, SimClockOptions } from "./time/clock.js";
export { createSimClock } from "./time/clock.js";
export type { CompatOptions } from "./server/compat.js";
export { DEFAULT_COMPAT } from "./server/compat.js";
export type { LeaseInfo, TokenInfo, TokenRef, VaultSimControls } from "./server/controls.js";
export type { SimEvent, SimEventType } from "./server/events.js";
export type { IamUser } from "./engines/fake-aws.js";
export type { FaultAction, FaultRule, FaultRuleSpec } from "./server/faults.js";
export type { MinioUser } from "./engines/minio-plugins.js";
export type { RequestLog, RequestLogEntry, RequestLogFilter } from "./server/request-log.js";
export type { NodeState } from "./sys/sys-health.js";
export { ListenAddressError, parseListenAddress } from "./server/listen-address.js";
export { startKubernetesAuthStack } from "./auth/kubernetes/kubernetes-auth-stack.js";
export type { KubernetesAuthStack, KubernetesAuthStackOptions } from "./auth/kubernetes/kubernetes-auth-stack.js";
export { SYSTEM_DEFAULT_TTL_SECONDS, startVaultSim } from "./server/vault-sim.js";
export type { InjectRequest, InjectResponse, VaultSim, VaultSimOptions } from "./server/vault-sim.js";
