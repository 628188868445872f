import type { Anchor, Fault, Scenario } from '../scenario/scenario.ts';
import { formatDuration } from '../util/format.ts';
import { faultNamed } from '../scenario/scenario-index.ts';
import type { RunFacts } from './verdict.ts';

/** When a fault held, in ms from the start of the load: as recorded by the run, else as scheduled. */
export interface FaultSpan {
  name: string;
  startMs: number;
  /** null: it had not ended when the run stopped (or was never meant to). */
  endMs: number | null;
  /** True when the times come from the run's record, false when they are the schedule's. */
  actual: boolean;
  scheduledStartMs: number;
  scheduledEndMs: number | null;
}

/** Why a time cannot be placed: a fault that never started, an end that never came. */
export interface Missing {
  missing: string;
}

export function isMissing<T extends object>(x: T | Missing): x is Missing {
  return 'missing' in x;
}

/** The run with no facts: every fault as scheduled, no event. */
export function noFacts(t0: number): RunFacts {
  return { t0, faults: [], events: [], states: [] };
}

/** When a fault is planned to end, ms from the start of the load; null = with the run. */
export function scheduledEnd(fault: Fault): number | null {
  if (fault.action.kind === 'process') {
    if (fault.action.action === 'kill') return fault.action.restartAfterMs === null ? null : fault.atMs + fault.action.restartAfterMs;
    if (fault.action.action === 'restart') return fault.atMs;
  }
  return fault.forMs === null ? null : fault.atMs + fault.forMs;
}

/**
A fault's actual span: `facts.faults` when the run recorded it (the times it really took effect
and ended, which lag the schedule by a push or a signal), else the schedule. A fault recorded as
never started has no span.
*/
export function faultSpan(name: string, scenario: Scenario, facts: RunFacts): FaultSpan | Missing {
  const fault = faultNamed(scenario, name);
  if (!fault) return { missing: `the scenario has no fault named ${name}` };
  const scheduledStartMs = fault.atMs;
  const scheduledEndMs = scheduledEnd(fault);
  const record = facts.faults.find((r) => r.name === name);
  if (!record) return { name, startMs: scheduledStartMs, endMs: scheduledEndMs, actual: false, scheduledStartMs, scheduledEndMs };
  if (record.startedMs === null) {
    return { missing: `${name} never started (scheduled at ${formatDuration(scheduledStartMs)}${record.detail ? `; ${record.detail}` : ''})` };
  }
  return { name, startMs: record.startedMs, endMs: record.endedMs, actual: true, scheduledStartMs, scheduledEndMs };
}

/** A point of the run, resolved: ms from the start of the load, and how to say it. */
export interface AnchorTime {
  ms: number;
  /** "p1-errors.start (5.01s)", "p1-errors.start + 3s (8.01s)", "5s". */
  label: string;
}

export function resolveAnchor(anchor: Anchor, scenario: Scenario, facts: RunFacts): AnchorTime | Missing {
  if (anchor.kind === 'time') return { ms: anchor.ms, label: formatDuration(anchor.ms) };
  const span = faultSpan(anchor.fault, scenario, facts);
  if (isMissing(span)) return span;
  const base = anchor.edge === 'start' ? span.startMs : span.endMs;
  if (base === null) return { missing: endMissing(span) };
  const ms = base + anchor.offsetMs;
  const offset = anchor.offsetMs ? ` + ${formatDuration(anchor.offsetMs)}` : '';
  return { ms, label: `${anchor.fault}.${anchor.edge}${offset} (${formatDuration(ms)})` };
}

/** Why a fault's end cannot be placed. */
export function endMissing(span: FaultSpan): string {
  if (span.scheduledEndMs === null) return `${span.name} has no end: it lasts until the run ends`;
  return `${span.name} did not end before the run stopped (it was to end at ${formatDuration(span.scheduledEndMs)})`;
}
