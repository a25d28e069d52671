/**
 * The Kubernetes API as the webhook's cluster features use it: small interfaces, one per concern, so
 * the features can be driven in tests by anything (the REST simulator through the real client, or a
 * stub). Only client-node.ts talks to @kubernetes/client-node.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface SecretObject {
  metadata: ObjectMeta;
  type?: string;
  /** base64 values, as on the wire. */
  data?: Record<string, string>;
}

export interface WebhookConfigurationObject {
  metadata: ObjectMeta;
  webhooks: { name: string; clientConfig: { caBundle?: string } }[];
}

export interface PodObject {
  metadata: ObjectMeta & { generateName?: string };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] };
  status?: { phase?: string };
}

export interface EventObject {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; apiVersion: string; name: string; namespace: string; uid?: string };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

export interface WatchEvent<T> {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: T;
}

/** List + watch of a set of objects (one named object, or a whole resource). */
export interface Watchable<T> {
  list(): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Streams events after `resourceVersion`. `onEnd(expired)` is called once when the stream ends;
   * `expired` means the version is gone (410) and the caller must list again.
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, onEnd: (expired: boolean, error?: Error) => void): Promise<() => void>;
}

/** A write lost a race: the object changed (409 Conflict), already exists, or a patch precondition failed. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

export interface SecretClient extends Watchable<SecretObject> {
  get(): Promise<SecretObject | undefined>;
  /** Throws ConflictError when it already exists. */
  create(secret: SecretObject): Promise<SecretObject>;
  /** Conditional on `metadata.resourceVersion`; throws ConflictError when it moved on. */
  replace(secret: SecretObject): Promise<SecretObject>;
}

export interface WebhookConfigurationClient extends Watchable<WebhookConfigurationObject> {
  get(): Promise<WebhookConfigurationObject | undefined>;
  /**
   * Sets every webhook's caBundle (base64 PEM), conditional on the observed resourceVersion, touching
   * nothing else of the object (fields this client does not know survive). Throws ConflictError.
   */
  setCaBundle(observed: WebhookConfigurationObject, caBundle: string): Promise<void>;
}

export interface NamespaceClient {
  /** The namespace's labels; undefined when it does not exist. */
  labels(name: string): Promise<Record<string, string> | undefined>;
}

export interface EventClient {
  /** "exists" when an Event of that name was already recorded (by another replica). */
  create(event: EventObject): Promise<"created" | "exists">;
}
