/**
 * Kubernetes resource quantities ("10m", "32Mi", "1.5", "2e3"), parsed to a plain number so settings
 * can check requests <= limits before the API server would reject every pod (422).
 */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function quantityValue(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const match = QUANTITY.exec(q.trim());
  if (match === null) return undefined;
  const [, number = "", suffix] = match;
  if (suffix === undefined) return Number(number);
  if (/^[eE]/.test(suffix)) return Number(number + suffix);
  return Number(number) * (SUFFIX[suffix] ?? NaN);
}
