import type { FaultRecord } from '../contract/fault-record.ts';
import type { LoadFidelity } from '../contract/load-fidelity.ts';
import type { FaultTiming, RunHealth } from '../contract/run-health.ts';
import { PROMISE_THRESHOLDS, type PromiseThresholds } from '../contract/defaults.ts';
import { seriesKey, type Bucket } from '../contract/series.ts';
import type { LoadSummary } from '../load/load-generator.ts';
import type { Timeline } from '../observe/timeline.ts';
import type { Plan } from '../plan/plan-scenario.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { scheduledEnd } from '../verdict/fault-times.ts';
import type { Measured } from './measure-run.ts';

/**
The harness's promises as this run kept them, from what it measured: each fault edge planned vs
begun, the event loops, the CPU, the load delivered vs declared. Pure.
*/
export function runHealthOf(scenario: Scenario, plan: Plan, measured: Measured, timeline: Timeline): RunHealth {
  return {
    harnessLoop: measured.harnessLoop,
    sidecarLoops: measured.sidecarLoops,
    cpu: measured.cpu,
    faults: faultTimings(scenario, measured.faults),
    // A load cut short (an interrupt, a failure) is not a load that fell behind: its verdicts say so already.
    load: measured.loadFinished ? loadFidelity(plan.load, measured.load.summary, timeline.series[seriesKey.client()] ?? []) : null,
  };
}

/**
The load's figures as the promise check reads them. The closed-loop runner has no drops and no
intended send times; whether it was held at its cap is estimated from the client's latencies.
*/
export function loadFidelity(load: Plan['load'], summary: LoadSummary, client: readonly Bucket[], t: PromiseThresholds = PROMISE_THRESHOLDS): LoadFidelity {
  const declaredRequests = Math.round(load.phases.reduce((a, p) => a + (p.rate * p.durationMs) / 1000, 0));
  // Little's law, per second: the declared rate at the latency the client saw needs that many requests in flight.
  // A second in which nothing came back while requests were due had every connection stuck.
  const seconds = Math.ceil(load.durationMs / 1000);
  let cappedSeconds = 0;
  for (let s = 0; s < seconds; s++) {
    const rate = load.phases.find((p) => s * 1000 >= p.startMs && s * 1000 < p.startMs + p.durationMs)?.rate ?? 0;
    if (rate <= 0) continue;
    const b = client[s];
    const inFlight = b && b.latency.count > 0 ? (rate * b.latency.sum) / b.latency.count / 1000 : Number.POSITIVE_INFINITY;
    if (inFlight >= t.loadCapShare * load.connections) cappedSeconds++;
  }
  return {
    declaredRequests,
    sentRequests: summary.requests,
    targetRate: round(declaredRequests / Math.max(0.001, load.durationMs / 1000)),
    achievedRate: round(summary.elapsedMs > 0 ? (summary.requests * 1000) / summary.elapsedMs : 0),
    cap: load.connections,
    droppedAtCap: null,
    droppedLate: null,
    cappedSeconds,
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
