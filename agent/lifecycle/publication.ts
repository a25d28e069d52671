/**
 * Publication of the credential files: one write in flight at a time, a dirty flag for changes made
 * meanwhile, and quick retries of failed writes (a full tmpfs or a permissions fix is worth retrying).
 */
import { backoffDelay, type BackoffPolicy } from "../backoff.js";
import type { Context, ErrorInfo } from "./types.js";

/** File-write retries: quick, capped at 30 s. */
const PUBLISH_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: "down-25" };

export class Publication {
  private inFlight = false;
  private dirty = false;
  private consecutiveFailures = 0;
  private failures = 0;
  private writes = 0;
  private lastError: ErrorInfo | undefined;

  request(ctx: Context): void {
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    this.inFlight = true;
    this.dirty = false;
    ctx.emit({ type: "publish" });
  }

  /** A write ended; returns whether another one is due (a change arrived while it ran). */
  onPublished(ctx: Context, ok: boolean, error: string | undefined): boolean {
    this.inFlight = false;
    if (ok) {
      this.consecutiveFailures = 0;
      this.lastError = undefined;
      this.writes++;
      return this.dirty;
    }
    this.consecutiveFailures++;
    this.failures++;
    this.lastError = { at: ctx.now, kind: "write", message: error ?? "write failed" };
    const delay = backoffDelay(PUBLISH_BACKOFF, this.consecutiveFailures, ctx.options.random());
    ctx.log("error", "writing credential files failed; the endpoint keeps serving from memory", { error: error ?? "", retry_in_ms: delay });
    ctx.arm({ kind: "publish" }, ctx.now + delay);
    return false;
  }

  /** A write ended after the machine stopped caring about its outcome. */
  abandon(): void {
    this.inFlight = false;
  }

  status(): { readonly consecutiveFailures: number; readonly failures: number; readonly writes: number; readonly lastError: ErrorInfo | undefined } {
    return { consecutiveFailures: this.consecutiveFailures, failures: this.failures, writes: this.writes, lastError: this.lastError };
  }
}
