/**
 * A watch response (`?watch=1`): newline-delimited `{"type","object"}` events on a chunked 200.
 * Without a resourceVersion (or "0") it starts with a synthetic ADDED for every matching object;
 * from resourceVersion N it replays the kept events after N, or sends one ERROR event carrying a 410
 * Expired Status when they were compacted (clients must re-list). An object that stops matching the
 * selectors is sent as DELETED, one that starts matching as ADDED (the watch cache does the same).
 * BOOKMARK events carry only the current resourceVersion.
 */
import type { ServerResponse } from "node:http";
import type { ObjectStore, StoreEvent, StoredObject } from "./object-store.js";
import { resourceKey, type ResourceDefinition } from "./resources.js";
import { matches, type Selector } from "./selectors.js";
import { expired } from "./status.js";

export interface WatchRequest {
  readonly def: ResourceDefinition;
  readonly namespace?: string;
  readonly labels: Selector;
  readonly fields: Selector;
  readonly resourceVersion?: string;
  readonly timeoutSeconds?: number;
  readonly bookmarks: boolean;
}

export interface WatchOptions {
  /** Interval of BOOKMARK events when the client allows them (0 = none). */
  readonly bookmarkIntervalMs: number;
}

export interface OpenWatch {
  close(): void;
}

function selected(req: WatchRequest, obj: StoredObject | undefined): boolean {
  if (obj === undefined) return false;
  if (req.namespace !== undefined && obj.metadata.namespace !== req.namespace) return false;
  const fields = { "metadata.name": obj.metadata.name, ...(obj.metadata.namespace !== undefined && { "metadata.namespace": obj.metadata.namespace }) };
  return matches(req.labels, obj.metadata.labels ?? {}) && matches(req.fields, fields);
}

/** What a client of this watch sees of a store event, if anything. */
function translate(req: WatchRequest, event: StoreEvent): { type: string; object: StoredObject } | undefined {
  const now = selected(req, event.type === "DELETED" ? event.previous : event.object);
  const before = selected(req, event.previous);
  if (event.type === "DELETED") return now ? { type: "DELETED", object: event.object } : undefined;
  if (event.type === "ADDED") return now ? { type: "ADDED", object: event.object } : undefined;
  if (now && before) return { type: "MODIFIED", object: event.object };
  if (now) return { type: "ADDED", object: event.object };
  if (before) return { type: "DELETED", object: event.object };
  return undefined;
}

export function openWatch(store: ObjectStore, req: WatchRequest, res: ServerResponse, options: WatchOptions, onClose: () => void): OpenWatch {
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache, private", "transfer-encoding": "chunked" });
  res.flushHeaders(); // clients wait for the headers before they consider the watch open
  const send = (type: string, object: unknown): void => void res.write(`${JSON.stringify({ type, object })}\n`);
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  let unsubscribe = (): void => undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
    onClose();
  };
  res.on("close", close);

  const rv = req.resourceVersion ?? "";
  if (rv === "" || rv === "0") {
    for (const obj of store.list(req.def, req.namespace)) if (selected(req, obj)) send("ADDED", obj);
  } else {
    const from = Number(rv);
    const replay = Number.isInteger(from) ? store.eventsSince(req.def, from) : "expired";
    if (replay === "expired") {
      send("ERROR", expired(Number.isInteger(from) ? from : 0, store.oldestResumableRevision()));
      close();
      return { close };
    }
    for (const event of replay) {
      const out = translate(req, event);
      if (out !== undefined) send(out.type, out.object);
    }
  }
  const key = resourceKey(req.def);
  unsubscribe = store.subscribe((event) => {
    if (closed || event.resource !== key) return;
    const out = translate(req, event);
    if (out !== undefined) send(out.type, out.object);
  });
  if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0) timers.push(setTimeout(close, req.timeoutSeconds * 1000));
  if (req.bookmarks && options.bookmarkIntervalMs > 0) {
    const tick = (): void => {
      if (closed) return;
      send("BOOKMARK", { kind: req.def.kind, apiVersion: req.def.group === "" ? req.def.version : `${req.def.group}/${req.def.version}`, metadata: { resourceVersion: String(store.currentRevision()) } });
      timers.push(setTimeout(tick, options.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, options.bookmarkIntervalMs));
  }
  return { close };
}
