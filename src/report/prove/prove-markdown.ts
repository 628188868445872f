import { code, inline } from '../markdown.ts';
import type { Cell, ProveMatrix } from './prove-matrix.ts';
import { proveLines } from './prove-lines.ts';

const CELL: Record<Cell, string> = { holds: '✅ holds', fails: '❌ fails', inconclusive: '⚠️ inconclusive' };

/**
A proof as Markdown (the prove folder's summary.md, and the CI job summary): the matrix with the
expectations as columns, the findings, and each run's folder.
*/
export function renderProveMarkdown(m: ProveMatrix, options: { exitCode?: number; runFolder?: (reportDir: string) => string } = {}): string {
  const l = proveLines(m);
  const out = [
    `## ${m.rows.some((r) => r.status === 'load-bearing') && m.baseline.every((c) => c === 'holds') ? '✅' : '⚠️'} prove ${inline(m.scenario.name)} — ${m.rows.length} ${m.rows.length === 1 ? 'policy' : 'policies'}, ${m.runs.length} runs`,
    '',
    `Each policy of ${code(m.scenario.file)} taken out in turn (the profile's default in its place), run one after another.${options.exitCode !== undefined ? ` Exit code ${options.exitCode}.` : ''}`,
    '',
    `| Run | ${m.expectations.map(code).join(' | ')} |`,
    `| --- | ${m.expectations.map(() => '---').join(' | ')} |`,
  ];
  for (const r of l.rows) out.push(row([`${code(r.label)}<br>${inline(r.detail)}`, ...r.cells.map((c) => CELL[c])]));
  if (m.baseline.some((c) => c !== 'holds')) out.push('', '> ⚠️ The baseline did not hold every expectation: what it failed, no policy can be shown to carry.');
  const section = (title: string, items: string[]) => {
    if (items.length) out.push('', `**${title}**`, '', ...items.map((s) => `- ${inline(s)}`));
  };
  section('Load-bearing', l.loadBearing);
  section('Nothing here tests it', l.untested);
  section('Undecided', l.undecided);
  section('Tests nothing the mesh does', l.testsNothing);
  out.push('', '| Run | Outcome | Run folder |', '| --- | --- | --- |');
  for (const r of m.runs) {
    const folder = r.reportDir ? code(options.runFolder ? options.runFolder(r.reportDir) : r.reportDir) : '—';
    out.push(row([code(r.id), inline(r.error ? `${r.outcome}: ${r.error.split('\n')[0]}` : r.outcome), folder]));
  }
  for (const id of m.notRun) out.push(row([code(id), 'not run (interrupted)', '—']));
  out.push('');
  return out.join('\n');
}

function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
}
