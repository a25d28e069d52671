/**
 * The projected service-account token: read fresh from disk at every login (the kubelet rotates it;
 * reference anchors.md §3.2), and watched so that a rotation during a login backoff is tried at once
 * (a TokenReview 403 caused by an expired token then heals without waiting minutes).
 *
 * The kubelet's atomic writer swaps a `..data` symlink in the token's directory, so the directory is
 * watched (depth 0) and every event re-reads and compares the token's hash.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
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

export function watchServiceAccountToken(path: string, onChange: () => void): TokenFileWatch {
  let last: string | undefined;
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
  const watcher = watch(dirname(path), { depth: 0, ignoreInitial: true, persistent: false });
  const check = (): void => {
    void digest().then((d) => {
      if (d !== undefined && d !== last) {
        last = d;
        onChange();
      }
    });
  };
  watcher.on("all", check);
  watcher.on("error", () => undefined);
  const attached = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  const ready = Promise.all([attached, initial]).then(() => undefined);
  return { ready, close: () => watcher.close() };
}
