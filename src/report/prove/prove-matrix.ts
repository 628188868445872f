import { BASELINE, type DeclaredPolicy, type ProvePlan } from '../../plan/plan-prove.ts';
import type { Verdict } from '../../verdict/verdict.ts';

/**
The proof of a scenario's policies (`meshproof prove`): for every policy, what each expectation did
without it. Pure: built from the plan and the verdicts of its runs.
*/

/**
What an expectation did in one run: `holds`, `fails` (failed, or nothing to measure), or
`inconclusive` — neither (the run could not complete, or the verdict itself was inconclusive).
*/
export type Cell = 'holds' | 'fails' | 'inconclusive';

/** A verdict's status as a cell: every status other than held, failed and no data is neither held nor failed. */
export function cellOf(status: Verdict['status'] | string): Cell {
  if (status === 'held') return 'holds';
  if (status === 'failed' || status === 'no_data') return 'fails';
  return 'inconclusive';
}

/** What one run of the proof gives the matrix. */
export interface VariantRun {
  /** The variant's id (plan-prove.ts). */
  id: string;
  /** The run's outcome: `passed`, `failed`, `error`, `interrupted`, … */
  outcome: string;
  error: string | null;
  reportDir: string | null;
  /** Each expectation's verdict status, in the scenario's order; none when the run could not start. */
  statuses: string[];
}

/** What taking one policy out did. */
export interface PolicyRow {
  policy: DeclaredPolicy;
  cells: Cell[];
  /** The expectations that hold with the policy and fail without it (indexes into `expectations`). */
  carries: number[];
  /**
  `load-bearing`: some expectation holds only with it · `untested`: every expectation that holds
  with it holds without it ("nothing here tests it") · `undecided`: none failed without it, but
  some were inconclusive.
  */
  status: 'load-bearing' | 'untested' | 'undecided';
}

export interface ProveMatrix {
  scenario: { name: string; file: string };
  expectations: string[];
  baseline: Cell[];
  rows: PolicyRow[];
  /** Every policy taken out at once (the baseline's cells when the scenario declares none). */
  withoutEveryPolicy: Cell[];
  /** The expectations that hold with every policy and with none: they test nothing the mesh's policies do. */
  testsNothing: number[];
  /** Each run of the proof, baseline first. */
  runs: VariantRun[];
  /** Runs not made (interrupted before them), by variant id. */
  notRun: string[];
}

/** The matrix of a proof from its plan and the runs made (a run missing from `runs` was not made: its cells are inconclusive). */
export function proveMatrix(scenario: { name: string; file: string; expect: readonly { text: string }[] }, plan: ProvePlan, runs: VariantRun[]): ProveMatrix {
  const n = scenario.expect.length;
  const cellsOf = (id: string): Cell[] => {
    const r = runs.find((x) => x.id === id);
    // A run that broke decides nothing, whatever it measured before.
    if (!r || r.outcome === 'error' || r.outcome === 'interrupted') return Array.from({ length: n }, () => 'inconclusive');
    return Array.from({ length: n }, (_, i) => (r.statuses[i] === undefined ? 'inconclusive' : cellOf(r.statuses[i])));
  };
  const baseline = cellsOf(BASELINE);
  const rows = plan.policies.map((policy): PolicyRow => {
    const cells = cellsOf(policy.key);
    const carries = cells.flatMap((c, i) => (baseline[i] === 'holds' && c === 'fails' ? [i] : []));
    const open = cells.some((c, i) => baseline[i] === 'holds' && c === 'inconclusive') || baseline.every((c) => c !== 'holds');
    return { policy, cells, carries, status: carries.length > 0 ? 'load-bearing' : open ? 'undecided' : 'untested' };
  });
  const withoutEveryPolicy = cellsOf(plan.withoutEveryPolicy);
  return {
    scenario: { name: scenario.name, file: scenario.file },
    expectations: scenario.expect.map((e) => e.text),
    baseline,
    rows,
    withoutEveryPolicy,
    testsNothing: withoutEveryPolicy.flatMap((c, i) => (c === 'holds' && baseline[i] === 'holds' ? [i] : [])),
    runs,
    notRun: plan.variants.filter((v) => !runs.some((r) => r.id === v.id)).map((v) => v.id),
  };
}
