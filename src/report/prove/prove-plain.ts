import type { Cell, ProveMatrix } from './prove-matrix.ts';
import { proveLines } from './prove-lines.ts';

const ANSI = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
const WORD: Record<Cell, { text: string; color: keyof typeof ANSI }> = {
  holds: { text: 'holds', color: 'green' },
  fails: { text: 'FAILS', color: 'red' },
  inconclusive: { text: 'inconcl.', color: 'yellow' },
};

/**
The terminal's words on a proof: the matrix (a row per run, a column per expectation, numbered),
the expectations by number, then which policies carry which expectations, which nothing tests, and
which expectations test nothing the mesh does.
*/
export function renderProvePlain(m: ProveMatrix, options: { color: boolean; reportDir?: string | null; exitCode?: number }): string {
  const paint = (c: keyof typeof ANSI, s: string) => (options.color ? `\x1b[${ANSI[c]}m${s}\x1b[0m` : s);
  const l = proveLines(m);
  const labelWidth = Math.max(...l.rows.map((r) => r.label.length));
  const width = Math.max(8, ...m.expectations.map((_, i) => `[${i + 1}]`.length));
  const lines = [paint('bold', `prove ${m.scenario.name}: ${m.rows.length} ${m.rows.length === 1 ? 'policy' : 'policies'}, ${m.runs.length} runs`), ''];
  lines.push(paint('dim', `${''.padEnd(labelWidth)}  ${m.expectations.map((_, i) => `[${i + 1}]`.padEnd(width)).join(' ')}`.trimEnd()));
  for (const r of l.rows) {
    const cells = r.cells.map((c) => paint(WORD[c].color, WORD[c].text.padEnd(width))).join(' ');
    lines.push(`${r.label.padEnd(labelWidth)}  ${cells}  ${paint('dim', r.detail)}`);
  }
  lines.push('');
  m.expectations.forEach((e, i) => lines.push(paint('dim', `[${i + 1}] ${e}`)));
  if (m.baseline.some((c) => c !== 'holds')) lines.push('', paint('red', 'The baseline did not hold every expectation: what it failed, no policy can be shown to carry.'));
  const section = (title: string, items: string[], color: keyof typeof ANSI) => {
    if (items.length) lines.push('', paint('bold', title), ...items.map((s) => paint(color, `  ${s}`)));
  };
  section('Load-bearing:', l.loadBearing, 'green');
  section('Nothing here tests it:', l.untested, 'yellow');
  section('Undecided:', l.undecided, 'yellow');
  section('Tests nothing the mesh does:', l.testsNothing, 'yellow');
  for (const r of m.runs) if (r.error) lines.push(paint('red', `${r.id}: the run did not complete: ${r.error.split('\n')[0]}`));
  if (m.notRun.length) lines.push(paint('red', `not run (interrupted): ${m.notRun.join(', ')}`));
  if (options.exitCode !== undefined) lines.push('', `exit ${options.exitCode}`);
  if (options.reportDir) lines.push(`Report: ${options.reportDir}`);
  return lines.join('\n');
}
