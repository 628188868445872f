import type { FaultRecord } from '../contract/fault-record.ts';
import type { LoadFidelity } from '../contract/load-fidelity.ts';
import type { FaultTiming, RunHealth } from '../contract/run-health.ts';
import type { LoadSummary } from '../load/load-summary.ts';
import type { Plan } from '../plan/plan-scenario.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { scheduledEnd } from '../verdict/fault-times.ts';
import type { Measured } from './measure-run.ts';

/**
The harness's promises as this run kept them, from what it measured: each fault edge planned vs
begun, the event loops, the CPU, the load delivered vs declared. Pure.
*/
export function runHealthOf(scenario: Scenario, plan: Plan, measured: Measured): RunHealth {
  return {
    harnessLoop: measured.harnessLoop,
    loadLoop: measured.load.summary?.loopDelay ?? null,
    sidecarLoops: measured.sidecarLoops,
    cpu: measured.cpu,
    faults: faultTimings(scenario, measured.faults),
    // A load cut short (an interrupt, a failure) is not a load that fell behind: its verdicts say so already.
    load: measured.loadFinished && measured.load.summary ? loadFidelity(plan.load, measured.load.summary) : null,
  };
}

/**
The load's figures as the promise check reads them. An open-loop load knows each request's intended
send time: its own count of the schedule, its drops (at the cap, or late) and its lateness. The
closed-loop runner has no drops and no intended send times, and counts the requests that completed.
*/
export function loadFidelity(load: Plan['load'], summary: LoadSummary): LoadFidelity {
  const h = summary.honesty;
  if (h && h.model === 'open' && h.intended !== null) {
    return {
      declaredRequests: h.intended,
      sentRequests: h.sent,
      targetRate: round(h.targetRate ?? 0),
      achievedRate: round(h.achievedRate),
      cap: h.cap,
      droppedAtCap: h.dropped.cap,
      droppedLate: h.dropped.late,
      latenessP99Ms: h.lateness?.p99 ?? null,
      latenessMaxMs: h.lateness?.max ?? null,
    };
  }
  const declaredRequests = load.model === 'closed' ? summary.requests : Math.round(load.phases.reduce((a, p) => a + (p.rate * p.durationMs) / 1000, 0));
  return {
    declaredRequests,
    sentRequests: summary.requests,
    targetRate: round(declaredRequests / Math.max(0.001, load.durationMs / 1000)),
    achievedRate: round(summary.elapsedMs > 0 ? (summary.requests * 1000) / summary.elapsedMs : 0),
    cap: load.connections,
    droppedAtCap: null,
    droppedLate: null,
    latenessP99Ms: null,
    latenessMaxMs: null,
  };
}

function faultTimings(scenario: Scenario, records: readonly FaultRecord[]): FaultTiming[] {
  const out: FaultTiming[] = [];
  for (const f of scenario.faults ?? []) {
    const r = records.find((x) => x.name === f.name);
    if (!r || r.startedMs === null) continue;
    out.push({ fault: f.name, edge: 'start', plannedMs: f.atMs, beganMs: r.startedMs, appliedMs: r.appliedMs ?? null, lateMs: round(r.startedMs - f.atMs) });
    const plannedEnd = scheduledEnd(f);
    const endBegun = r.endBegunMs ?? r.endedMs;
    if (plannedEnd !== null && endBegun !== null && endBegun !== undefined) {
      out.push({ fault: f.name, edge: 'end', plannedMs: plannedEnd, beganMs: endBegun, appliedMs: r.endedMs, lateMs: round(endBegun - plannedEnd) });
    }
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
