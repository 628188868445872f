import { Histogram } from '../contract/histogram.ts';
import type { Timeline } from '../observe/timeline.ts';
import type { SeriesKey } from '../contract/series.ts';
import type { MetricName } from '../scenario/scenario.ts';
import type { BucketRange } from './window.ts';

/** Everything one or more series saw over a range of seconds, summed. */
export interface Aggregate {
  /** Length of the range in seconds (the divisor of rps). */
  seconds: number;
  requests: number;
  ok: number;
  retries: number;
  /** Count by status code (`error`: no response). */
  status: Record<string, number>;
  /** Count by Envoy response flag. */
  flags: Record<string, number>;
  /** Latencies of the requests that got a response. */
  latency: Histogram;
  /** Requests over mutual TLS, refused by authorization, and failed handshakes (observe/timeline.ts). */
  mtls: number;
  denied: number;
  handshakeErrors: number;
}

/**
Sums the buckets `[range.first, range.end)` of the given series. A series the timeline does not
have saw nothing (series only exist once something was recorded in them).
*/
export function aggregate(timeline: Timeline, keys: readonly SeriesKey[], range: BucketRange): Aggregate {
  const agg: Aggregate = {
    seconds: range.end - range.first,
    requests: 0,
    ok: 0,
    retries: 0,
    status: {},
    flags: {},
    latency: new Histogram(),
    mtls: 0,
    denied: 0,
    handshakeErrors: 0,
  };
  for (const key of keys) {
    const buckets = timeline.series[key];
    if (!buckets) continue;
    for (let s = range.first; s < range.end && s < buckets.length; s++) {
      const b = buckets[s];
      if (!b) continue;
      agg.requests += b.requests;
      agg.ok += b.ok;
      agg.retries += b.retries;
      for (const [k, v] of Object.entries(b.status)) agg.status[k] = (agg.status[k] ?? 0) + v;
      for (const [k, v] of Object.entries(b.flags)) agg.flags[k] = (agg.flags[k] ?? 0) + v;
      agg.latency.merge(b.latency);
      agg.mtls += b.mtls ?? 0;
      agg.denied += b.denied ?? 0;
      agg.handshakeErrors += b.handshakeErrors ?? 0;
    }
  }
  return agg;
}

const LATENCY_QUANTILE: Partial<Record<MetricName, number>> = { p50: 0.5, p90: 0.9, p99: 0.99, max: 1 };

/** Whether a metric is a latency read from the histogram (ms). */
export function isLatencyMetric(metric: MetricName): boolean {
  return metric in LATENCY_QUANTILE;
}

/**
The value of a metric over an aggregate, or NaN when there is nothing to measure: no requests for a
ratio, no response with a latency for a percentile, no seconds at all for anything. Counts and rps
over a real window are real measurements even when zero. `share` needs the whole service's
aggregate as `of` (the denominator); without it, it is NaN.
*/
export function measureMetric(metric: MetricName, agg: Aggregate, of?: Aggregate): number {
  if (agg.seconds <= 0) return NaN;
  switch (metric) {
    case 'overflow':
      return overflowed(agg);
    case 'rate_limited':
      return rateLimited(agg);
    case 'admitted_rps':
      return (agg.requests - rateLimited(agg)) / agg.seconds;
    case 'deadline_exceeded':
      return agg.flags.DE ?? 0;
    case 'wasted':
    case 'saved':
      // Measured on the wasted:/saved: series (scope.ts): one sample per request.
      return agg.requests;
    case 'wasted_time':
      return agg.latency.sum;
    case 'no_route':
      return noRoute(agg);
    case 'share':
      return !of || of.requests === 0 ? NaN : agg.requests / of.requests;
    case 'requests':
      return agg.requests;
    case 'retries':
      return agg.retries;
    case 'rps':
      return agg.requests / agg.seconds;
    case 'success_rate':
      return agg.requests === 0 ? NaN : agg.ok / agg.requests;
    case 'error_rate':
      // (requests − ok) / requests rather than 1 − ok/requests: exact where the subtraction is not.
      return agg.requests === 0 ? NaN : (agg.requests - agg.ok) / agg.requests;
    case 'retry_ratio':
      return agg.requests === 0 ? NaN : agg.retries / agg.requests;
    case 'p50':
    case 'p90':
    case 'p99':
    case 'max':
      return agg.latency.quantile(LATENCY_QUANTILE[metric]!);
    case 'attempts':
      // Per request, from the traces (attempts.ts): the per-second timeline cannot say.
      return NaN;
    case 'denied':
      return agg.denied;
    case 'mtls':
      return agg.requests === 0 ? NaN : agg.mtls / agg.requests;
    case 'handshake_errors':
      return agg.handshakeErrors;
  }
}

/** Requests no route took: flag NR (Envoy's, with a 404). */
export function noRoute(agg: Pick<Aggregate, 'flags'>): number {
  return agg.flags.NR ?? 0;
}

/** Requests a breaker or bulkhead refused: flag UO (Envoy's overflow flag). */
export function overflowed(agg: Pick<Aggregate, 'flags'>): number {
  return agg.flags.UO ?? 0;
}

/**
Requests a rate limit refused: status 429 or flag RL. Every RL answer is a 429, so the larger of the
two counts is the number of requests that were either (a 429 from the app has no flag).
*/
export function rateLimited(agg: Pick<Aggregate, 'flags' | 'status'>): number {
  return Math.max(agg.status['429'] ?? 0, agg.flags.RL ?? 0);
}
