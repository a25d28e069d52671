/**
 * Durations as Vault and Kubernetes users write them: Go `time.ParseDuration` strings ("1h", "1h30m",
 * "90s", "1.5h", "500ms"), or a bare number of seconds (number or numeric string), the way Vault's
 * `parseutil.ParseDurationSecond` accepts them. Results are in seconds.
 */
const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "µs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;

export function parseDurationSeconds(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}: must be a non-negative number of seconds`);
    return input;
  }
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (text === "" || text === "0") return 0;
  let rest = text;
  let total = 0;
  while (rest.length > 0) {
    const match = GO_DURATION.exec(rest);
    if (match === null) {
      throw new Error(`invalid duration "${input}": use a number of seconds or Go form like "90s", "15m", "1h30m"`);
    }
    const token = match[0];
    const unit = /(ns|us|µs|ms|s|m|h)$/.exec(token)?.[1] ?? "s";
    total += Number(token.slice(0, token.length - unit.length)) * (UNIT_SECONDS[unit] ?? 1);
    rest = rest.slice(token.length);
  }
  return total;
}

