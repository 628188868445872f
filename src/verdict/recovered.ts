import type { Timeline } from '../observe/timeline.ts';
import { formatDuration, formatLatency, formatPair, formatValue } from '../util/format.ts';
import type { RecoveredExpectation, Scenario } from '../scenario/scenario.ts';
import { compare } from './compare.ts';
import { round3 } from './evidence.ts';
import { isMissing, resolveAnchor } from './fault-times.ts';
import { measureOver } from './measure-scope.ts';
import { scopeLabel } from './scope.ts';
import type { RunFacts, Verdict } from './verdict.ts';

/**
`recovered(client, success_rate >= 99.9%) within 5s after p0-crash.end`: the condition is checked
on each second of the timeline from the one the anchor falls in; recovery is the first second from
which every following second meets it, to the end of the run. Held when recovery begins at most
`within` after the anchor. A second with nothing to measure does not meet the condition. The
measured value is how long after the anchor recovery began (ms).
*/
export function evaluateRecovered(e: RecoveredExpectation, scenario: Scenario, timeline: Timeline, facts: RunFacts): Verdict {
  const c = e.condition;
  const subject = `${c.metric}(${scopeLabel(e.scope)})`;
  const [, target] = formatPair(c.value, c.value, c.unit);
  const needed = `needed ${c.op} ${target} within ${formatDuration(e.withinMs)}`;
  const noData = (why: string, window = { fromMs: 0, toMs: 0 }): Verdict => ({
    expectation: e,
    status: 'no_data',
    measured: NaN,
    window,
    evidence: {},
    explanation: `nothing to decide for recovered(${scopeLabel(e.scope)}, …): ${why}; ${needed}`,
  });
  const anchor = resolveAnchor(e.after, scenario, facts);
  if (isMissing(anchor)) return noData(anchor.missing);
  const from = anchor.ms;
  const deadline = from + e.withinMs;
  const end = timeline.seconds * 1000;
  const first = Math.max(0, Math.floor(from / 1000));
  if (first >= timeline.seconds) return noData(`${anchor.label} is at or after the end of the timeline (${formatDuration(end)})`, { fromMs: from, toMs: from });

  const seconds: Array<{ second: number; value: number; ok: boolean; requests: number }> = [];
  for (let s = first; s < timeline.seconds; s++) {
    const { value, agg } = measureOver(c.metric, e.scope, scenario, timeline, { first: s, end: s + 1 });
    seconds.push({ second: s, value, ok: compare(value, c.op, c.value), requests: agg.requests });
  }
  // The first second from which every later second meets the condition.
  let k = seconds.length;
  while (k > 0 && seconds[k - 1].ok) k--;
  const lastBad = k > 0 ? seconds[k - 1] : null;
  const failing = seconds.filter((s) => !s.ok).length;
  const window = { fromMs: from, toMs: end };
  const evidence: Record<string, number> = { anchor_ms: round3(from), deadline_ms: round3(deadline), seconds_checked: seconds.length, seconds_failing: failing };
  const after = e.after.kind === 'fault' ? anchor.label : formatDuration(from);
  const badText = (b: { second: number; value: number; requests: number }) =>
    `${formatDuration(b.second * 1000)} was ${Number.isNaN(b.value) ? 'not measured (no request)' : formatValue(b.value, c.unit)}`;
  const badEvent = (b: { second: number; value: number; requests: number }) => ({
    atMs: b.second * 1000,
    instance: scopeLabel(e.scope),
    type: 'condition-not-met',
    message: `${subject} in the second from ${formatDuration(b.second * 1000)}: ${Number.isNaN(b.value) ? 'nothing measured' : formatValue(b.value, c.unit)} (${b.requests} requests); needed ${c.op} ${target}`,
  });
  if (lastBad) {
    evidence.last_failing_second = lastBad.second;
    if (!Number.isNaN(lastBad.value)) evidence.last_failing_value = lastBad.value;
  }

  if (k === seconds.length) {
    return {
      expectation: e,
      status: 'failed',
      measured: NaN,
      window,
      evidence,
      explanation: `${subject} did not recover after ${after}: the last second, ${badText(lastBad!)}; ${needed}`,
      events: [badEvent(lastBad!)],
    };
  }
  const recoveredAt = Math.max(from, seconds[k].second * 1000);
  const delay = recoveredAt - from;
  evidence.recovered_at_ms = round3(recoveredAt);
  evidence.recovery_ms = round3(delay);
  const held = recoveredAt <= deadline;
  const since = `every second from ${formatDuration(seconds[k].second * 1000)} on was ${c.op} ${target}`;
  const recoveredEvent = { atMs: round3(recoveredAt), instance: scopeLabel(e.scope), type: 'recovered', message: `${subject}: ${since}` };
  const events = [...(lastBad ? [badEvent(lastBad)] : []), recoveredEvent];
  if (held) {
    const when = delay === 0 ? `from ${after} on` : `${formatLatency(delay)} after ${after}`;
    return { expectation: e, status: 'held', measured: delay, window, evidence, explanation: `${subject} recovered ${when} (${since}); ${needed}`, events };
  }
  return {
    expectation: e,
    status: 'failed',
    measured: delay,
    window,
    evidence,
    explanation: `${subject} recovered only ${formatLatency(delay)} after ${after} (${since}; ${badText(lastBad!)}); ${needed}`,
    events,
  };
}
