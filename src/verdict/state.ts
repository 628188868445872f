import { formatDuration } from '../util/format.ts';
import type { Scenario, StateExpectation } from '../scenario/scenario.ts';
import { by, eventOf } from './ejected.ts';
import { round3 } from './evidence.ts';
import { isMissing, resolveAnchor } from './fault-times.ts';
import { instanceStateAt, statesOf, type InstanceStateAt, type TimedEvent } from './instance-state.ts';
import type { DecidingEvent, RunFacts, Verdict } from './verdict.ts';

/**
`state(payments-1) == ejected at p1-errors.start from +3s`: the instance's state at that moment, as
the harness and the callers' sidecars saw it (see `instanceStateAt`). An instance may be in several
states at once (paused and ejected): `== s` holds when s is one of them, `!= s` when it is not.
`healthy` means none of the others. The measured value is 1 when the instance was in the named
state, 0 when not.
*/
export function evaluateState(e: StateExpectation, scenario: Scenario, facts: RunFacts): Verdict {
  const needed = `needed ${e.op} ${e.state}`;
  const anchor = resolveAnchor(e.at, scenario, facts);
  if (isMissing(anchor)) {
    return { expectation: e, status: 'no_data', measured: NaN, window: { fromMs: 0, toMs: 0 }, evidence: {}, explanation: `nothing to decide for state(${e.instance}): ${anchor.missing}; ${needed}` };
  }
  const at = anchor.ms;
  const s = instanceStateAt(e.instance, at, facts);
  const states = statesOf(s);
  const isIt = states.includes(e.state);
  const held = e.op === '==' ? isIt : !isIt;
  const evidence: Record<string, number> = {
    at_ms: round3(at),
    [`state_${e.state}`]: isIt ? 1 : 0,
    killed: s.process?.state === 'killed' ? 1 : 0,
    paused: s.process?.state === 'paused' ? 1 : 0,
    ejected_by: s.ejectedBy.length,
    unhealthy_by: s.unhealthyBy.length,
  };
  const when = e.at.kind === 'fault' ? anchor.label : formatDuration(at);
  const standing: TimedEvent[] = [...s.ejectedBy, ...s.unhealthyBy];
  const events = [...standing, ...(s.lastMeshEvent && !standing.includes(s.lastMeshEvent) ? [s.lastMeshEvent] : [])].sort((a, b) => a.atMs - b.atMs).map(eventOf);
  const deciding: DecidingEvent[] = s.process ? [{ atMs: round3(s.process.change.atMs), instance: e.instance, type: s.process.state, message: s.process.change.reason }, ...events] : events;
  return {
    expectation: e,
    status: held ? 'held' : 'failed',
    measured: isIt ? 1 : 0,
    window: { fromMs: at, toMs: at },
    evidence,
    explanation: `${e.instance} was ${states.join(' and ')} at ${when}: ${why(s)}; ${needed}`,
    events: deciding,
  };
}

/** What made the instance's state what it was, in words. */
function why(s: InstanceStateAt): string {
  const parts: string[] = [];
  if (s.process) parts.push(`${s.process.state} by the harness at ${formatDuration(s.process.change.atMs)} (${s.process.change.reason})`);
  else if (s.lastProcessChange) parts.push(`its process ran (${s.lastProcessChange.reason} at ${formatDuration(s.lastProcessChange.atMs)})`);
  for (const t of s.ejectedBy) parts.push(`ejected ${by(t.event)} at ${formatDuration(t.atMs)}`);
  for (const t of s.unhealthyBy) parts.push(`failed ${t.event.instance}'s health checks at ${formatDuration(t.atMs)}`);
  if (s.ejectedBy.length === 0 && s.unhealthyBy.length === 0) {
    const last = s.lastMeshEvent;
    parts.push(last ? `no caller's sidecar had it ejected or failed (last: ${last.event.type} by ${last.event.instance}'s sidecar at ${formatDuration(last.atMs)})` : "no caller's sidecar had ejected it or failed its health checks");
  }
  if (!s.process && !s.lastProcessChange) parts.push('the harness had not killed or paused it');
  return parts.join('; ');
}
