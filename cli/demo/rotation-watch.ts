/**
 * Watching the agent rotate: poll its loopback endpoint as an SDK would until it has served the first
 * credential and then `want` new ones, and (when the task writes to S3) until boto3's session signs with
 * the latest. The bookkeeping is a pure step over what was served; the loop around it does the I/O.
 */
import { join } from "node:path";
import type { RunningPod } from "../../sim/kubelet/index.js";
import { readServedCredential, type ServedCredential } from "./served-credential.js";
import type { Progress } from "./task-log.js";

export interface RotationState {
  /** The access key id served last (undefined before the first). */
  readonly current?: string;
  readonly rotations: number;
}

export type RotationEvent =
  | { readonly kind: "ready"; readonly served: ServedCredential }
  | { readonly kind: "rotation"; readonly n: number; readonly served: ServedCredential; readonly previous: string };

/** One observation of the endpoint: a new key id is the first credential or a rotation; the same one is nothing. */
export function observe(state: RotationState, served: ServedCredential | undefined): { readonly state: RotationState; readonly event?: RotationEvent } {
  if (served === undefined || served.accessKeyId === state.current) return { state };
  const next = { current: served.accessKeyId, rotations: state.current === undefined ? 0 : state.rotations + 1 };
  if (state.current === undefined) return { state: next, event: { kind: "ready", served } };
  return { state: next, event: { kind: "rotation", n: next.rotations, served, previous: state.current } };
}

/** True once the task's boto3 session signs with the key the agent serves now (s3_loop reports 8-char prefixes). */
export function sessionCaughtUp(progress: Progress | undefined, current: string | undefined): boolean {
  return progress?.accessKeyIdPrefix !== undefined && progress.accessKeyIdPrefix === current?.slice(0, 8);
}

export interface WatchOptions {
  readonly url: string;
  readonly want: number;
  readonly deadlineMs: number;
  /** The task's latest S3 progress, when it writes to S3 (then the watch also waits for {@link sessionCaughtUp}). */
  readonly s3Progress?: () => Progress | undefined;
  readonly onEvent: (event: RotationEvent) => void;
  /** The logs' last lines for an error message. */
  readonly logTail: (result?: Awaited<RunningPod["result"]>) => string;
  readonly pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the number of rotations seen; throws if the pod ends first or the deadline passes. */
export async function watchRotations(running: RunningPod, o: WatchOptions): Promise<number> {
  const started = performance.now();
  let state: RotationState = { rotations: 0 };
  for (;;) {
    if (running.phase() === "Succeeded" || running.phase() === "Failed") {
      const result = await running.result;
      throw new Error(`the pod ended early (${result.phase}${result.message !== undefined ? `: ${result.message}` : ""})\n${o.logTail(result)}`);
    }
    const served = running.status("avi-agent").state === "running" ? await readServedCredential(o.url, join(running.volumePath("avi-credentials"), "endpoint-token")) : undefined;
    const seen = observe(state, served);
    state = seen.state;
    if (seen.event !== undefined) o.onEvent(seen.event);
    const caughtUp = o.s3Progress === undefined || sessionCaughtUp(o.s3Progress(), state.current);
    if (state.rotations >= o.want && caughtUp) return state.rotations;
    if (performance.now() - started > o.deadlineMs) {
      throw new Error(`saw ${state.rotations} of ${o.want} rotations within ${Math.round(o.deadlineMs / 1000)} s${state.current === undefined ? " (the agent never served a credential)" : ""}\n${o.logTail()}`);
    }
    await sleep(o.pollMs ?? 200);
  }
}
