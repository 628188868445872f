import { countsText, type RepeatSummary } from './repeat-summary.ts';
import { spreadCells } from './spread-cells.ts';

const ANSI = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;

/**
The terminal's words on a repeated scenario: for each expectation how many repeats gave each
verdict, and the spread of what it measured (min, median, max; p10 and p90 from ten repeats), then
the load achieved, the exit code and the folder.
*/
export function renderRepeatPlain(summary: RepeatSummary, options: { color: boolean; reportDir?: string | null }): string {
  const paint = (c: keyof typeof ANSI, s: string) => (options.color ? `\x1b[${ANSI[c]}m${s}\x1b[0m` : s);
  const n = summary.runs.length;
  const tails = summary.expectations.some((e) => e.spread?.p10 !== undefined);
  const header = ['expectation', 'verdicts', 'min', 'median', 'max', ...(tails ? ['p10', 'p90'] : [])];
  const rows = summary.expectations.map((e) => {
    const c = spreadCells(e.spread, e.unit);
    return [e.text, countsText(e.counts, Object.values(e.counts).reduce((a, b) => a + b, 0)), c.min, c.median, c.max, ...(tails ? [c.p10, c.p90] : [])];
  });
  const load = spreadCells(summary.achievedRate, 'rps');
  rows.push(['(load achieved)', '', load.min, load.median, load.max, ...(tails ? [load.p10, load.p90] : [])]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const lines = [paint('bold', `${summary.scenario.name}: ${n} of ${summary.requested} repeats — ${countsText(summary.outcomes, n)}`), '', paint('dim', line(header))];
  summary.expectations.forEach((e, i) => {
    const text = line(rows[i]);
    lines.push(e.stable ? text : paint('yellow', text));
  });
  lines.push(paint('dim', line(rows[rows.length - 1])));
  const unstable = summary.expectations.filter((e) => !e.stable).length;
  lines.push('', paint(summary.exitCode === 0 ? 'green' : 'red', `${unstable === 0 ? 'every verdict was the same in every repeat' : `${unstable} of ${summary.expectations.length} expectations changed verdict between repeats`} · exit ${summary.exitCode} (the worst repeat's)`));
  if (options.reportDir) lines.push(`Report: ${options.reportDir}`);
  return lines.join('\n');
}
