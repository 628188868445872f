import { ejectionCause } from '../contract/describe-mesh-event.ts';
import type { MeshEvent, MeshEventOf } from '../contract/mesh-event.ts';
import type { Timeline } from '../observe/timeline.ts';
import { seriesKey } from '../contract/series.ts';
import { formatDuration, formatLatency, formatPercent, formatWindow, plural } from '../util/format.ts';
import type { EjectedExpectation, Scenario } from '../scenario/scenario.ts';
import { round3 } from './evidence.ts';
import { isMissing, resolveAnchor } from './fault-times.ts';
import { eventsAbout } from './instance-state.ts';
import { aggregate } from './measure.ts';
import type { DecidingEvent, RunFacts, Verdict } from './verdict.ts';
import { bucketRange } from './window.ts';

/**
`ejected(payments-1) within 2s after p1-errors.start`: held when some caller's sidecar ejected the
instance (an `ejected` event about it) between the anchor and the deadline, both included. The
measured value is how long after the anchor the first such ejection came (ms).
*/
export function evaluateEjected(e: EjectedExpectation, scenario: Scenario, timeline: Timeline, facts: RunFacts): Verdict {
  const needed = `needed within ${formatDuration(e.withinMs)}`;
  const anchor = resolveAnchor(e.after, scenario, facts);
  if (isMissing(anchor)) {
    return { expectation: e, status: 'no_data', measured: NaN, window: { fromMs: 0, toMs: 0 }, evidence: {}, explanation: `nothing to decide for ejected(${e.instance}): ${anchor.missing}; ${needed}` };
  }
  const from = anchor.ms;
  const deadline = from + e.withinMs;
  const window = { fromMs: from, toMs: deadline };
  const after = e.after.kind === 'fault' ? anchor.label : `${formatDuration(from)}`;
  const ejections = eventsAbout(e.instance, ['ejected'], facts);
  const inTime = ejections.filter((x) => x.atMs >= from && x.atMs <= deadline);
  const evidence: Record<string, number> = { anchor_ms: round3(from), deadline_ms: round3(deadline), ejections: inTime.length, ejections_in_run: ejections.length };

  if (inTime.length > 0) {
    const first = inTime[0];
    const delay = first.atMs - from;
    evidence.ejected_after_ms = round3(delay);
    const others = new Set(inTime.map((x) => x.event.instance)).size;
    const more = others > 1 ? `; ${others} sidecars ejected it in that time` : '';
    return {
      expectation: e,
      status: 'held',
      measured: delay,
      window,
      evidence,
      explanation: `${e.instance} was ejected ${formatLatency(delay)} after ${after} (${by(first.event)}${more}); ${needed}`,
      events: inTime.map(eventOf),
    };
  }

  // Why not: a later or earlier ejection, ejections the percentage cap refused, what the instance answered meanwhile.
  const later = ejections.find((x) => x.atMs > deadline);
  const earlier = ejections.filter((x) => x.atMs < from).pop();
  const skipped = eventsAbout(e.instance, ['ejection-skipped'], facts).filter((x) => x.atMs >= from && x.atMs <= deadline);
  const range = bucketRange(window, timeline, 'cover');
  const seen = aggregate(timeline, [seriesKey.instance(e.instance)], range);
  evidence.requests = seen.requests;
  evidence.errors = seen.requests - seen.ok;
  evidence.skipped = skipped.length;
  const reasons: string[] = [];
  if (skipped.length > 0) {
    const d = skipped[0].event.data;
    reasons.push(
      `${skipped[0].event.instance}'s sidecar did not eject it at ${formatDuration(skipped[0].atMs)} despite ${ejectionCause(d.reason, d.consecutive)}: ${d.ejected} of ${d.total} endpoints were ejected already, at most ${formatPercent(d.maxEjectionPercent)} may be (maxEjectionPercent)`,
    );
  }
  if (earlier) reasons.push(`it had been ejected earlier, at ${formatDuration(earlier.atMs)} (${by(earlier.event)})`);
  if (scenario.mesh[e.service]?.outlierDetection === null) reasons.push(`outlierDetection is off for ${e.service}`);
  reasons.push(`${e.instance} received ${plural(seen.requests, 'request')} in ${formatWindow(range.first === range.end ? window : { fromMs: range.first * 1000, toMs: range.end * 1000 })}, ${seen.requests - seen.ok} of them failed`);
  const events = [...skipped, ...(earlier ? [earlier] : []), ...(later ? [later] : [])].sort((a, b) => a.atMs - b.atMs).map(eventOf);
  if (later) {
    const delay = later.atMs - from;
    evidence.ejected_after_ms = round3(delay);
    return {
      expectation: e,
      status: 'failed',
      measured: delay,
      window,
      evidence,
      explanation: `${e.instance} was ejected only ${formatLatency(delay)} after ${after}, at ${formatDuration(later.atMs)} (${by(later.event)}); ${needed}`,
      events,
    };
  }
  return {
    expectation: e,
    status: 'failed',
    measured: NaN,
    window,
    evidence,
    explanation: `${e.instance} was not ejected within ${formatDuration(e.withinMs)} after ${after}, nor later (${reasons.join('; ')}); ${needed}`,
    events,
  };
}

/** "by checkout-0's sidecar: 5 consecutive 5xx". */
export function by(event: MeshEventOf<'ejected'>): string {
  return `by ${event.instance}'s sidecar: ${ejectionCause(event.data.reason, event.data.consecutive)}`;
}

export function eventOf(t: { atMs: number; event: MeshEvent }): DecidingEvent {
  return { atMs: round3(t.atMs), event: t.event };
}
