/** The agent's lifecycle: the state machine (coordinator.ts) and the types its shell and views use. */
export { Lifecycle } from "./coordinator.js";
export type { CredentialSnapshot, LifecycleSnapshot, LifecycleView, PublishedCredential, VersionSnapshot } from "./snapshot.js";
export { timerId } from "./types.js";
export type { AuthResult, Effect, ErrorInfo, Event, Failure, FetchedSecret, LeaseResult, LifecycleOptions, LogLevel, Phase, RevokeTarget, TimerKey, TokenRef } from "./types.js";
