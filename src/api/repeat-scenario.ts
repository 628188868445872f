import { join, relative } from 'node:path';
import type { Scenario } from '../scenario/scenario.ts';
import { renderRepeatMarkdown } from '../report/repeat/repeat-markdown.ts';
import { renderRepeatPlain } from '../report/repeat/repeat-plain.ts';
import { summariseRepeats, type RepeatRun, type RepeatSummary } from '../report/repeat/repeat-summary.ts';
import { reportDirName } from '../report/write-reports.ts';
import { writeFiles } from '../report/write-files.ts';
import { exitCodeOf, worstExitCode } from './exit-code.ts';
import { runOneScenario, type RunSettings } from './run-one.ts';
import type { ScenarioRun } from './run.ts';
import { appendStepSummary } from './step-summary.ts';

/** A scenario run `count` times, one after another. */
export interface RepeatedScenario {
  runs: ScenarioRun[];
  summary: RepeatSummary;
  /** The repeat folder (every repeat's run folder, summary.md, repeat.json), or null without reports. */
  reportDir: string | null;
  exitCode: 0 | 1 | 2 | 3 | 130;
}

/**
Runs `scenario` `count` times in sequence — never at once: runs side by side share the cores and
change each other's verdicts — each repeat's run folder under the repeat folder (`01/`, `02/`, …:
run folders are named by the second they start, which two short repeats could share), then writes
and prints how stable each verdict was. Stops at an interrupt: the summary covers the repeats made.
*/
export async function repeatScenario(scenario: Scenario, count: number, settings: RunSettings, reportsDir: string | null): Promise<RepeatedScenario> {
  const { options, signal } = settings;
  const print = options.output;
  const out = print ? (line: string) => print.stream.write(line + '\n') : null;
  const json = print?.format === 'json';
  const color = print?.color ?? false;
  const reportDir = reportsDir ? join(reportsDir, reportDirName({ startedAt: new Date().toISOString(), scenario: { name: `${scenario.name}--repeat` } })) : null;
  const width = String(count).length;
  const runs: ScenarioRun[] = [];
  const repeats: RepeatRun[] = [];
  let exitCode: RepeatedScenario['exitCode'] = 0;
  if (out && !json) out(`${scenario.name}: ${count} repeats, one after another${reportDir ? ` (under ${reportDir})` : ''}`);
  for (let i = 1; i <= count; i++) {
    if (signal.aborted) {
      exitCode = 130;
      break;
    }
    const run = await runOneScenario(scenario, settings, { reportsDir: reportDir ? join(reportDir, String(i).padStart(width, '0')) : null, output: undefined, stepSummary: false });
    runs.push(run);
    const repeat: RepeatRun = {
      index: i,
      outcome: run.outcome,
      error: run.error,
      reportDir: run.reportDir,
      verdicts: run.verdicts.map((v) => ({ status: v.status, measured: v.measured })),
      achievedRate: run.result.load.achievedRate,
    };
    repeats.push(repeat);
    exitCode = worstExitCode(exitCode, exitCodeOf(run.outcome, options.strict));
    if (out) out(json ? JSON.stringify({ type: 'repeat-run', scenario: scenario.name, repeat: i, of: count, ...repeatLine(run) }) : `  ${String(i).padStart(width)}/${count} ${runLine(run)}`);
    if (run.outcome === 'interrupted') break;
  }
  const summary = summariseRepeats({ name: scenario.name, file: scenario.source.file, expect: scenario.expect }, count, repeats, exitCode);
  const runFolder = (dir: string) => (reportDir ? relative(reportDir, dir) : dir);
  const markdown = renderRepeatMarkdown(summary, { runFolder });
  if (reportDir) await writeFiles(reportDir, [['summary.md', markdown], ['repeat.json', JSON.stringify(summary, null, 2) + '\n']]);
  if (options.stepSummary) await appendStepSummary(markdown, process.env);
  if (out) out(json ? JSON.stringify({ type: 'repeat', summary, reportDir }) : `\n${renderRepeatPlain(summary, { color, reportDir })}`);
  return { runs, summary, reportDir, exitCode };
}

/** One repeat for a JSON line: its outcome, folder and each verdict, without the whole result. */
function repeatLine(run: ScenarioRun) {
  return {
    outcome: run.outcome,
    error: run.error,
    reportDir: run.reportDir,
    verdicts: run.verdicts.map((v) => ({ expectation: v.expectation.text, status: v.status, measured: v.measured })),
  };
}

/** One repeat as a line: "✔ passed (6 held)", "✘ failed: p99(client) < 250ms". */
function runLine(run: ScenarioRun): string {
  if (run.error) return `✘ ${run.outcome}: ${run.error.split('\n')[0]}`;
  const notHeld = run.verdicts.filter((v) => v.status !== 'held');
  if (notHeld.length === 0) return `✔ ${run.outcome} (${run.verdicts.length} held)`;
  return `✘ ${run.outcome}: ${notHeld.map((v) => `${v.expectation.text} ${v.status.replace(/_/g, ' ')}`).join('; ')}`;
}
