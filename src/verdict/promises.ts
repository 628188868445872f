import { PROMISE_THRESHOLDS, type PromiseThresholds } from '../contract/defaults.ts';
import { hasIntendedTimes, loadShortfall } from '../contract/load-fidelity.ts';
import type { FaultTiming, LoopDelay, PromiseKey, RunHealth } from '../contract/run-health.ts';
import type { AnyExpectation, MetricName, Scenario, Window } from '../scenario/scenario.ts';
import { formatDuration, formatPercent, plural } from '../util/format.ts';
import { scheduledEnd } from './fault-times.ts';
import { isLatencyMetric } from './measure.ts';
import type { Inconclusive, Verdict } from './verdict.ts';

/**
Which of the harness's promises an expectation depends on, by kind:
- the load (every expectation but `attempts`, which counts tries within each request): rates and
  counts directly; latencies, ratios and the mesh's reactions because a lighter load than declared
  is not the mesh the scenario describes;
- the event loops (harness and sidecars) and the machine's CPU: every measurement (a slowed mesh
  times out, retries and overflows; latency bounds are weighed against the bound) and the
  sentences with a deadline or a moment (`ejected within`, `recovered within`, `state … at`),
  which a starved process meets late — only where starvation could have made the verdict (a
  failed upper latency bound, not a held one: starvation only slows things down);
- fault timing: a window placed on a fault (`during f`, `after f.end`) on that fault's edges; a
  fixed window (`between`) on the faults whose planned span overlaps it; the whole run on any fault
  that was in force for a different length than planned.
*/
interface Depends {
  load: boolean;
  /** The latency bound or deadline (ms) a loop delay is weighed against; null: loops and CPU do not matter. */
  timing: { boundMs: number | null } | null;
  /** Fault edges that matter: `[fault, edge]`, or 'overlapping' a fixed window, or 'length' for the whole run. */
  faults: { kind: 'edges'; edges: [string, 'start' | 'end'][] } | { kind: 'overlapping'; fromMs: number; toMs: number } | { kind: 'length' } | null;
}

function dependsOn(e: AnyExpectation): Depends {
  switch (e.kind) {
    case 'ejected':
      return { load: true, timing: { boundMs: e.withinMs }, faults: null };
    case 'recovered':
      return { load: true, timing: { boundMs: isLatencyMetric(e.condition.metric) ? Math.min(e.condition.value, e.withinMs) : e.withinMs }, faults: null };
    case 'state':
      return { load: true, timing: { boundMs: null }, faults: null };
    default:
      // A slowed mesh times out, retries, overflows its pools: every measurement can feel starvation, latencies weighed against their bound.
      return { load: e.metric !== 'attempts', timing: { boundMs: isLatencyMetric(e.metric) ? e.value : null }, faults: faultsOf(e.window) };
  }
}

/**
Which way starvation moves a metric: everything gets slower, so latencies, errors, retries, tries
per request, pool overflows, deadlines run out and work done for callers that gave up grow,
successes and completions (the rate, the count) shrink; the
others (rate-limited, denied or unrouted requests, handshakes, a version's share) can move either
way. An
equality (`requests(a -> b-1) == 0`) can be broken either way whatever the metric.
*/
const UNDER_STARVATION: Readonly<Record<MetricName, 1 | -1 | 0>> = {
  p50: 1,
  p90: 1,
  p99: 1,
  max: 1,
  error_rate: 1,
  retries: 1,
  retry_ratio: 1,
  overflow: 1,
  attempts: 1,
  success_rate: -1,
  deadline_exceeded: 1,
  wasted: 1,
  wasted_time: 1,
  saved: 1,
  rps: -1,
  admitted_rps: -1,
  requests: -1,
  rate_limited: 0,
  share: 0,
  denied: 0,
  handshake_errors: 0,
  mtls: 0,
  no_route: 0,
};

/**
A starved event loop or machine only ever makes things slower: a latency bound that held under it
(`< 250ms`) would hold on a quiet machine too, a success rate that held would be as high, and an
ejection that came in time would come sooner. Only a verdict starvation could have caused can be
wrong: the one on the side starvation pushes the metric to (UNDER_STARVATION); for a metric that
can move either way, an equality, a state at a moment or no data, any.
*/
function starvationCanFlip(v: Verdict): boolean {
  const e = v.expectation;
  if (v.status === 'no_data' || e.kind === 'state') return true;
  if (e.kind === 'ejected' || e.kind === 'recovered') return v.status === 'failed';
  const direction = UNDER_STARVATION[e.metric];
  const upper = e.op === '<' || e.op === '<=';
  const lower = e.op === '>' || e.op === '>=';
  if (direction === 0 || (!upper && !lower)) return true;
  // Growing, it can fail an upper bound or pass a lower one; shrinking, the reverse.
  return (direction > 0) === upper ? v.status === 'failed' : v.status === 'held';
}

/**
A failed upper latency bound that starvation cannot account for: the measured value exceeds the
bound by more than every sidecar's and the load generator's stalls together (their p99, or their
worst for `max`): more than starvation could have added to a request at that quantile, which waits
at most once per process on its path. The verdict stands
(`p99 < 1us` measured at 100 ms is failed on any machine). Not when the CPUs were short: that slows
the apps and the load generator too, which no loop delay here measures.
*/
function beyondStarvation(v: Verdict, health: RunHealth, t: PromiseThresholds): boolean {
  const e = v.expectation;
  // A machine short of cores also slows what no loop delay measures (the apps, the load generator).
  if (health.cpu && (health.cpu.busy > t.cpuBusy || health.cpu.steal > t.cpuSteal)) return false;
  if (v.status !== 'failed' || e.kind === 'ejected' || e.kind === 'recovered' || e.kind === 'state') return false;
  if (!isLatencyMetric(e.metric) || !(e.op === '<' || e.op === '<=') || !Number.isFinite(v.measured)) return false;
  // A quantile of the latency meets each sidecar's stalls at about the same quantile; `max` at their worst.
  const worst = e.metric === 'max';
  // The load generator's loop is on every request's path too (it times the response).
  const onPath = [...Object.values(health.sidecarLoops), ...(health.loadLoop ? [health.loadLoop] : [])];
  const stalls = onPath.reduce((sum, l) => sum + (l.samples > 0 ? (worst ? l.maxMs : l.p99Ms) : 0), 0);
  return v.measured - e.value > stalls;
}

function faultsOf(w: Window): Depends['faults'] {
  switch (w.kind) {
    case 'run':
      return { kind: 'length' };
    case 'between':
      return { kind: 'overlapping', fromMs: w.fromMs, toMs: w.toMs };
    case 'during':
      return { kind: 'edges', edges: [[w.fault, 'start'], [w.fault, 'end']] };
    case 'after':
      return { kind: 'edges', edges: [[w.fault, w.edge]] };
    case 'before':
      // Ends where the fault really began: a late start lengthens it by time without the fault, which is what "before" means.
      return null;
  }
}

/**
A verdict checked against the promises the harness kept during the run: when one it depends on was
broken past its threshold (contract/defaults.ts, PROMISE_THRESHOLDS), it is inconclusive, with the
reasons and the numbers, whatever the measurement said. Pure.
*/
export function checkPromises(verdict: Verdict, scenario: Scenario, health: RunHealth, thresholds: PromiseThresholds = PROMISE_THRESHOLDS): Verdict {
  if (verdict.status === 'inconclusive') return verdict;
  const needs = dependsOn(verdict.expectation);
  const reasons = new Reasons();
  const figures: Record<string, number> = {};
  if (needs.load) loadPromise(health, thresholds, reasons, figures);
  if (needs.timing && starvationCanFlip(verdict) && !beyondStarvation(verdict, health, thresholds)) timingPromise(health, thresholds, needs.timing.boundMs, reasons, figures);
  if (needs.faults) faultPromise(health, scenario, thresholds, needs.faults, reasons, figures);
  if (reasons.text.length === 0) return verdict;
  const inconclusive: Inconclusive = { wouldBe: verdict.status, reasons: reasons.text, promises: [...reasons.keys], figures };
  return { ...verdict, status: 'inconclusive', inconclusive, explanation: `inconclusive: ${reasons.text.join('; ')} (the measurement alone: ${verdict.explanation})` };
}

/** The sentences of the broken promises, and which promises they are (the health section's rows). */
class Reasons {
  readonly text: string[] = [];
  readonly keys = new Set<PromiseKey>();

  push(key: PromiseKey, sentence: string): void {
    this.text.push(sentence);
    this.keys.add(key);
  }
}

function loadPromise(health: RunHealth, t: PromiseThresholds, reasons: Reasons, figures: Record<string, number>): void {
  const load = health.load;
  if (!load) return;
  const short = loadShortfall(load);
  const said = () => {
    figures.load_declared = load.declaredRequests;
    figures.load_sent = load.sentRequests;
    if (load.droppedLate !== null) figures.load_dropped_late = load.droppedLate;
  };
  if (hasIntendedTimes(load)) {
    // Open loop: drops at the cap are the mesh's doing; what else is missing, the generator's.
    if (short > t.loadShortfall) {
      const late = load.droppedLate ? `, ${plural(load.droppedLate, 'request')} dropped for being late` : '';
      reasons.push('load', `the load sent ${load.sentRequests} of the ${load.declaredRequests} requests the scenario declares${late} (${formatPercent(short)} short with connections to spare; at most ${formatPercent(t.loadShortfall)} may be), so what was measured is not the declared load`);
      said();
    }
    if (load.latenessP99Ms !== null && load.latenessP99Ms > t.loadLatenessP99Ms) {
      reasons.push('load', `the load sent its requests late by ${formatDuration(load.latenessP99Ms)} at p99 (at most ${formatDuration(t.loadLatenessP99Ms)})`);
      figures.load_lateness_p99_ms = load.latenessP99Ms;
    }
    return;
  }
  // Closed loop: a slow mesh holding every connection, or requests in flight at the end, make it
  // short too; on a starved machine, the generator is what could not keep up.
  const starved = starvedBy(health, t);
  if (short > t.loadShortfall && starved) {
    reasons.push('load', `the load sent ${load.sentRequests} of the ${load.declaredRequests} requests the scenario declares (${formatPercent(short)} short; at most ${formatPercent(t.loadShortfall)} may be) while ${starved}, so what was measured is not the declared load`);
    said();
  }
}

/** Why the machine could not keep up, in words, or null when it could: a loop or the CPU past its absolute limit. */
function starvedBy(health: RunHealth, t: PromiseThresholds): string | null {
  const loops = [health.harnessLoop, health.loadLoop, ...Object.values(health.sidecarLoops)].filter((l): l is LoopDelay => l !== null && l.samples > 0);
  const worst = loops.reduce((m, l) => Math.max(m, l.p99Ms), 0);
  if (health.cpu && health.cpu.busy > t.cpuBusy) return `the machine's CPUs were ${formatPercent(health.cpu.busy)} busy`;
  if (health.cpu && health.cpu.steal > t.cpuSteal) return `the hypervisor stole ${formatPercent(health.cpu.steal)} of the CPU time`;
  if (worst > t.loopDelayP99Ms) return `an event loop was late by ${formatDuration(worst)} at p99`;
  return null;
}

function timingPromise(health: RunHealth, t: PromiseThresholds, boundMs: number | null, reasons: Reasons, figures: Record<string, number>): void {
  const relative = boundMs === null ? null : Math.max(t.loopDelayFloorMs, boundMs * t.loopDelayShareOfBound);
  const limit = relative === null ? t.loopDelayP99Ms : Math.min(t.loopDelayP99Ms, relative);
  const limitText =
    boundMs !== null && limit < t.loopDelayP99Ms
      ? limit > boundMs * t.loopDelayShareOfBound
        ? `at most ${formatDuration(limit)} against the ${formatDuration(boundMs)} it judges`
        : `${formatPercent(t.loopDelayShareOfBound)} of the ${formatDuration(boundMs)} it judges`
      : `at most ${formatDuration(limit)}`;
  // The harness is on no request's path (it schedules faults, pushes config, collects): its delay
  // says the machine is starved, so it is held to the absolute limit only.
  const harness = health.harnessLoop;
  if (harness && harness.samples > 0 && harness.p99Ms > t.loopDelayP99Ms) {
    reasons.push('harness-loop', `the harness's event loop was late by ${formatDuration(harness.p99Ms)} at p99 (max ${formatDuration(harness.maxMs)}; at most ${formatDuration(t.loopDelayP99Ms)})`);
    figures.harness_loop_p99_ms = harness.p99Ms;
  }
  const starved = Object.entries(health.sidecarLoops).filter(([, l]) => l.samples > 0 && l.p99Ms > limit);
  if (starved.length > 0) {
    const [instance, worst] = starved.reduce((a, b) => (b[1].p99Ms > a[1].p99Ms ? b : a));
    const others = starved.length > 1 ? ` and ${plural(starved.length - 1, 'other sidecar')}` : '';
    reasons.push('sidecar-loops', `sidecar ${instance}${others}: event loop late by ${formatDuration(worst.p99Ms)} at p99 (max ${formatDuration(worst.maxMs)}; ${limitText}), which every request through it waits`);
    figures.sidecar_loop_p99_ms = worst.p99Ms;
    figures.sidecars_late = starved.length;
  }
  // The load generator times every response in its own loop: a stall there is added to the latency it
  // records (and sends late), as a sidecar's is; held to the same limit.
  const load = health.loadLoop;
  if (load && load.samples > 0 && load.p99Ms > limit) {
    reasons.push('load-loop', `the load generator's event loop was late by ${formatDuration(load.p99Ms)} at p99 (max ${formatDuration(load.maxMs)}; ${limitText}), which every response it times waits`);
    figures.load_loop_p99_ms = load.p99Ms;
  }
  const cpu = health.cpu;
  if (cpu && cpu.busy > t.cpuBusy) {
    reasons.push('cpu', `the machine's CPUs were ${formatPercent(cpu.busy)} busy over the load (at most ${formatPercent(t.cpuBusy)}): processes waited for a core`);
    figures.cpu_busy = cpu.busy;
  }
  if (cpu && cpu.steal > t.cpuSteal) {
    reasons.push('cpu', `the hypervisor stole ${formatPercent(cpu.steal)} of the CPU time (at most ${formatPercent(t.cpuSteal)})`);
    figures.cpu_steal = cpu.steal;
  }
}

function faultPromise(health: RunHealth, scenario: Scenario, t: PromiseThresholds, needs: NonNullable<Depends['faults']>, reasons: Reasons, figures: Record<string, number>): void {
  const timing = (fault: string, edge: 'start' | 'end') => health.faults.find((f) => f.fault === fault && f.edge === edge) ?? null;
  const late = (f: FaultTiming | null): f is FaultTiming => f !== null && Math.abs(f.lateMs) > t.faultLateMs;
  const say = (f: FaultTiming) => {
    figures[`fault_late_ms.${f.fault}.${f.edge}`] = f.lateMs;
    const what = f.edge === 'start' ? 'took effect' : 'began to end';
    return `${f.fault} planned to ${f.edge === 'start' ? 'start' : 'end'} at ${formatDuration(f.plannedMs)} ${what} at ${formatDuration(f.beganMs)} (${formatDuration(Math.abs(f.lateMs))} ${f.lateMs >= 0 ? 'late' : 'early'}; at most ${formatDuration(t.faultLateMs)})`;
  };
  if (needs.kind === 'edges') {
    const broken = needs.edges.map(([fault, edge]) => timing(fault, edge)).filter(late);
    if (broken.length === 0) return;
    const parts = broken.map(say);
    const start = timing(needs.edges[0][0], 'start');
    const end = timing(needs.edges[0][0], 'end');
    // A during window is as long as the fault was in force: a late start and an on-time end shorten it.
    if (needs.edges.length === 2 && start) {
      const shorter = start.lateMs - (end?.lateMs ?? 0);
      if (Math.abs(shorter) > t.faultLateMs) parts.push(`the window it judges was ${formatDuration(Math.abs(shorter))} ${shorter > 0 ? 'short' : 'long'}`);
    }
    reasons.push(`fault:${broken[0].fault}:${broken[0].edge}`, parts.join('; '));
    for (const f of broken.slice(1)) reasons.keys.add(`fault:${f.fault}:${f.edge}`);
    return;
  }
  for (const f of scenario.faults ?? []) {
    const start = timing(f.name, 'start');
    const end = timing(f.name, 'end');
    if (needs.kind === 'overlapping') {
      const plannedEnd = scheduledEnd(f) ?? Number.POSITIVE_INFINITY;
      if (f.atMs >= needs.toMs || plannedEnd < needs.fromMs) continue;
      const broken = [start, end].filter(late);
      if (broken.length > 0) {
        reasons.push(`fault:${f.name}:${broken[0].edge}`, `${broken.map(say).join('; ')}, within the window it judges`);
        for (const b of broken.slice(1)) reasons.keys.add(`fault:${f.name}:${b.edge}`);
      }
    } else {
      // The whole run: a fault moved in time still holds as long; one in force longer or shorter does not.
      if (!start) continue;
      const longer = (end?.lateMs ?? 0) - start.lateMs;
      if (Math.abs(longer) > t.faultLateMs) {
        figures[`fault_length_change_ms.${f.name}`] = longer;
        reasons.push(`fault:${f.name}:start`, `${say(start)}, so it was in force ${formatDuration(Math.abs(longer))} ${longer > 0 ? 'longer' : 'shorter'} than planned`);
      }
    }
  }
}
