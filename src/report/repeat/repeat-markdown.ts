import { code, inline } from '../markdown.ts';
import { countsText, type RepeatSummary } from './repeat-summary.ts';
import { spreadCells } from './spread-cells.ts';

/**
A repeated scenario as Markdown (the repeat folder's summary.md, and the CI job summary): how
stable each verdict was, the spread of each measured value, and each repeat's run folder.
*/
export function renderRepeatMarkdown(summary: RepeatSummary, options: { runFolder?: (reportDir: string) => string } = {}): string {
  const n = summary.runs.length;
  const ok = summary.exitCode === 0;
  const tails = summary.expectations.some((e) => e.spread?.p10 !== undefined);
  const out = [
    `## ${ok ? '✅' : '❌'} ${inline(summary.scenario.name)} — ${n} of ${summary.requested} repeats: ${inline(countsText(summary.outcomes, n))}`,
    '',
    `Run one after another from ${code(summary.scenario.file)}; exit code ${summary.exitCode}, the worst any repeat gave.`,
    '',
    `| Expectation | Verdicts | Stable | Min | Median | Max |${tails ? ' p10 | p90 |' : ''}`,
    `| --- | --- | :---: | ---: | ---: | ---: |${tails ? ' ---: | ---: |' : ''}`,
  ];
  const cells = (c: ReturnType<typeof spreadCells>) => [c.min, c.median, c.max, ...(tails ? [c.p10, c.p90] : [])];
  for (const e of summary.expectations) {
    const of = Object.values(e.counts).reduce((a, b) => a + b, 0);
    out.push(row([code(e.text), inline(countsText(e.counts, of)), e.stable ? '✅' : '⚠️', ...cells(spreadCells(e.spread, e.unit))]));
  }
  out.push(row(['load achieved', '', '', ...cells(spreadCells(summary.achievedRate, 'rps'))]));
  out.push('', '| Repeat | Outcome | Failed | Run folder |', '| ---: | --- | --- | --- |');
  for (const r of summary.runs) {
    const failed = r.verdicts.map((v, i) => (v.status === 'held' ? null : summary.expectations[i]?.text)).filter((t): t is string => Boolean(t));
    const folder = r.reportDir ? code(options.runFolder ? options.runFolder(r.reportDir) : r.reportDir) : '—';
    out.push(row([String(r.index), inline(r.error ? `${r.outcome}: ${r.error.split('\n')[0]}` : r.outcome), failed.map(code).join(', ') || '—', folder]));
  }
  out.push('');
  return out.join('\n');
}

function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ')).join(' | ')} |`;
}
