/**
 * The Vault HTTP API simulator — a development/test double (like `vault server -dev`, in memory, on
 * loopback only) that follows Vault's HTTP API (hashicorp/vault `http/`, `vault/`, `sdk/`): envelope,
 * status codes, error texts, TTL arithmetic, Kubernetes auth with TokenReview, tokens, leases,
 * AWS/KV/MinIO engines, ACL policies, health — plus test controls under `/sim/`.
 * See docs/vault-simulator.md.
 */
export type { SimClock, SimClockOptions } from "./clock.js";
export { createSimClock } from "./clock.js";
export type { CompatOptions } from "./compat.js";
export { DEFAULT_COMPAT } from "./compat.js";
export type { LeaseInfo, TokenInfo, TokenRef, VaultSimControls } from "./controls.js";
export type { SimEvent, SimEventType } from "./events.js";
export type { IamUser } from "./fake-aws.js";
export type { FaultAction, FaultRule, FaultRuleSpec } from "./faults.js";
export type { MinioUser } from "./minio-plugins.js";
export type { RequestLog, RequestLogEntry, RequestLogFilter } from "./request-log.js";
export type { NodeState } from "./sys-health.js";
export { ListenAddressError, parseListenAddress } from "./listen-address.js";
export { startKubernetesAuthStack } from "./kubernetes-auth-stack.js";
export type { KubernetesAuthStack, KubernetesAuthStackOptions } from "./kubernetes-auth-stack.js";
export { SYSTEM_DEFAULT_TTL_SECONDS, startVaultSim } from "./vault-sim.js";
export type { InjectRequest, InjectResponse, VaultSim, VaultSimOptions } from "./vault-sim.js";
