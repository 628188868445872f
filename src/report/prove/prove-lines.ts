import type { Cell, ProveMatrix } from './prove-matrix.ts';

/** A row of the matrix in words: the run it is, then one cell per expectation. */
export interface MatrixLine {
  /** `baseline`, a policy's key, or `every policy`. */
  label: string;
  /** What the row's run was: "as declared", "150ms → 15s, the envoy default", "all 3 taken out". */
  detail: string;
  cells: Cell[];
}

/**
The matrix's rows as every renderer shows them, and the three findings in words — shared by the
terminal, Markdown and HTML so they say the same thing.
*/
export function proveLines(m: ProveMatrix): { rows: MatrixLine[]; loadBearing: string[]; untested: string[]; undecided: string[]; testsNothing: string[] } {
  const rows: MatrixLine[] = [{ label: 'baseline', detail: 'as declared', cells: m.baseline }];
  for (const r of m.rows) rows.push({ label: `without ${r.policy.key}`, detail: `${r.policy.declared} → ${r.policy.instead}`, cells: r.cells });
  if (m.rows.length > 1) rows.push({ label: 'without every policy', detail: `all ${m.rows.length} taken out`, cells: m.withoutEveryPolicy });
  const ref = (i: number) => `[${i + 1}] ${m.expectations[i]}`;
  return {
    rows,
    loadBearing: m.rows.filter((r) => r.status === 'load-bearing').map((r) => `${r.policy.key} carries ${r.carries.map(ref).join('; ')}`),
    untested: m.rows.filter((r) => r.status === 'untested').map((r) => `${r.policy.key} (${r.policy.declared}): nothing here tests it`),
    undecided: m.rows
      .filter((r) => r.status === 'undecided')
      .map((r) => `${r.policy.key}: undecided (${m.baseline.includes('holds') ? 'no expectation failed without it, some were inconclusive' : 'the baseline held no expectation to carry'})`),
    testsNothing: m.testsNothing.map((i) => `${ref(i)}: tests nothing the mesh does (holds with every policy taken out)`),
  };
}
