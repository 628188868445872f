import type { Scenario } from '../scenario/scenario.ts';
import type { Timeline } from '../observe/timeline.ts';
import { aggregate } from '../verdict/measure.ts';
import { seriesKeysFor } from '../verdict/scope.ts';

/** What one service's inbound sidecars saw over the whole run. NaN where nothing was measured. */
export interface ServiceStats {
  service: string;
  replicas: number;
  requests: number;
  rps: number;
  successRate: number;
  p50: number;
  p99: number;
}

/** Per-service numbers over the whole timeline, in declaration order, merged over each service's instances. */
export function serviceStats(scenario: Scenario, timeline: Timeline): ServiceStats[] {
  const range = { first: 0, end: timeline.seconds };
  return scenario.services.map((s) => {
    const agg = aggregate(timeline, seriesKeysFor({ kind: 'service', service: s.name }, scenario), range);
    return {
      service: s.name,
      replicas: s.replicas,
      requests: agg.requests,
      rps: agg.seconds > 0 ? agg.requests / agg.seconds : NaN,
      successRate: agg.requests > 0 ? agg.ok / agg.requests : NaN,
      p50: agg.latency.quantile(0.5),
      p99: agg.latency.quantile(0.99),
    };
  });
}
