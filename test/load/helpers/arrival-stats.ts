/**
Smoothness of arrivals as the receiving end measures it, computed here independently of the load
generator's own meter: the coefficient of variation of the gaps between consecutive arrivals, the
most arrivals in any sliding window of `windowMs` against the number expected at `rate` (at least 1),
and the count.
*/
export interface ArrivalStats {
  count: number;
  cv: number;
  busiest: number;
  expectedPerWindow: number;
  windowRatio: number;
  /** Longest gap between two arrivals, ms. */
  maxGapMs: number;
}

export function arrivalStats(times: readonly number[], rate: number, windowMs = 10): ArrivalStats {
  const t = [...times].sort((a, b) => a - b);
  let sum = 0;
  let sq = 0;
  let maxGap = 0;
  for (let i = 1; i < t.length; i++) {
    const g = t[i] - t[i - 1];
    sum += g;
    sq += g * g;
    if (g > maxGap) maxGap = g;
  }
  const n = t.length - 1;
  const mean = sum / n;
  const cv = Math.sqrt(Math.max(0, sq / n - mean * mean)) / mean;
  let busiest = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  const expectedPerWindow = Math.max(1, (rate * windowMs) / 1000);
  return { count: t.length, cv, busiest, expectedPerWindow, windowRatio: busiest / expectedPerWindow, maxGapMs: maxGap };
}
