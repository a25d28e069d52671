/**
 * Schemas for untrusted JSON that is only *read*: they check a parsed value in place and hand the same
 * value back typed (a view). zod builds a copy of everything it parses — every object of a 10 KB pod,
 * every env entry — which on the webhook's hot path cost more than the injection itself (see
 * docs/performance.md). A view schema checks only the fields it declares, leaves the rest untouched and
 * uncopied, and reports the first problem with its path. Configuration, annotation values and anything
 * we transform keep zod.
 */

export interface Issue {
  /** Where, from the value the schema was applied to. */
  path: (string | number)[];
  message: string;
}

declare const VIEW: unique symbol;

/** Checks `value`; undefined means it is a `T` (the same object, not a copy). */
export interface ViewSchema<T> {
  (value: unknown): Issue | undefined;
  /** Type only: what a value that passes is. */
  readonly [VIEW]?: T;
}

export type Infer<S> = S extends ViewSchema<infer T> ? T : never;

type Shape = Record<string, ViewSchema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
/** Declared fields typed (absent-able ones optional), every other field passed through as unknown. */
export type ObjectView<S extends Shape> = { readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & {
  readonly [K in OptionalKeys<S>]?: Infer<S[K]>;
} & { readonly [key: string]: unknown };

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function received(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

function expected(what: string, value: unknown): Issue {
  return { path: [], message: `expected ${what}, received ${received(value)}` };
}

function at(key: string | number, issue: Issue): Issue {
  issue.path.unshift(key);
  return issue;
}

export const unknown: ViewSchema<unknown> = () => undefined;
export const string: ViewSchema<string> = (v) => (typeof v === "string" ? undefined : expected("string", v));
export const nonEmptyString: ViewSchema<string> = (v) => (typeof v !== "string" ? expected("string", v) : v === "" ? { path: [], message: "must not be empty" } : undefined);
export const boolean: ViewSchema<boolean> = (v) => (typeof v === "boolean" ? undefined : expected("boolean", v));
/** Exactly representable, as JSON numbers beyond 2^53 are not. */
export const integer: ViewSchema<number> = (v) => (Number.isSafeInteger(v) ? undefined : expected("integer", v));
/** Any JSON object; its values are not looked at. */
export const record: ViewSchema<Readonly<Record<string, unknown>>> = (v) => (isRecord(v) ? undefined : expected("object", v));

export function literal<const T extends string>(value: T, message = `must be "${value}"`): ViewSchema<T> {
  return (v) => (v === value ? undefined : { path: [], message });
}

export function oneOf<const T extends string>(values: readonly T[]): ViewSchema<T> {
  const message = `must be one of ${values.join(", ")}`;
  return (v) => ((values as readonly unknown[]).includes(v) ? undefined : { path: [], message });
}

/** Absent (undefined) or a T; `null` is refused, as in JSON that omits the field. */
export function optional<T>(schema: ViewSchema<T>): ViewSchema<T | undefined> {
  return (v) => (v === undefined ? undefined : schema(v));
}

/** Absent, null or a T: Kubernetes objects from YAML often carry `field:` with nothing under it. */
export function nullish<T>(schema: ViewSchema<T>): ViewSchema<T | null | undefined> {
  return (v) => (v === undefined || v === null ? undefined : schema(v));
}

export function arrayOf<T>(item: ViewSchema<T>): ViewSchema<readonly T[]> {
  return (v) => {
    if (!Array.isArray(v)) return expected("array", v);
    for (let i = 0; i < v.length; i++) {
      const issue = item(v[i]);
      if (issue !== undefined) return at(i, issue);
    }
    return undefined;
  };
}

/**
 * An object whose declared fields are checked; other fields pass (the API server owns full validation).
 * Field names must not be Object.prototype members: a missing field is read as `value[key]`.
 */
export function object<S extends Shape>(shape: S): ViewSchema<ObjectView<S>> {
  const keys = Object.keys(shape);
  const schemas = Object.values(shape);
  return (v) => {
    if (!isRecord(v)) return expected("object", v);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const issue = (schemas[i] as ViewSchema<unknown>)(v[key]);
      if (issue !== undefined) return at(key, issue);
    }
    return undefined;
  };
}

/** `path: message`, the path dotted (`spec.containers.0.name`), or `empty` for the value itself. */
export function describeIssue(issue: Issue, empty: string): string {
  return `${issue.path.length > 0 ? issue.path.join(".") : empty}: ${issue.message}`;
}
