/**
 * Go durations the way Vault reads and prints them. The simulator keeps its own copy (sim/ imports
 * nothing of the product): parsing follows `parseutil.ParseDurationSecond` (bare integers are seconds,
 * a `d` suffix is days, otherwise Go's `time.ParseDuration`), printing follows Go's `Duration.String()`
 * and the trimmed form Vault uses in TTL warnings (`framework.humanDuration`: `1h`, `1h30m`, `9m58s`).
 */

/** A Go `time.ParseDuration` / `ParseDurationSecond` failure, worded like Go's own error. */
export class DurationError extends Error {
  override readonly name = "DurationError";
}

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n,
  "μs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const NANOS_PER_SECOND = 1_000_000_000n;

const goQuote = (s: string): string => JSON.stringify(s);

/** Go's `time.ParseDuration`, returning nanoseconds. */
export function parseGoDurationNanos(input: string): bigint {
  let s = input;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new DurationError(`time: invalid duration ${goQuote(input)}`);
  let total = 0n;
  while (s.length > 0) {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = number?.[1] ?? "";
    const frac = number?.[2];
    if (whole === "" && (frac === undefined || frac === "")) throw new DurationError(`time: invalid duration ${goQuote(input)}`);
    s = s.slice(number?.[0].length ?? 0);
    const unitMatch = /^[^\d.]+/.exec(s);
    if (unitMatch === null) throw new DurationError(`time: missing unit in duration ${goQuote(input)}`);
    const unit = unitMatch[0];
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) throw new DurationError(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(input)}`);
    s = s.slice(unit.length);
    let value = BigInt(whole === "" ? "0" : whole) * scale;
    if (frac !== undefined && frac !== "") {
      // Go keeps nanosecond precision and truncates the rest.
      const fracScale = 10n ** BigInt(frac.length);
      value += (BigInt(frac) * scale) / fracScale;
    }
    total += value;
  }
  return negative ? -total : total;
}

/**
 * Vault's `parseutil.ParseDurationSecond`: a number is seconds, `""`/null is 0, a string of digits is
 * seconds, `<n>d` is days, anything else goes through Go's `time.ParseDuration`. Returns seconds
 * (fractional when the input had sub-second precision).
 */
export function parseDurationSecond(input: unknown): number {
  if (input === undefined || input === null || input === "") return 0;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new DurationError("could not parse duration from input");
    return Math.trunc(input);
  }
  if (typeof input !== "string") throw new DurationError("could not parse duration from input");
  if (/^[-+]?\d+$/.test(input)) return Number(input);
  if (input.endsWith("d")) {
    const days = input.slice(0, -1);
    if (!/^[-+]?\d+$/.test(days)) throw new DurationError(`strconv.ParseInt: parsing ${goQuote(days)}: invalid syntax`);
    return Number(days) * 86_400;
  }
  return Number(parseGoDurationNanos(input)) / 1e9;
}

/** Go's `time.Duration.String()` for a duration given in seconds (e.g. `1h0m0s`, `30m0s`, `1.5s`, `500ms`). */
export function formatGoDuration(seconds: number): string {
  return formatGoDurationNanos(BigInt(Math.round(seconds * 1e9)));
}

export function formatGoDurationNanos(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const negative = nanos < 0n;
  const d = negative ? -nanos : nanos;
  const sign = negative ? "-" : "";
  if (d < NANOS_PER_SECOND) {
    if (d < 1_000n) return `${sign}${d}ns`;
    if (d < 1_000_000n) return `${sign}${fraction(d, 1_000n)}µs`;
    return `${sign}${fraction(d, 1_000_000n)}ms`;
  }
  const hours = d / UNIT_NANOS.h!;
  const minutes = (d % UNIT_NANOS.h!) / UNIT_NANOS.m!;
  const secNanos = d % UNIT_NANOS.m!;
  const secs = `${fraction(secNanos, NANOS_PER_SECOND)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${secs}`;
  if (minutes > 0n) return `${sign}${minutes}m${secs}`;
  return `${sign}${secs}`;
}

/** `value/unit` printed with Go's trailing-zero-free fraction. */
function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const digits = unit.toString().length - 1;
  const frac = rest.toString().padStart(digits, "0").replace(/0+$/, "");
  return `${whole}.${frac}`;
}

/** Vault's `humanDuration` (sdk/framework/lease.go): Go form with zero units trimmed: `1h`, `1h30m`, `10m`, `9m58s`. */
export function humanDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  let s = formatGoDuration(seconds);
  if (s.endsWith("m0s")) s = s.slice(0, -2);
  const idx = s.indexOf("h0m");
  if (idx > 0) s = s.slice(0, idx + 1) + s.slice(idx + 3);
  return s;
}
