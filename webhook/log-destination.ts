/**
 * How `avi webhook` writes its log: pino's synchronous destination, fed once per event-loop turn. The
 * default writes every line with its own write(2), which here costs more CPU than formatting the line;
 * under load one turn handles many reviews, and their lines go out in one write when the turn ends
 * (setImmediate). No line waits for more traffic (unlike
 * pino's `minLength` buffering), and whatever is pending is written at exit, also after a crash.
 */
import { pino } from "pino";

export interface SyncDestination {
  write(text: string): unknown;
  flushSync(): void;
}

export interface TurnBatchedDestination extends SyncDestination {
  flush(cb?: (err?: Error) => void): void;
}

export function turnBatched(destination: SyncDestination): TurnBatchedDestination {
  let pending: string[] = [];
  let scheduled = false;
  const writePending = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    destination.write(text);
  };
  process.on("exit", writePending);
  return {
    write(line) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(writePending);
      }
    },
    flushSync() {
      writePending();
      destination.flushSync();
    },
    flush(cb) {
      writePending();
      destination.flushSync();
      cb?.();
    },
  };
}

/** stdout (or `dest`, a path or fd: the benchmark's /dev/null), written synchronously, once per turn. */
export function webhookLogDestination(dest: string | number = 1): TurnBatchedDestination {
  return turnBatched(pino.destination({ dest, sync: true }));
}
