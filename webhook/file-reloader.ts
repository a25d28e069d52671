/**
 * Keeps a value derived from one or more files current. Kubernetes updates Secret/ConfigMap mounts by
 * swapping a `..data` symlink, so watching the file itself misses updates: we watch the *directories*
 * (chokidar, depth 0), debounce, re-read every file and compare contents. A periodic resync covers
 * missed events. A load that fails keeps the last good value (and is reported), so a half-written or
 * mismatched update never takes the server down; the next event retries.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { watch, type FSWatcher } from "chokidar";

export interface FileReloaderOptions<T> {
  /** What the files are, for messages ("TLS certificate", "settings"). */
  name: string;
  files: readonly string[];
  /** Turns file contents (same order as `files`) into the value; throws on bad input. */
  load: (contents: readonly string[]) => T;
  onApply: (value: T, initial: boolean) => void;
  onError: (error: Error) => void;
  debounceMs?: number;
  resyncMs?: number;
}

export class FileReloader<T> {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private lastDigest = "";
  private lastFailedDigest = "";
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: FileReloaderOptions<T>) {}

  /** Loads once (throws if the files are missing or bad), then watches. */
  async start(): Promise<T> {
    const contents = await this.read();
    const value = this.options.load(contents);
    this.lastDigest = digest(contents);
    this.options.onApply(value, true);
    const dirs = [...new Set(this.options.files.map((f) => dirname(f)))];
    this.watcher = watch(dirs, { ignoreInitial: true, depth: 0, persistent: false });
    this.watcher.on("all", () => this.schedule());
    this.watcher.on("error", (err) => this.options.onError(err instanceof Error ? err : new Error(String(err))));
    await new Promise<void>((resolve) => this.watcher?.once("ready", () => resolve()));
    this.resync = setInterval(() => this.schedule(), this.options.resyncMs ?? 30_000);
    this.resync.unref();
    return value;
  }

  /** Re-reads now; resolves once applied or rejected. Serialised, so reloads never interleave. */
  reload(): Promise<void> {
    this.running = this.running.then(() => this.reloadOnce());
    return this.running;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), this.options.debounceMs ?? 50);
    this.debounce.unref();
  }

  private async reloadOnce(): Promise<void> {
    if (this.closed) return;
    let contents: string[];
    try {
      contents = await this.read();
    } catch (err) {
      this.options.onError(err as Error);
      return;
    }
    const d = digest(contents);
    if (d === this.lastDigest || d === this.lastFailedDigest) return;
    let value: T;
    try {
      value = this.options.load(contents);
    } catch (err) {
      this.lastFailedDigest = d; // report a bad file once, not on every resync
      this.options.onError(err as Error);
      return;
    }
    this.lastDigest = d;
    this.lastFailedDigest = "";
    this.options.onApply(value, false);
  }

  /** Reads every file; when some fail, names them all, in the order given (not whichever failed first). */
  private async read(): Promise<string[]> {
    const results = await Promise.allSettled(this.options.files.map((file) => readFile(file, "utf8")));
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${this.options.files[i]}: ${(r.reason as Error).message}`] : []));
    if (failed.length > 0) {
      const first = results.find((r) => r.status === "rejected");
      throw new Error(`cannot read ${this.options.name} file ${failed.join("; ")}`, { cause: first?.reason });
    }
    return results.map((r) => (r as PromiseFulfilledResult<string>).value);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    clearInterval(this.resync);
    await this.watcher?.close();
    await this.running;
  }
}

function digest(contents: readonly string[]): string {
  const hash = createHash("sha256");
  for (const c of contents) hash.update(c).update("\0");
  return hash.digest("hex");
}
