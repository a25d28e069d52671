/**
 * The objects behind the REST simulator, versioned like etcd: one revision counter for the whole
 * store, bumped by every write and stamped on the written object as `metadata.resourceVersion`. An
 * update that names an older resourceVersion is a Conflict; a no-op update writes nothing (the API
 * server skips unchanged objects). Kept history lets watches resume from a resourceVersion until it is
 * compacted (then 410 Expired).
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { apiVersionOf, resourceKey, type ResourceDefinition } from "./resources.js";
import { alreadyExists, badRequest, conflict, invalid, notFound } from "./status.js";

export type JsonObject = Record<string, unknown>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  [key: string]: unknown;
}

export interface StoredObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: EventType;
  readonly resource: string;
  readonly revision: number;
  readonly object: StoredObject;
  /** The object before a MODIFIED/DELETED event (watch filtering needs both sides). */
  readonly previous?: StoredObject;
}

export interface ObjectStoreOptions {
  /** Epoch ms, for creationTimestamp. */
  readonly now?: () => number;
  /** Events kept for watch resumption (default 10,000). */
  readonly historyLimit?: number;
}

const keyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ""}/${name}`;

export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private history: StoreEvent[] = [];
  /** Watches from a revision below this have lost events. */
  private oldestResumable = 1;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly now: () => number;
  private readonly historyLimit: number;
  private generated = 0;

  constructor(options: ObjectStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  currentRevision(): number {
    return this.revision;
  }

  get(def: ResourceDefinition, namespace: string | undefined, name: string): StoredObject {
    const obj = this.bucket(def).get(keyOf(namespace, name));
    if (obj === undefined) throw notFound(def, name);
    return structuredClone(obj);
  }

  find(def: ResourceDefinition, namespace: string | undefined, name: string): StoredObject | undefined {
    const obj = this.bucket(def).get(keyOf(namespace, name));
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** Every object of the resource, in one namespace or (undefined) all. */
  list(def: ResourceDefinition, namespace?: string): StoredObject[] {
    return [...this.bucket(def).values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace).map((o) => structuredClone(o));
  }

  create(def: ResourceDefinition, namespace: string | undefined, input: JsonObject): StoredObject {
    const meta = { ...((input["metadata"] as JsonObject | undefined) ?? {}) };
    if (typeof meta["resourceVersion"] === "string" && meta["resourceVersion"] !== "") throw badRequest("resourceVersion should not be set on objects to be created");
    if (def.namespaced && meta["namespace"] !== undefined && meta["namespace"] !== "" && meta["namespace"] !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    let name = typeof meta["name"] === "string" ? meta["name"] : "";
    if (name === "" && typeof meta["generateName"] === "string" && meta["generateName"] !== "") {
      name = `${meta["generateName"]}${(this.generated++).toString(36).padStart(5, "x")}`;
    }
    if (name === "") throw invalid(def, "", "metadata.name", "Required value: name or generateName is required");
    if (this.bucket(def).has(keyOf(namespace, name))) throw alreadyExists(def, name);
    const labels = def.plural === "namespaces" ? { ...(meta["labels"] as Record<string, string> | undefined), "kubernetes.io/metadata.name": name } : meta["labels"];
    const obj: StoredObject = {
      ...structuredClone(input),
      apiVersion: apiVersionOf(def),
      kind: def.kind,
      metadata: {
        ...structuredClone(meta),
        name,
        ...(def.namespaced && { namespace }),
        uid: randomUUID(),
        resourceVersion: "",
        creationTimestamp: new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
        ...(labels !== undefined && { labels: labels as Record<string, string> }),
      },
    };
    return this.write(def, "ADDED", obj);
  }

  /** PUT semantics: an empty resourceVersion is an unconditional update; another one must be current. */
  update(def: ResourceDefinition, namespace: string | undefined, name: string, input: JsonObject): StoredObject {
    const current = this.bucket(def).get(keyOf(namespace, name));
    if (current === undefined) throw notFound(def, name);
    const meta = (input["metadata"] as JsonObject | undefined) ?? {};
    if (meta["name"] !== undefined && meta["name"] !== name) throw badRequest(`the name of the object (${JSON.stringify(meta["name"])}) does not match the name on the URL (${name})`);
    const rv = typeof meta["resourceVersion"] === "string" ? meta["resourceVersion"] : "";
    if (rv !== "" && rv !== current.metadata.resourceVersion) throw conflict(def, name);
    const next: StoredObject = {
      ...structuredClone(input),
      apiVersion: current.apiVersion,
      kind: current.kind,
      metadata: {
        ...structuredClone(meta),
        name,
        ...(def.namespaced && { namespace }),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: current.metadata.resourceVersion,
      },
    };
    if (isDeepStrictEqual(next, current)) return structuredClone(current);
    return this.write(def, "MODIFIED", next, current);
  }

  delete(def: ResourceDefinition, namespace: string | undefined, name: string): StoredObject {
    const current = this.bucket(def).get(keyOf(namespace, name));
    if (current === undefined) throw notFound(def, name);
    this.bucket(def).delete(keyOf(namespace, name));
    this.revision++;
    const gone: StoredObject = { ...structuredClone(current), metadata: { ...structuredClone(current.metadata), resourceVersion: String(this.revision) } };
    this.emit({ type: "DELETED", resource: resourceKey(def), revision: this.revision, object: gone, previous: current });
    return structuredClone(gone);
  }

  /** Events of the resource after `revision`, or "expired" when some were already compacted away. */
  eventsSince(def: ResourceDefinition, revision: number): StoreEvent[] | "expired" {
    if (revision + 1 < this.oldestResumable) return "expired";
    const key = resourceKey(def);
    return this.history.filter((e) => e.resource === key && e.revision > revision);
  }

  oldestResumableRevision(): number {
    return this.oldestResumable;
  }

  /** Drops the kept history (etcd compaction): watches resuming from older revisions get 410. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.revision + 1;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private write(def: ResourceDefinition, type: EventType, obj: StoredObject, previous?: StoredObject): StoredObject {
    this.revision++;
    obj.metadata.resourceVersion = String(this.revision);
    this.bucket(def).set(keyOf(obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ type, resource: resourceKey(def), revision: this.revision, object: structuredClone(obj), ...(previous !== undefined && { previous }) });
    return structuredClone(obj);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestResumable = (dropped[dropped.length - 1]?.revision ?? 0) + 1;
    }
    for (const listener of this.listeners) listener(event);
  }

  private bucket(def: ResourceDefinition): Map<string, StoredObject> {
    const key = resourceKey(def);
    let bucket = this.objects.get(key);
    if (bucket === undefined) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }
}
