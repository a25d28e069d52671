/**
 * Request data the way Vault's `framework.FieldData` reads it: weakly typed (a bool may arrive as
 * "true", a duration as "1h" or 3600, a list as "a,b"), with Vault's wording when a value cannot be
 * converted: `error converting input <v> for field "<k>": <reason>` (400).
 */
import { DurationError, parseDurationSecond } from "../time/duration.js";
import { errorResponse } from "../server/errors.js";

export type RequestData = Readonly<Record<string, unknown>>;

const conversionError = (key: string, value: unknown, reason: string): Error =>
  errorResponse(`error converting input ${goValue(value)} for field ${JSON.stringify(key)}: ${reason}`);

function goValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(goValue).join(" ")}]`;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const present = (data: RequestData, key: string): boolean => data[key] !== undefined && data[key] !== null;

export function getString(data: RequestData, key: string, fallback = ""): string {
  if (!present(data, key)) return fallback;
  const v = data[key];
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw conversionError(key, v, `'' expected type 'string', got unconvertible type '${goType(v)}'`);
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's `strconv.ParseBool` set, as `parseutil.ParseBool` accepts it. */
export function parseGoBool(text: string): boolean | undefined {
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return undefined;
}

export function getBool(data: RequestData, key: string, fallback = false): boolean {
  if (!present(data, key)) return fallback;
  const v = data[key];
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const parsed = parseGoBool(v);
    if (parsed !== undefined) return parsed;
    throw conversionError(key, v, `cannot parse '' as bool: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
  }
  throw conversionError(key, v, `'' expected type 'bool', got unconvertible type '${goType(v)}'`);
}

export function getInt(data: RequestData, key: string, fallback = 0): number {
  if (!present(data, key)) return fallback;
  const v = data[key];
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^[-+]?\d+$/.test(v.trim())) return Number(v.trim());
  throw conversionError(key, v, `cannot parse '' as int: strconv.ParseInt: parsing ${JSON.stringify(goValue(v))}: invalid syntax`);
}

/** A `TypeDurationSecond` field, in seconds. */
export function getDuration(data: RequestData, key: string, fallback = 0): number {
  if (!present(data, key)) return fallback;
  const v = data[key];
  try {
    return parseDurationSecond(v);
  } catch (err) {
    throw conversionError(key, v, err instanceof DurationError ? err.message : String(err));
  }
}

/** A `TypeCommaStringSlice` field: `"a, b"` or `["a","b"]`. */
export function getCommaList(data: RequestData, key: string): string[] | undefined {
  if (!present(data, key)) return undefined;
  const v = data[key];
  if (typeof v === "string") return v === "" ? [] : v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (Array.isArray(v)) return v.flatMap((item) => (typeof item === "string" ? item.split(",").map((s) => s.trim()) : [String(item)])).filter((s) => s !== "");
  throw conversionError(key, v, `'' expected type '[]string', got unconvertible type '${goType(v)}'`);
}

/** A `TypeStringSlice` field: `["a","b"]`, or a lone string taken as one element. */
export function getStringList(data: RequestData, key: string): string[] | undefined {
  if (!present(data, key)) return undefined;
  const v = data[key];
  if (typeof v === "string") return v === "" ? [] : [v];
  if (Array.isArray(v)) return v.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
  throw conversionError(key, v, `'' expected type '[]string', got unconvertible type '${goType(v)}'`);
}

/** A `TypeMap`/`TypeKVPairs` field. */
export function getMap(data: RequestData, key: string): Record<string, unknown> | undefined {
  if (!present(data, key)) return undefined;
  const v = data[key];
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === "string" && v.trim().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through to the conversion error
    }
  }
  throw conversionError(key, v, `'' expected a map, got '${goType(v)}'`);
}

export function getStringMap(data: RequestData, key: string): Record<string, string> | undefined {
  const m = getMap(data, key);
  if (m === undefined) return undefined;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return "slice";
  if (v === null) return "nil";
  if (typeof v === "object") return "map";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float64";
  return typeof v;
}
