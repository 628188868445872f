import type { AnyExpectation, Expectation, Scenario } from '../scenario/scenario.ts';
import { type Timeline } from '../observe/timeline.ts';
import { instanceNames } from '../scenario/scenario.ts';
import { podGroupNamed } from '../scenario/scenario-index.ts';
import type { RunFacts, Verdict } from './verdict.ts';
import { compare } from './compare.ts';
import { evaluateAttempts } from './attempts.ts';
import { evaluateEjected } from './ejected.ts';
import { evidenceOf } from './evidence.ts';
import { explain } from './explain.ts';
import { noFacts } from './fault-times.ts';
import { aggregate } from './measure.ts';
import { measureOver } from './measure-scope.ts';
import { metricSeriesKeys } from './scope.ts';
import { checkPromises } from './promises.ts';
import { evaluateRecovered } from './recovered.ts';
import { evaluateState } from './state.ts';
import { bucketRange, rangeWindow, resolveWindow, type BucketRange } from './window.ts';

/**
Decides every expectation of a scenario from the run's timeline and what else happened in it
(`facts`: when each fault really took effect, the sidecars' events, the harness's state changes),
in declaration order; with `facts.health`, each checked against the harness's promises
(promises.ts). Pure: the same inputs always give the same verdicts. Without facts, faults
are taken as scheduled and no event happened.
*/
export function evaluateExpectations(scenario: Scenario, timeline: Timeline, facts: RunFacts = noFacts(timeline.t0)): Verdict[] {
  return scenario.expect.map((e) => {
    const verdict = evaluateAny(e, scenario, timeline, facts);
    // A verdict that leans on a promise the harness broke (a late fault, a starved loop or machine, a load that fell behind) does not stand.
    return facts.health ? checkPromises(verdict, scenario, facts.health) : verdict;
  });
}

/** One expectation of any kind. */
export function evaluateAny(e: AnyExpectation, scenario: Scenario, timeline: Timeline, facts: RunFacts = noFacts(timeline.t0)): Verdict {
  switch (e.kind) {
    case 'ejected':
      return evaluateEjected(e, scenario, timeline, facts);
    case 'recovered':
      return evaluateRecovered(e, scenario, timeline, facts);
    case 'state':
      return evaluateState(e, scenario, facts);
    default:
      if (e.metric === 'attempts') return evaluateAttempts(e, scenario, facts);
      return evaluateExpectation(e, scenario, timeline, facts);
  }
}

/**
Measures one expectation's metric on its scope over its window and compares it with the expected
value. Nothing to measure (no request for a ratio, no response for a latency, a window outside the
timeline, a fault that never started) is `no_data`, which counts as failed: an expectation nobody
exercised proves nothing.
*/
export function evaluateExpectation(expectation: Expectation, scenario: Scenario, timeline: Timeline, facts: RunFacts = noFacts(timeline.t0)): Verdict {
  const requested = resolveWindow(expectation.window, scenario, facts);
  const faultWindow = expectation.window.kind !== 'run' && expectation.window.kind !== 'between';
  const range: BucketRange = requested.missing ? { first: 0, end: 0 } : bucketRange(requested, timeline, faultWindow ? 'half' : 'cover');
  const window = range.first === range.end ? { fromMs: requested.fromMs, toMs: requested.toMs } : rangeWindow(range);
  const scope = expectation.scope;
  const { value: measured, agg, whole } = measureOver(expectation.metric, scope, scenario, timeline, range);
  const status: Verdict['status'] = Number.isNaN(measured)
    ? 'no_data'
    : compare(measured, expectation.op, expectation.value)
      ? 'held'
      : 'failed';

  const evidence = evidenceOf(agg, perInstance(expectation, scenario, timeline, range));
  if (whole) {
    evidence.version_requests = agg.requests;
    evidence.service_requests = whole.requests;
  }
  return {
    expectation,
    status,
    measured,
    window,
    evidence,
    explanation: explain({ expectation, status, measured, window, requested, range, agg, whole, scenario, timeline }),
  };
}

/** Requests per instance, for a scope that spans several: a service, or a version (then every instance of its service). */
function perInstance(e: Expectation, scenario: Scenario, timeline: Timeline, range: BucketRange): Record<string, number> {
  const out: Record<string, number> = {};
  const scope = e.scope;
  if (scope.kind !== 'service' && scope.kind !== 'version') return out;
  if (e.metric === 'overflow') return out;
  const spec = podGroupNamed(scenario, scope.service);
  for (const instance of spec ? instanceNames(spec) : []) {
    out[instance] = aggregate(timeline, metricSeriesKeys(e.metric, { kind: 'instance', service: scope.service, instance }, scenario), range).requests;
  }
  return out;
}
