/**
 * The projected service-account token: read fresh from disk at every login (the kubelet rotates it;
 * Vault Agent does the same: `command/agentproxyshared/auth/kubernetes/kubernetes.go`), and watched
 * so that a rotation during a login backoff is tried at once
 * (a TokenReview 403 caused by an expired token then heals without waiting minutes).
 *
 * The kubelet's atomic writer swaps a `..data` symlink in the token's directory, so the directory is
 * watched (depth 0) and every event re-reads and compares the token's hash.
 *
 * inotify instances are limited per user on a node (fs.inotify.max_user_instances, 128 by default) and
 * every agent runs as the same UID, so a watch can fail on a busy node. Then the token is polled
 * instead — it is read fresh at every login anyway; the watch only shortens a backoff after rotation.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { EventEmitter } from "node:events";
import { watch } from "chokidar";

export async function readServiceAccountToken(path: string): Promise<string> {
  const jwt = (await readFile(path, "utf8")).trim();
  if (jwt === "") throw new Error(`service-account token file ${path} is empty`);
  return jwt;
}

export interface TokenFileWatch {
  /** Resolves once the watcher is attached (changes before that may be missed). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** The part of chokidar's FSWatcher used here (tests give a fake that fails). */
export interface DirectoryWatcher extends EventEmitter {
  close(): Promise<void>;
}

export interface TokenWatchOptions {
  /** Called once when the directory watch fails and polling takes over. */
  onWatchError?: (error: unknown) => void;
  pollMs?: number;
  watchDirectory?: (dir: string) => DirectoryWatcher;
}

const chokidarDirectory = (dir: string): DirectoryWatcher => watch(dir, { depth: 0, ignoreInitial: true, persistent: false });

export function watchServiceAccountToken(path: string, onChange: () => void, options: TokenWatchOptions = {}): TokenFileWatch {
  const { onWatchError, pollMs = 10_000, watchDirectory = chokidarDirectory } = options;
  let last: string | undefined;
  let poll: NodeJS.Timeout | undefined;
  const digest = async (): Promise<string | undefined> => {
    try {
      return createHash("sha256").update(await readFile(path)).digest("hex");
    } catch {
      return undefined;
    }
  };
  const initial = digest().then((d) => {
    last ??= d;
  });
  const watcher = watchDirectory(dirname(path));
  const check = (): void => {
    void digest().then((d) => {
      if (d !== undefined && d !== last) {
        last = d;
        onChange();
      }
    });
  };
  watcher.on("all", check);
  const attached = new Promise<void>((resolve) => {
    watcher.once("ready", () => resolve());
    watcher.on("error", (error: unknown) => {
      resolve();
      if (poll !== undefined) return;
      onWatchError?.(error);
      poll = setInterval(check, pollMs).unref();
    });
  });
  const ready = Promise.all([attached, initial]).then(() => undefined);
  return {
    ready,
    close: () => {
      clearInterval(poll);
      return watcher.close();
    },
  };
}
