import type { Unit } from '../../util/format.ts';
import type { AnyExpectation } from '../../scenario/scenario.ts';
import type { Verdict } from '../../verdict/verdict.ts';

/**
How stable a scenario's verdicts were over repeated runs (`meshproof run --repeat N`), and how far
each measured value spread. Pure: built from the runs' verdicts.
*/

/** What one repeat gives the summary. */
export interface RepeatRun {
  /** 1-based, in the order run. */
  index: number;
  /** The run's outcome: `passed`, `failed`, `error`, `interrupted` (and any state a run may end in). */
  outcome: string;
  error: string | null;
  reportDir: string | null;
  /** Each expectation's verdict, in the scenario's order (none when the run could not start). */
  verdicts: Pick<Verdict, 'status' | 'measured'>[];
  /** Requests per second the load generator achieved. */
  achievedRate: number;
}

/** The spread of one measured value over the repeats that measured it. */
export interface Spread {
  /** How many repeats measured a value (no data measures none). */
  n: number;
  min: number;
  median: number;
  max: number;
  /** Only with 10 values or more: fewer say nothing about a tail. */
  p10?: number;
  p90?: number;
}

export interface ExpectationStability {
  text: string;
  /** How many repeats gave each verdict, by status (`held`, `failed`, `no_data`, and any status a verdict may have). */
  counts: Record<string, number>;
  /** Every repeat that decided it gave the same verdict. */
  stable: boolean;
  /** The unit `spread` is in; null when the expectation measures no number (a state). */
  unit: Unit | null;
  /** For an ejection or a recovery, the delay it measured (ms); for a measurement, its value. Null when nothing was measured. */
  spread: Spread | null;
}

export interface RepeatSummary {
  scenario: { name: string; file: string };
  /** Repeats asked for. */
  requested: number;
  /** Repeats run (fewer when interrupted). */
  runs: RepeatRun[];
  /** How many repeats ended in each outcome. */
  outcomes: Record<string, number>;
  expectations: ExpectationStability[];
  /** The load each repeat achieved, in requests per second. */
  achievedRate: Spread | null;
  /** The exit code of the repeats together: the worst any of them gave (see docs/repeat-and-prove.md). */
  exitCode: number;
}

/** The values with 10 or more give p10 and p90 too. */
const TAILS_FROM = 10;

/** min, median, max (and p10, p90 from ten values), by linear interpolation between closest ranks; null without finite values. */
export function spreadOf(values: readonly number[]): Spread | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q: number) => {
    const pos = q * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  const s: Spread = { n: v.length, min: v[0], median: at(0.5), max: v[v.length - 1] };
  if (v.length >= TAILS_FROM) {
    s.p10 = at(0.1);
    s.p90 = at(0.9);
  }
  return s;
}

/** The unit of what an expectation measures, or null when it measures no number. */
function unitOf(e: AnyExpectation): Unit | null {
  switch (e.kind) {
    case 'ejected':
    case 'recovered':
      return 'ms';
    case 'state':
      return null;
    default:
      return e.unit;
  }
}

/** The summary of `runs` (every repeat of one scenario, in order), with the exit code they give together. */
export function summariseRepeats(scenario: { name: string; file: string; expect: readonly AnyExpectation[] }, requested: number, runs: RepeatRun[], exitCode: number): RepeatSummary {
  const outcomes: Record<string, number> = {};
  for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const expectations = scenario.expect.map((e, i): ExpectationStability => {
    const counts: Record<string, number> = {};
    const values: number[] = [];
    for (const r of runs) {
      const v = r.verdicts[i];
      if (!v) continue;
      counts[v.status] = (counts[v.status] ?? 0) + 1;
      // JSON has no NaN: a verdict read back from result.json may hold null.
      if (typeof v.measured === 'number') values.push(v.measured);
    }
    const unit = unitOf(e);
    return { text: e.text, counts, stable: Object.keys(counts).length <= 1, unit, spread: unit === null ? null : spreadOf(values) };
  });
  return {
    scenario: { name: scenario.name, file: scenario.file },
    requested,
    runs,
    outcomes,
    expectations,
    achievedRate: spreadOf(runs.filter((r) => r.outcome !== 'error' && r.outcome !== 'interrupted').map((r) => r.achievedRate)),
    exitCode,
  };
}

/** "held 19/20, failed 1/20": each verdict's count over the repeats that decided the expectation, the most frequent first. */
export function countsText(counts: Record<string, number>, of: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([status, n]) => `${status.replace(/_/g, ' ')} ${n}/${of}`)
    .join(', ');
}
