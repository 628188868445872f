import type { Expectation, Scenario } from '../scenario/scenario.ts';
import { seriesKey, type Timeline } from '../observe/timeline.ts';
import { instanceNames } from '../scenario/scenario.ts';
import type { Verdict } from './verdict.ts';
import { compare } from './compare.ts';
import { evidenceOf } from './evidence.ts';
import { explain } from './explain.ts';
import { aggregate, measureMetric } from './measure.ts';
import { seriesKeysFor } from './scope.ts';
import { bucketRange, rangeWindow, resolveWindow } from './window.ts';

/**
Decides every expectation of a scenario from the run's timeline, in declaration order. Pure: the
same scenario and timeline always give the same verdicts.
*/
export function evaluateExpectations(scenario: Scenario, timeline: Timeline): Verdict[] {
  return scenario.expect.map((e) => evaluateExpectation(e, scenario, timeline));
}

/**
Measures one expectation's metric on its scope over its window and compares it with the expected
value. Nothing to measure (no request for a ratio, no response for a latency, a window outside the
timeline) is `no_data`, which counts as failed: an expectation nobody exercised proves nothing.
*/
export function evaluateExpectation(expectation: Expectation, scenario: Scenario, timeline: Timeline): Verdict {
  const requested = resolveWindow(expectation.window, scenario);
  const range = bucketRange(requested, timeline);
  const window = range.first === range.end ? requested : rangeWindow(range);
  const agg = aggregate(timeline, seriesKeysFor(expectation.scope, scenario), range);
  const measured = measureMetric(expectation.metric, agg);
  const status: Verdict['status'] = Number.isNaN(measured)
    ? 'no_data'
    : compare(measured, expectation.op, expectation.value)
      ? 'held'
      : 'failed';

  const perInstance: Record<string, number> = {};
  const scope = expectation.scope;
  if (scope.kind === 'service') {
    const spec = scenario.services.find((s) => s.name === scope.service);
    for (const instance of spec ? instanceNames(spec) : []) {
      perInstance[instance] = aggregate(timeline, [seriesKey.instance(instance)], range).requests;
    }
  }

  return {
    expectation,
    status,
    measured,
    window,
    evidence: evidenceOf(agg, perInstance),
    explanation: explain({ expectation, status, measured, window, requested, range, agg, scenario, timeline }),
  };
}
