/**
 * The pod annotation API (docs/injection.md). Everything under `airflow-vault.io/` is ours: a key we do not
 * know, or a value we cannot read, is an error naming the annotation and the fix, because a typo
 * must never yield a pod that silently runs without credentials.
 */
import { z } from "zod";
import { CREDENTIAL_NAME, RESERVED_CREDENTIAL_NAMES, credentialSpecSchema, isReservedCredentialName, type CredentialSpec } from "../agent/config.js";
import { didYouMean } from "./suggest.js";

export const PREFIX = "airflow-vault.io/";

export const ANNOTATION = {
  inject: `${PREFIX}inject`,
  status: `${PREFIX}status`,
  credentials: `${PREFIX}credentials`,
  role: `${PREFIX}role`,
  defaultCredential: `${PREFIX}default-credential`,
  mode: `${PREFIX}mode`,
  containers: `${PREFIX}containers`,
  airflowConnections: `${PREFIX}airflow-connections`,
  revokeOnExit: `${PREFIX}revoke-on-exit`,
} as const;

/** Value of the status annotation the webhook writes; its presence makes injection idempotent. */
export const STATUS_INJECTED = "injected";

export const MODES = ["sidecar", "init"] as const;
export type Mode = (typeof MODES)[number];

/** Ad-hoc credential detail annotations: `airflow-vault.io/credential.<name>.<field>`. */
const AD_HOC_FIELDS = {
  path: "path",
  format: "format",
  endpoint: "endpoint",
  region: "region",
  "conn-id": "airflowConnId",
  ttl: "ttl",
  "refresh-interval": "refreshInterval",
} as const satisfies Record<string, keyof CredentialSpec>;
type AdHocField = keyof typeof AD_HOC_FIELDS;
const AD_HOC_KEY = /^credential\.([^.]*)\.([^.]*)$/;

/**
 * Bounds on what a pod may ask for, checked before any other work on a value: annotation values are
 * attacker-chosen and the webhook is on the path of every pod creation (failurePolicy Fail).
 */
export const LIMITS = {
  /** Characters in one of our annotation values (an endpoint URL, a list of names). */
  valueLength: 4096,
  /** Entries in `credentials` or `containers`, and ad-hoc credentials. */
  listItems: 32,
  /** Problems reported in one denial; the rest are counted. */
  errors: 10,
} as const;

/** A value echoed in a message: quoted, and cut so a huge value cannot become a huge reply. */
export function shown(value: string, max = 80): string {
  return JSON.stringify(value.length <= max ? value : `${value.slice(0, max)}…`);
}

export const adHocAnnotation = (name: string, field: AdHocField): string => `${PREFIX}credential.${name}.${field}`;

const KNOWN_SIMPLE = new Set<string>(Object.values(ANNOTATION).map((k) => k.slice(PREFIX.length)));
const KNOWN_FOR_SUGGESTIONS = [...KNOWN_SIMPLE, ...Object.keys(AD_HOC_FIELDS).map((f) => `credential.<name>.${f}`)];

export interface InjectionAnnotations {
  /** Profile names from `credentials`, in the order listed. */
  profiles: string[];
  /** Ad-hoc credentials, validated against the agent's credential schema, sorted by name. */
  adHoc: CredentialSpec[];
  role?: string;
  defaultCredential?: string;
  mode?: Mode;
  containers?: string[];
  airflowConnections: boolean;
  revokeOnExit: boolean;
}

export type InjectSwitch = { on: true } | { on: false; reason: string } | { error: string };

/**
 * Reads `inject` and `status` only: whether this pod is ours to mutate. A malformed `inject` value is
 * an error (not "off"), and an injected pod is never mutated again.
 */
export function injectSwitch(annotations: Record<string, unknown>): InjectSwitch {
  const status = annotations[ANNOTATION.status];
  if (status !== undefined) {
    if (status === STATUS_INJECTED) return { on: false, reason: `already injected (${ANNOTATION.status}: ${STATUS_INJECTED})` };
    return { error: `${ANNOTATION.status}: is written by the webhook and may only be "${STATUS_INJECTED}"; remove it from the pod` };
  }
  const inject = annotations[ANNOTATION.inject];
  if (inject === undefined) return { on: false, reason: `no ${ANNOTATION.inject} annotation` };
  const parsed = parseBool(ANNOTATION.inject, inject);
  if (typeof parsed === "string") return { error: parsed };
  return parsed ? { on: true } : { on: false, reason: `${ANNOTATION.inject} is "false"` };
}

/** Annotations under our prefix, for a warning when they are present but injection is off. */
export function hasOurAnnotations(annotations: Record<string, unknown>): boolean {
  for (const k in annotations) if (k.startsWith(PREFIX) && k !== ANNOTATION.inject && Object.hasOwn(annotations, k)) return true;
  return false;
}

/** Parses every annotation under the prefix; returns all problems at once so one round trip fixes them. */
export function parseAnnotations(annotations: Record<string, unknown>): InjectionAnnotations | { errors: string[] } {
  const errors: string[] = [];
  const adHocRaw = new Map<string, Partial<Record<AdHocField, string>>>();
  const strings = new Map<string, string>();

  // for…in, not Object.entries: a forged pod may have hundreds of thousands of annotations, and
  // entries() builds a pair for each (several times the cost of the walk itself).
  for (const rawKey in annotations) {
    if (!rawKey.startsWith(PREFIX) || !Object.hasOwn(annotations, rawKey)) continue;
    const value = annotations[rawKey];
    if (errors.length > LIMITS.errors) break;
    const key = rawKey.length <= 253 ? rawKey : `${rawKey.slice(0, 80)}…`;
    if (typeof value !== "string") {
      const example = typeof value === "boolean" || typeof value === "number" ? shown(String(value)) : `a ${Array.isArray(value) ? "list" : typeof value} is not allowed`;
      errors.push(`${key}: must be a string; quote the value in YAML (e.g. ${example})`);
      continue;
    }
    if (value.length > LIMITS.valueLength) {
      errors.push(`${key}: the value has ${value.length} characters, more than the ${LIMITS.valueLength} allowed; shorten it`);
      continue;
    }
    const local = rawKey.slice(PREFIX.length);
    if (KNOWN_SIMPLE.has(local)) {
      strings.set(key, value);
      continue;
    }
    const adHoc = AD_HOC_KEY.exec(local);
    if (adHoc !== null) {
      const [, name = "", field = ""] = adHoc;
      if (!CREDENTIAL_NAME.test(name)) {
        errors.push(`${key}: credential name ${shown(name)} must be 1-63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit`);
      } else if (isReservedCredentialName(name)) {
        errors.push(`${key}: credential name "${name}" is reserved for the agent's own files (${RESERVED_CREDENTIAL_NAMES.join(", ")}); choose another name`);
      } else if (!Object.hasOwn(AD_HOC_FIELDS, field)) {
        errors.push(`${key}: unknown credential field ${shown(field)}${didYouMean(field, Object.keys(AD_HOC_FIELDS))}; fields: ${Object.keys(AD_HOC_FIELDS).join(", ")}`);
      } else if (!adHocRaw.has(name) && adHocRaw.size >= LIMITS.listItems) {
        errors.push(`${key}: more than ${LIMITS.listItems} ad-hoc credentials; a pod may have at most ${LIMITS.listItems}`);
      } else {
        const entry = adHocRaw.get(name) ?? {};
        entry[field as AdHocField] = value;
        adHocRaw.set(name, entry);
      }
      continue;
    }
    errors.push(`${key}: unknown annotation${didYouMean(local, KNOWN_FOR_SUGGESTIONS)}; see the annotation reference in README.md`);
  }

  const get = (key: string): string | undefined => strings.get(key);
  const profiles = parseList(ANNOTATION.credentials, get(ANNOTATION.credentials), errors) ?? [];
  for (const name of profiles) {
    if (!CREDENTIAL_NAME.test(name)) errors.push(`${ANNOTATION.credentials}: ${shown(name)} is not a valid profile name (lower-case letters, digits, '-' or '_')`);
  }
  const containers = parseList(ANNOTATION.containers, get(ANNOTATION.containers), errors);
  const role = parseToken(ANNOTATION.role, get(ANNOTATION.role), errors);
  const defaultCredential = parseToken(ANNOTATION.defaultCredential, get(ANNOTATION.defaultCredential), errors);
  const mode = parseMode(get(ANNOTATION.mode), errors);
  const airflowConnections = parseBoolOr(ANNOTATION.airflowConnections, get(ANNOTATION.airflowConnections), false, errors);
  const revokeOnExit = parseBoolOr(ANNOTATION.revokeOnExit, get(ANNOTATION.revokeOnExit), true, errors);

  const adHoc: CredentialSpec[] = [];
  const profileSet = new Set(profiles);
  for (const name of [...adHocRaw.keys()].sort()) {
    const spec = parseAdHoc(name, adHocRaw.get(name) ?? {}, errors);
    if (spec !== undefined) adHoc.push(spec);
    if (profileSet.has(name)) {
      errors.push(`${adHocAnnotation(name, "path")}: "${name}" is also listed in ${ANNOTATION.credentials}; give the ad-hoc credential another name`);
    }
  }

  if (profiles.length + adHocRaw.size > LIMITS.listItems) {
    errors.push(`${ANNOTATION.credentials}: a pod may have at most ${LIMITS.listItems} credentials (profiles and ad-hoc together)`);
  }
  if (errors.length > LIMITS.errors) return { errors: [...errors.slice(0, LIMITS.errors), `and ${errors.length - LIMITS.errors} more problems`] };
  if (errors.length > 0) return { errors };
  return {
    profiles,
    adHoc,
    ...(role !== undefined && { role }),
    ...(defaultCredential !== undefined && { defaultCredential }),
    ...(mode !== undefined && { mode }),
    ...(containers !== undefined && { containers }),
    airflowConnections,
    revokeOnExit,
  };
}

function parseBool(key: string, value: unknown): boolean | string {
  if (typeof value === "string" && value.length <= 16) {
    const v = value.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return typeof value === "boolean"
    ? `${key}: must be the string "true" or "false"; quote it in YAML`
    : `${key}: ${shown(String(value))} is not "true" or "false"`;
}

function parseBoolOr(key: string, value: string | undefined, fallback: boolean, errors: string[]): boolean {
  if (value === undefined) return fallback;
  const parsed = parseBool(key, value);
  if (typeof parsed === "string") {
    errors.push(parsed);
    return fallback;
  }
  return parsed;
}

/** A comma-separated list of names: at most LIMITS.listItems, each at most 63 characters, no repeats. */
function parseList(key: string, value: string | undefined, errors: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",", LIMITS.listItems + 1).map((s) => s.trim());
  if (items.length > LIMITS.listItems) {
    errors.push(`${key}: more than ${LIMITS.listItems} entries; a pod may list at most ${LIMITS.listItems}`);
    return undefined;
  }
  if (items.some((s) => s === "")) {
    errors.push(`${key}: ${shown(value)} has an empty entry; write a comma-separated list like "a,b"`);
    return undefined;
  }
  const tooLong = items.find((s) => s.length > 63);
  if (tooLong !== undefined) {
    errors.push(`${key}: ${shown(tooLong)} is longer than 63 characters, which no Kubernetes or profile name is`);
    return undefined;
  }
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) {
      errors.push(`${key}: "${item}" is listed twice`);
      return undefined;
    }
    seen.add(item);
  }
  return items;
}

const token = z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9_.@-]+$/);

function parseToken(key: string, value: string | undefined, errors: string[]): string | undefined {
  if (value === undefined) return undefined;
  const result = token.safeParse(value);
  if (!result.success) {
    errors.push(`${key}: ${shown(value)} must be a single name (letters, digits, '_', '.', '@', '-')`);
    return undefined;
  }
  return result.data;
}

function parseMode(value: string | undefined, errors: string[]): Mode | undefined {
  if (value === undefined) return undefined;
  const mode = MODES.find((m) => m === value.trim());
  if (mode === undefined) errors.push(`${ANNOTATION.mode}: ${shown(value)} is not one of ${MODES.join(", ")}${didYouMean(value, MODES)}`);
  return mode;
}

function parseAdHoc(name: string, fields: Partial<Record<AdHocField, string>>, errors: string[]): CredentialSpec | undefined {
  if (fields.path === undefined) {
    errors.push(`${adHocAnnotation(name, "path")}: is required for the ad-hoc credential "${name}" (a Vault read path such as "aws/sts/etl")`);
    return undefined;
  }
  const candidate: Record<string, string> = { name, format: "aws" };
  for (const [field, value] of Object.entries(fields)) candidate[AD_HOC_FIELDS[field as AdHocField]] = value.trim();
  const result = credentialSpecSchema.safeParse(candidate);
  if (result.success) return result.data;
  const annotationFor = Object.fromEntries(Object.entries(AD_HOC_FIELDS).map(([annotationField, specField]) => [specField, annotationField]));
  for (const issue of result.error.issues) {
    const specField = String(issue.path[0] ?? "");
    const field = annotationFor[specField] as AdHocField | undefined;
    const key = field === undefined ? `${PREFIX}credential.${name}` : adHocAnnotation(name, field);
    const hint = specField === "format" ? " (aws, minio or kv)" : "";
    errors.push(`${key}: ${issue.message}${hint}`);
  }
  return undefined;
}
