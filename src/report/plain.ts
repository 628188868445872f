import type { RunResult } from './run-result.ts';
import type { Verdict } from '../verdict/verdict.ts';
import { loadShortfalls } from '../load/load-honesty.ts';
import { actualText, faultTargetText, faultText, scheduledText } from './describe.ts';
import { loadLine } from './load-honesty-text.ts';
import { breachesOf, healthCost, healthRows } from '../contract/describe-run-health.ts';

export interface PlainSummaryOptions {
  /** ANSI colours; only when the output is a terminal that wants them. */
  color: boolean;
  /** The report folder written for this run, named on the last line; null or absent when none was written. */
  reportDir?: string | null;
}

const ANSI = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;

const LABEL: Record<Verdict['status'], { mark: string; word: string; color: keyof typeof ANSI }> = {
  held: { mark: '✔', word: 'held', color: 'green' },
  failed: { mark: '✘', word: 'failed', color: 'red' },
  no_data: { mark: '✘', word: 'no data', color: 'yellow' },
  inconclusive: { mark: '?', word: 'inconclusive', color: 'yellow' },
};

/**
The CLI's final words on a run, for a log or a CI console: one line per verdict with its sentence
and what was measured, then `N held, M failed` and where the report folder is.
*/
export function renderPlainSummary(result: RunResult, options: PlainSummaryOptions): string {
  const paint = (c: keyof typeof ANSI, s: string) => (options.color ? `\x1b[${ANSI[c]}m${s}\x1b[0m` : s);
  const width = Math.max(...result.verdicts.map((v) => LABEL[v.status].word.length), 0);
  const lines: string[] = [];
  for (const v of result.verdicts) {
    const l = LABEL[v.status];
    lines.push(`${paint(l.color, `${l.mark} ${l.word.padEnd(width)}`)}  ${v.expectation.text} ${paint('dim', `— ${v.explanation}`)}`);
  }
  if (result.error) lines.push(paint('red', `✘ the run did not complete: ${result.error}`));

  // The faults, briefly: when each really held against its plan, and what applying it did.
  const faults = result.scenario.faults ?? [];
  if (faults.length) {
    const nameWidth = Math.max(...faults.map((f) => f.name.length));
    lines.push('', 'Faults:');
    for (const f of faults) {
      const r = (result.faults ?? []).find((x) => x.name === f.name);
      const detail = r?.detail ? ` — ${r.detail}` : '';
      lines.push(paint('dim', `  ${f.name.padEnd(nameWidth)}  ${actualText(r)} (planned ${scheduledText(f)})  ${faultText(f)} on ${faultTargetText(f)}${detail}`));
    }
  }

  // The load as delivered, so a figure read against the declared load can be trusted (or not).
  const honesty = result.load?.honesty;
  if (honesty) {
    const short = loadShortfalls(honesty);
    lines.push('', `Load: ${loadLine(honesty)}`);
    if (short.length) lines.push(paint('yellow', `  ⚠ the load fell short of the declared one: ${short.join('; ')}`));
  }

  // The promises the verdicts depend on: only those broken are worth a line here (the reports list them all).
  const broken = result.health ? healthRows(result.health, breachesOf(result.verdicts)).filter((h) => !h.kept) : [];
  if (broken.length) {
    lines.push('', 'Harness health (promises broken):');
    for (const h of broken) lines.push(paint('yellow', `  ${h.what}: ${h.figure} (limit ${h.limit}) — ${healthCost(h)}`));
  }

  const held = result.verdicts.filter((v) => v.status === 'held').length;
  const inconclusive = result.verdicts.filter((v) => v.status === 'inconclusive').length;
  const failed = result.verdicts.length - held - inconclusive;
  const noData = result.verdicts.filter((v) => v.status === 'no_data').length;
  const tally = `${held} held, ${failed} failed${noData ? ` (${noData} with no data)` : ''}${inconclusive ? `, ${inconclusive} inconclusive` : ''}`;
  const tone = result.passed ? 'green' : failed === 0 && !result.error ? 'yellow' : 'red';
  lines.push('', `${paint('bold', paint(tone, tally))} — ${result.scenario.name}`);
  if (options.reportDir) lines.push(`Report: ${options.reportDir}`);
  return lines.join('\n');
}
