import { PROMISE_THRESHOLDS, type PromiseThresholds } from './defaults.ts';
import { hasIntendedTimes, loadShortfall } from './load-fidelity.ts';
import { worstSidecarLoop, type LoopDelay, type PromiseBreach, type PromiseKey, type RunHealth } from './run-health.ts';
import { formatDuration, formatPercent, formatRate, plural } from '../util/format.ts';

/** One promise of the harness as the run kept it, in words, for every report. */
export interface HealthRow {
  /** Which promise (what an inconclusive verdict names in `inconclusive.promises`). */
  key: PromiseKey;
  /** "fault p1-errors start", "harness event loop", "sidecars' event loops", "CPU", "load". */
  what: string;
  /** The figures: "planned 3s, took effect 3.7s (700ms late)". */
  figure: string;
  /** The threshold it is held to: "≤ 250ms late". */
  limit: string;
  /**
  Kept: within its limit and no verdict made inconclusive by it. Where the verdicts are known, a row
  is broken exactly when it made one inconclusive (the verdict's limit: a loop is held to a share of
  the bound it is weighed against, so under the absolute limit can still be too slow for a 60 ms
  bound) or is over its absolute limit (then `inconclusive` may be empty: it broke none that matters).
  */
  kept: boolean;
  /** The expectations (their sentences) it made inconclusive; empty where the verdicts are not known or none depended on it. */
  inconclusive: string[];
}

/**
The harness-health section of the reports (result.json keeps the figures; this is their words):
each fault edge planned vs when it took effect, the event loops of the harness and of the worst
sidecar, the machine's CPU, the load delivered vs declared, each against its threshold
(contract/defaults.ts). Given the verdicts' breaches (`breachesOf`), each row says which expectations it made inconclusive, and
one judgment (src/verdict/promises.ts) decides both: a row is broken when a verdict lost to it, or when
it is over its absolute limit though nothing here depended on it.
*/
export function healthRows(health: RunHealth, breaches: readonly PromiseBreach[] = [], t: PromiseThresholds = PROMISE_THRESHOLDS): HealthRow[] {
  const rows: HealthRow[] = [];
  const push = (row: Omit<HealthRow, 'inconclusive'>) => {
    const inconclusive = breaches.filter((b) => b.promises.includes(row.key)).map((b) => b.expectation);
    rows.push({ ...row, kept: row.kept && inconclusive.length === 0, inconclusive });
  };
  for (const f of health.faults) {
    const applied = f.appliedMs !== null && f.appliedMs !== f.beganMs ? `, applied by ${formatDuration(f.appliedMs)}` : '';
    const late = `${formatDuration(Math.abs(f.lateMs))} ${f.lateMs >= 0 ? 'late' : 'early'}`;
    push({ key: `fault:${f.fault}:${f.edge}`, what: `fault ${f.fault} ${f.edge}`, figure: `planned ${formatDuration(f.plannedMs)}, took effect ${formatDuration(f.beganMs)} (${late})${applied}`, limit: `≤ ${formatDuration(t.faultLateMs)} late`, kept: Math.abs(f.lateMs) <= t.faultLateMs });
  }
  const loopText = (l: LoopDelay) => `p99 ${formatDuration(l.p99Ms)}, max ${formatDuration(l.maxMs)}`;
  const loopLimit = `p99 ≤ ${formatDuration(t.loopDelayP99Ms)} (and ≤ ${formatPercent(t.loopDelayShareOfBound)} of a bound)`;
  if (health.harnessLoop && health.harnessLoop.samples > 0) {
    push({ key: 'harness-loop', what: 'harness event loop', figure: loopText(health.harnessLoop), limit: loopLimit, kept: health.harnessLoop.p99Ms <= t.loopDelayP99Ms });
  }
  const worst = worstSidecarLoop(health);
  if (worst) {
    const n = Object.keys(health.sidecarLoops).length;
    push({ key: 'sidecar-loops', what: "sidecars' event loops", figure: `worst ${worst.instance}: ${loopText(worst.loop)} (${plural(n, 'sidecar')})`, limit: loopLimit, kept: worst.loop.p99Ms <= t.loopDelayP99Ms });
  }
  if (health.loadLoop && health.loadLoop.samples > 0) {
    push({ key: 'load-loop', what: 'load generator event loop', figure: loopText(health.loadLoop), limit: loopLimit, kept: health.loadLoop.p99Ms <= t.loopDelayP99Ms });
  }
  const cpu = health.cpu;
  if (cpu) {
    push({
      key: 'cpu',
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
    push({
      key: 'load',
      what: 'load',
      figure: `${load.sentRequests} of ${load.declaredRequests} requests sent (${formatPercent(1 - short)}), ${formatRate(load.achievedRate)} of ${formatRate(load.targetRate)}${extra.length ? `, ${extra.join(', ')}` : ''}`,
      limit: open ? `≤ ${formatPercent(t.loadShortfall)} short${load.latenessP99Ms !== null ? `, late ≤ ${formatDuration(t.loadLatenessP99Ms)} at p99` : ''}` : `≤ ${formatPercent(t.loadShortfall)} short while the machine is starved (closed loop: a slow mesh holds its connections)`,
      kept: short <= t.loadShortfall && (load.latenessP99Ms === null || load.latenessP99Ms <= t.loadLatenessP99Ms),
    });
  }
  return rows;
}

/** Each inconclusive verdict's sentence and the promises that made it so (Verdict.inconclusive.promises). */
export function breachesOf(verdicts: readonly { expectation: { text: string }; inconclusive?: { promises: readonly PromiseKey[] } }[]): PromiseBreach[] {
  return verdicts.filter((v) => v.inconclusive && v.inconclusive.promises.length > 0).map((v) => ({ expectation: v.expectation.text, promises: v.inconclusive!.promises }));
}

/** What a broken row cost, in words: the expectations it made inconclusive, or none that matters; '' when kept. */
export function healthCost(r: HealthRow): string {
  if (r.kept) return '';
  return r.inconclusive.length > 0 ? `made inconclusive: ${r.inconclusive.join('; ')}` : 'broke none that matters: no expectation here depends on it';
}

/**
The run's health in one line per broken promise, as the progress lines and the live view's log say
it: which promise, its figure and limit, and what it cost (the expectations it made inconclusive, or
that none depended on it); one line when every promise was kept.
*/
export function healthLines(rows: readonly HealthRow[]): { text: string; broken: boolean }[] {
  const broken = rows.filter((r) => !r.kept);
  if (broken.length === 0) return [{ text: `harness health: every promise kept (${rows.map((r) => r.what).join(', ')})`, broken: false }];
  return broken.map((r) => ({
    text: `harness health: ${r.what} ${r.figure} (limit ${r.limit}) — ${healthCost(r)}`,
    broken: true,
  }));
}
