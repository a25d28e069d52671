/**
 * `GET|HEAD /v1/sys/health` (`http/sys_health.go` getSysHealth): the status code from the node's state and the query
 * overrides, in Vault's precedence order, and the body (returned for every code except on HEAD).
 */
import { emptyError } from "../server/errors.js";
import { parseGoBool } from "../core/fields.js";

/** The node state health reports; sim controls flip these. */
export interface NodeState {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  performanceStandby: boolean;
  drSecondary: boolean;
  /** A standby that cannot reach the active node (Vault ≥1.19 `haunhealthycode`). */
  haUnhealthy: boolean;
  /** Removed from the raft cluster (Vault ≥1.19 `removedcode`). */
  removed: boolean;
}

export interface ClusterIdentity {
  readonly version: string;
  readonly clusterName: string;
  readonly clusterId: string;
}

const CODE_PARAMS = {
  activecode: 200,
  standbycode: 429,
  drsecondarycode: 472,
  performancestandbycode: 473,
  haunhealthycode: 474,
  removedcode: 530,
  sealedcode: 503,
  uninitcode: 501,
} as const;
type CodeParam = keyof typeof CODE_PARAMS;

function readParams(query: Readonly<Record<string, unknown>>): { codes: Record<CodeParam, number>; standbyOk: boolean; perfStandbyOk: boolean } {
  const text = (k: string): string | undefined => {
    const v = query[k];
    const first: unknown = Array.isArray(v) ? v[0] : v;
    return typeof first === "string" ? first : first === undefined ? undefined : JSON.stringify(first);
  };
  const bool = (k: string): boolean => {
    const v = text(k);
    if (v === undefined || v === "") return false;
    const parsed = parseGoBool(v);
    if (parsed === undefined) throw emptyError(400);
    return parsed;
  };
  const codes = { ...CODE_PARAMS } as Record<CodeParam, number>;
  for (const key of Object.keys(CODE_PARAMS) as CodeParam[]) {
    const v = text(key);
    if (v === undefined || v === "") continue;
    if (!/^[-+]?\d+$/.test(v)) throw emptyError(400);
    codes[key] = Number(v);
  }
  return { codes, standbyOk: bool("standbyok"), perfStandbyOk: bool("perfstandbyok") };
}

/** Status code by Vault's precedence: uninit → removed → sealed → HA-unhealthy → DR secondary → perf standby → standby → active. */
export function healthStatus(state: NodeState, query: Readonly<Record<string, unknown>>): number {
  const { codes, standbyOk, perfStandbyOk } = readParams(query);
  if (!state.initialized) return codes.uninitcode;
  if (state.removed) return codes.removedcode;
  if (state.sealed) return codes.sealedcode;
  if ((state.standby || state.performanceStandby) && state.haUnhealthy) return codes.haunhealthycode;
  if (state.drSecondary) return codes.drsecondarycode;
  if (state.performanceStandby) return perfStandbyOk ? codes.activecode : codes.performancestandbycode;
  if (state.standby) return standbyOk ? codes.activecode : codes.standbycode;
  return codes.activecode;
}

export function healthBody(state: NodeState, cluster: ClusterIdentity, nowMs: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    initialized: state.initialized,
    sealed: state.sealed,
    standby: state.standby || state.performanceStandby,
    performance_standby: state.performanceStandby,
    replication_performance_mode: "disabled",
    replication_dr_mode: state.drSecondary ? "secondary" : "disabled",
    server_time_utc: Math.floor(nowMs / 1000),
    version: cluster.version,
    enterprise: false,
  };
  if (!state.sealed && state.initialized) {
    body.cluster_name = cluster.clusterName;
    body.cluster_id = cluster.clusterId;
  }
  body.echo_duration_ms = 0;
  body.clock_skew_ms = 0;
  body.replication_primary_canary_age_ms = 0;
  if (state.removed) body.removed_from_cluster = true;
  if (state.standby || state.performanceStandby) {
    body.ha_connection_healthy = !state.haUnhealthy;
    body.last_request_forwarding_heartbeat_ms = state.haUnhealthy ? 0 : 1;
  }
  return body;
}

export function sealStatusBody(state: NodeState, cluster: ClusterIdentity): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: "shamir",
    initialized: state.initialized,
    sealed: state.sealed,
    t: 1,
    n: 1,
    progress: 0,
    nonce: "",
    version: cluster.version,
    build_date: "2025-01-01T00:00:00Z",
    migration: false,
    recovery_seal: false,
    storage_type: "inmem",
  };
  if (!state.sealed && state.initialized) {
    body.cluster_name = cluster.clusterName;
    body.cluster_id = cluster.clusterId;
  }
  return body;
}
