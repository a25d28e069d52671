/**
 * "Did you mean …?" for misspelt annotation keys and profile names. The words come from pods
 * (attacker-chosen), so the work is bounded: edit distance is quadratic, and only names up to
 * MAX_SUGGEST_LENGTH are compared, against at most MAX_SUGGEST_CANDIDATES candidates.
 */

/** Kubernetes names and our annotation keys are at most 63 characters; longer words get no suggestion. */
export const MAX_SUGGEST_LENGTH = 64;
export const MAX_SUGGEST_CANDIDATES = 32;

function editDistance(a: string, b: string): number {
  // Two typed rows: no allocation per cell (this runs on attacker-chosen names).
  let prev = new Uint16Array(b.length + 1);
  let row = new Uint16Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a third of the word's length (at least 2 edits), or one the word is a prefix of. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_SUGGEST_LENGTH) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  const a = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let compared = 0;
  for (const candidate of candidates) {
    if (candidate.length > MAX_SUGGEST_LENGTH) continue;
    if (++compared > MAX_SUGGEST_CANDIDATES) break;
    const b = candidate.toLowerCase();
    const prefix = a.length >= 3 && (b.startsWith(a) || a.startsWith(b));
    // The distance is at least the difference in length.
    if (!prefix && Math.abs(a.length - b.length) > Math.min(limit, bestDistance)) continue;
    const d = prefix ? Math.min(1, editDistance(a, b)) : editDistance(a, b);
    if (d < bestDistance && d <= limit) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hit = closest(word, candidates);
  return hit === undefined ? "" : ` (did you mean "${hit}"?)`;
}
