/**
Optimal string alignment distance (Levenshtein plus adjacent transpositions), so "atempts" is 1
from "attempts" and "retyrOn" is 1 from "retryOn".
*/
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Case, `_` and `-` ignored: per_try_timeout, per-try-timeout and PerTryTimeout all fold to pertrytimeout. */
function fold(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

/**
The candidate a typo most likely meant, or undefined when none is close enough to be worth saying.
Spelling-style variants (snake_case for camelCase, other case) win outright.
*/
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const folded = fold(word);
  const same = candidates.find((c) => fold(c) === folded);
  if (same !== undefined) return same;
  const limit = word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length: skipping those keeps a pasted 100 000-character word cheap.
    if (Math.abs(c.length - word.length) > limit + 2) continue;
    const dist = editDistance(folded, fold(c));
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** ` did you mean "x"?` (with its leading "; ") or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean "${c}"?`;
}
