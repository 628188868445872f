import type { MetricName, Unit } from './scenario.ts';

export interface MetricSpec {
  name: MetricName;
  unit: Unit;
  /** One line for the language reference. */
  doc: string;
  /** Measured only at a caller's outbound sidecar, so only an edge scope (`a -> b`) makes sense. */
  edgeOnly?: boolean;
  /** Ratios that count extra attempts may pass 100%; success and error rates cannot. */
  maxRatio?: number;
}

/** Every metric an expectation may name, in the order the reference lists them. */
export const METRICS: readonly MetricSpec[] = [
  { name: 'success_rate', unit: 'ratio', doc: 'Share of requests answered with a status below 500.' },
  { name: 'error_rate', unit: 'ratio', doc: 'Share of requests answered 5xx or not answered at all (reset, refused, timed out): 1 − success_rate.' },
  { name: 'rps', unit: 'rps', doc: 'Requests completed per second over the window.' },
  { name: 'p50', unit: 'ms', doc: 'Median latency.' },
  { name: 'p90', unit: 'ms', doc: '90th percentile latency.' },
  { name: 'p99', unit: 'ms', doc: '99th percentile latency.' },
  { name: 'max', unit: 'ms', doc: 'Slowest request.' },
  { name: 'requests', unit: 'count', doc: 'Number of requests completed; on an edge to one instance, the tries sent to that instance.' },
  { name: 'retries', unit: 'count', doc: "Retries the caller's sidecars sent on the edge.", edgeOnly: true },
  {
    name: 'retry_ratio',
    unit: 'ratio',
    doc: "Retries per request on the edge, at the caller's sidecars; above 100% when requests are retried more than once.",
    edgeOnly: true,
    maxRatio: Infinity,
  },
];

export const METRIC_NAMES: readonly string[] = METRICS.map((m) => m.name);

export function metricSpec(name: string): MetricSpec | undefined {
  return METRICS.find((m) => m.name === name);
}
