import type { Timeline } from '../observe/timeline.ts';
import type { MetricName, Scenario, Scope } from '../scenario/scenario.ts';
import { aggregate, measureMetric, type Aggregate } from './measure.ts';
import { metricSeriesKeys, seriesKeysFor } from './scope.ts';
import type { BucketRange } from './window.ts';

/** One metric over one range of seconds of a scope: its value (NaN when nothing was measured) and the sums behind it. */
export function measureOver(metric: MetricName, scope: Scope, scenario: Scenario, timeline: Timeline, range: BucketRange): { value: number; agg: Aggregate; whole?: Aggregate } {
  const agg = aggregate(timeline, metricSeriesKeys(metric, scope, scenario), range);
  // share is one version's requests over the whole service's.
  const whole = metric === 'share' && scope.kind === 'version' ? aggregate(timeline, seriesKeysFor({ kind: 'service', service: scope.service }, scenario), range) : undefined;
  return { value: measureMetric(metric, agg, whole), agg, whole };
}
