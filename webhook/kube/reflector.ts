/**
 * A local, always-current copy of a watched set of objects (client-go's Reflector + Store): list,
 * then watch from the list's resourceVersion; when the watch ends, watch again from the last version
 * seen, or list again when that version expired (410). Failures back off (0.5 s doubling to 30 s).
 * `onChange` fires after every applied event and after every (re-)list.
 */
import type { ObjectMeta, Watchable } from "./api.js";

export interface ReflectorOptions<T> {
  readonly source: Watchable<T>;
  readonly onChange?: (reason: "list" | "ADDED" | "MODIFIED" | "DELETED", object?: T) => void;
  readonly onError?: (error: Error) => void;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

const keyOf = (meta: ObjectMeta): string => `${meta.namespace ?? ""}/${meta.name}`;

export class Reflector<T extends { metadata: ObjectMeta }> {
  private readonly items = new Map<string, T>();
  private resourceVersion = "";
  private stopWatch: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private stopped = false;
  private synced!: Promise<void>;

  constructor(private readonly options: ReflectorOptions<T>) {
    this.backoffMs = options.minBackoffMs ?? 500;
  }

  /** Resolves after the first successful list (retrying until then). */
  start(): Promise<void> {
    this.synced = new Promise<void>((resolve) => {
      const first = (): void => {
        this.relist().then(resolve, (err: unknown) => {
          this.options.onError?.(err as Error);
          if (!this.stopped) this.timer = setTimeout(first, this.nextBackoff());
        });
      };
      first();
    });
    return this.synced;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /** The only item (for a watch limited to one name). */
  single(): T | undefined {
    return this.items.values().next().value;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopWatch?.();
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
    return delay;
  }

  private resume(expired: boolean, delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      (expired ? this.relist() : this.watch()).catch((err: unknown) => {
        this.options.onError?.(err as Error);
        this.resume(true, this.nextBackoff());
      });
    }, delayMs);
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.options.source.list();
    if (this.stopped) return;
    this.items.clear();
    for (const item of items) this.items.set(keyOf(item.metadata), item);
    this.resourceVersion = resourceVersion;
    this.options.onChange?.("list");
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const stop = await this.options.source.watch(
      this.resourceVersion,
      (event) => {
        this.backoffMs = this.options.minBackoffMs ?? 500;
        const key = keyOf(event.object.metadata);
        if (event.type === "DELETED") this.items.delete(key);
        else this.items.set(key, event.object);
        if (event.object.metadata.resourceVersion !== undefined) this.resourceVersion = event.object.metadata.resourceVersion;
        this.options.onChange?.(event.type, event.object);
      },
      (expired, error) => {
        if (this.stopped) return;
        if (error !== undefined) this.options.onError?.(error);
        // A clean end (a server-side timeout) re-watches at once; an error or 410 waits.
        this.resume(expired, error === undefined && !expired ? 0 : this.nextBackoff());
      },
    );
    if (this.stopped) stop();
    else this.stopWatch = stop;
  }
}
