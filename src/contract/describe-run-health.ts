import { PROMISE_THRESHOLDS, type PromiseThresholds } from './defaults.ts';
import { hasIntendedTimes, loadShortfall } from './load-fidelity.ts';
import { worstSidecarLoop, type LoopDelay, type RunHealth } from './run-health.ts';
import { formatDuration, formatPercent, formatRate, plural } from '../util/format.ts';

/** One promise of the harness as the run kept it, in words, for every report. */
export interface HealthRow {
  /** "fault p1-errors start", "harness event loop", "sidecars' event loops", "CPU", "load". */
  what: string;
  /** The figures: "planned 3s, took effect 3.7s (700ms late)". */
  figure: string;
  /** The threshold it is held to: "≤ 250ms late". */
  limit: string;
  kept: boolean;
}

/**
The harness-health section of the reports (result.json keeps the figures; this is their words):
each fault edge planned vs when it took effect, the event loops of the harness and of the worst
sidecar, the machine's CPU, the load delivered vs declared, each against its threshold
(contract/defaults.ts). A broken row is what made a verdict inconclusive, if one depended on it.
*/
export function healthRows(health: RunHealth, t: PromiseThresholds = PROMISE_THRESHOLDS): HealthRow[] {
  const rows: HealthRow[] = [];
  for (const f of health.faults) {
    const applied = f.appliedMs !== null && f.appliedMs !== f.beganMs ? `, applied by ${formatDuration(f.appliedMs)}` : '';
    const late = `${formatDuration(Math.abs(f.lateMs))} ${f.lateMs >= 0 ? 'late' : 'early'}`;
    rows.push({ what: `fault ${f.fault} ${f.edge}`, figure: `planned ${formatDuration(f.plannedMs)}, took effect ${formatDuration(f.beganMs)} (${late})${applied}`, limit: `≤ ${formatDuration(t.faultLateMs)} late`, kept: Math.abs(f.lateMs) <= t.faultLateMs });
  }
  const loopText = (l: LoopDelay) => `p99 ${formatDuration(l.p99Ms)}, max ${formatDuration(l.maxMs)}`;
  const loopLimit = `p99 ≤ ${formatDuration(t.loopDelayP99Ms)} (and ≤ ${formatPercent(t.loopDelayShareOfBound)} of a bound)`;
  if (health.harnessLoop && health.harnessLoop.samples > 0) {
    rows.push({ what: 'harness event loop', figure: loopText(health.harnessLoop), limit: loopLimit, kept: health.harnessLoop.p99Ms <= t.loopDelayP99Ms });
  }
  const worst = worstSidecarLoop(health);
  if (worst) {
    const n = Object.keys(health.sidecarLoops).length;
    rows.push({ what: "sidecars' event loops", figure: `worst ${worst.instance}: ${loopText(worst.loop)} (${plural(n, 'sidecar')})`, limit: loopLimit, kept: worst.loop.p99Ms <= t.loopDelayP99Ms });
  }
  const cpu = health.cpu;
  if (cpu) {
    rows.push({
      what: 'CPU',
      figure: `${formatPercent(cpu.busy)} busy (busiest second ${formatPercent(cpu.busyMax)}), ${formatPercent(cpu.steal)} stolen, ${plural(cpu.cores, 'core')}`,
      limit: `busy ≤ ${formatPercent(t.cpuBusy)}, stolen ≤ ${formatPercent(t.cpuSteal)}`,
      kept: cpu.busy <= t.cpuBusy && cpu.steal <= t.cpuSteal,
    });
  }
  const load = health.load;
  if (load) {
    const short = loadShortfall(load);
    // Closed loop: a shortfall is the harness's only on a starved machine (its row says so).
    const open = hasIntendedTimes(load);
    const extra = [
      load.droppedAtCap !== null ? `${load.droppedAtCap} dropped at the cap of ${load.cap} in flight (the mesh's doing)` : null,
      load.droppedLate !== null ? `${load.droppedLate} dropped late` : null,
      load.latenessP99Ms !== null ? `sent late by ${formatDuration(load.latenessP99Ms)} at p99` : null,
    ].filter(Boolean);
    rows.push({
      what: 'load',
      figure: `${load.sentRequests} of ${load.declaredRequests} requests sent (${formatPercent(1 - short)}), ${formatRate(load.achievedRate)} of ${formatRate(load.targetRate)}${extra.length ? `, ${extra.join(', ')}` : ''}`,
      limit: open ? `≤ ${formatPercent(t.loadShortfall)} short${load.latenessP99Ms !== null ? `, late ≤ ${formatDuration(t.loadLatenessP99Ms)} at p99` : ''}` : `≤ ${formatPercent(t.loadShortfall)} short while the machine is starved (closed loop: a slow mesh holds its connections)`,
      kept: short <= t.loadShortfall && (load.latenessP99Ms === null || load.latenessP99Ms <= t.loadLatenessP99Ms),
    });
  }
  return rows;
}
