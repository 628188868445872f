import type { Fault } from '../../scenario/scenario.ts';

/** One thing to do at a moment of the run. */
export interface FaultStep {
  /** ms from the start of the load. */
  atMs: number;
  fault: Fault;
  phase: 'start' | 'end';
}

/**
The fault timeline as steps in time order (ends before starts at the same moment, so a fault that
replaces another on the same target wins). Pure. A fault without `for` has no end step: it lasts
until the run ends (a kill with `restartAfter` ends when the instance is back).
*/
export function faultSchedule(faults: readonly Fault[], runMs: number): FaultStep[] {
  const steps: FaultStep[] = [];
  for (const fault of faults) {
    if (fault.atMs >= runMs) continue;
    steps.push({ atMs: fault.atMs, fault, phase: 'start' });
    const end = endOf(fault);
    if (end !== null && end < runMs) steps.push({ atMs: end, fault, phase: 'end' });
  }
  return steps.sort((a, b) => a.atMs - b.atMs || (a.phase === b.phase ? 0 : a.phase === 'end' ? -1 : 1));
}

/** When a fault is planned to end, ms from the start of the load; null = with the run. */
function endOf(fault: Fault): number | null {
  if (fault.action.kind === 'process') {
    if (fault.action.action === 'kill') return fault.action.restartAfterMs === null ? null : fault.atMs + fault.action.restartAfterMs;
    if (fault.action.action === 'restart') return fault.atMs;
  }
  return fault.forMs === null ? null : fault.atMs + fault.forMs;
}
