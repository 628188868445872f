import type { Random } from '../../util/random.ts';

export interface BackoffSpec {
  baseMs: number;
  maxMs: number;
}

/**
Exclusive upper bound of the wait before retry `retry` (1 for the first retry):
min(max, base·(2^retry − 1)), Envoy's documented full-jitter exponential back-off.
*/
export function backoffCeilingMs(retry: number, spec: BackoffSpec): number {
  if (retry < 1) return 0;
  // 2^31 × any sane base is far beyond any max; capping the exponent keeps the number finite.
  const multiplier = 2 ** Math.min(retry, 31) - 1;
  return Math.min(spec.maxMs, spec.baseMs * multiplier);
}

/**
The wait before retry `retry`, drawn uniformly from [0, ceiling) in whole milliseconds
("full jitter": it spreads retries of many callers instead of synchronising them).
*/
export function backoffDelayMs(retry: number, spec: BackoffSpec, random: Random): number {
  const ceiling = backoffCeilingMs(retry, spec);
  return ceiling <= 0 ? 0 : Math.floor(random() * ceiling);
}
