import { join, relative, resolve } from 'node:path';
import { MeshproofError } from '../errors.ts';
import { planProve, type DeclaredPolicy, type ProveVariant } from '../plan/plan-prove.ts';
import { rescaleScenario } from '../plan/plan-scenario.ts';
import { renderProveHtml } from '../report/prove/prove-html.ts';
import { renderProveMarkdown } from '../report/prove/prove-markdown.ts';
import { proveMatrix, type ProveMatrix, type VariantRun } from '../report/prove/prove-matrix.ts';
import { renderProvePlain } from '../report/prove/prove-plain.ts';
import { checkReportsDir, reportDirName } from '../report/write-reports.ts';
import { writeFiles } from '../report/write-files.ts';
import { rescaleProblems } from '../scenario/run-size.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { exitCodeOf, worstExitCode } from './exit-code.ts';
import { runOneScenario, type RunSettings } from './run-one.ts';
import { DEFAULT_REPORTS_DIR, durationOf, tracingOf, type RunOptions, type ScenarioRun } from './run.ts';
import { appendStepSummary } from './step-summary.ts';
import { validate } from './validate.ts';

/**
What `prove` takes: `run`'s options for one scenario. `output` prints a line per run and the matrix
(`plain`; `live` prints the same: the live view is not used) or JSON lines (`json`);
`stepSummary` appends the proof's summary.md.
*/
export type ProveOptions = Pick<RunOptions, 'cwd' | 'reports' | 'duration' | 'runtime' | 'hostPods' | 'traces' | 'signal' | 'onEvent' | 'onNotice' | 'output' | 'stepSummary' | 'strict'>;

export interface ProveSummary {
  file: string;
  name: string;
  /** The policies the scenario declares, each taken out in one run. */
  policies: DeclaredPolicy[];
  /** Policy × expectation: holds / fails / inconclusive, and what that says (prove-matrix.ts). */
  matrix: ProveMatrix;
  /**
  0: the baseline held every expectation and every run decided · 1: the baseline failed an
  expectation · 2: a run could not happen · 3: some verdict was inconclusive · 130: interrupted.
  The worst of them (exit-code.ts). That a policy is untested or an expectation tests nothing is a
  finding, not a failure: read it from `matrix`.
  */
  exitCode: 0 | 1 | 2 | 3 | 130;
  /** The prove folder (summary.md, report.html, prove.json, each run's folder), or null without reports. */
  reportDir: string | null;
  /** Every run made, baseline first, in the plan's order. */
  runs: ScenarioRun[];
}

/**
`meshproof prove`: runs the scenario as declared, then once without each policy it declares (the
profile's default in its place), then without all of them, one run after another — runs side by
side would share the cores and change each other's verdicts — and returns the matrix policy ×
expectation. Throws before anything starts what `run` throws (an invalid file, a bad duration, a
reports folder that cannot be written).
*/
export async function prove(file: string, options: ProveOptions = {}): Promise<ProveSummary> {
  const checked = await validate(file, { cwd: options.cwd });
  if (!checked.valid) throw checked.problems[0].error;
  return proveScenario(checked.scenarios[0].scenario, options);
}

/** `prove` for a scenario already loaded (the CLI validates first, to print every problem). */
export async function proveScenario(loaded: Scenario, options: ProveOptions = {}): Promise<ProveSummary> {
  const durationMs = durationOf(options.duration);
  const tooLong = durationMs ? rescaleProblems([loaded], durationMs) : [];
  if (tooLong.length > 0) throw new MeshproofError('MESHPROOF_USAGE', tooLong.map((p) => `duration: ${p}`).join('\n'));
  const scenario = durationMs ? rescaleScenario(loaded, durationMs) : loaded;
  const plan = planProve(scenario);
  const cwd = options.cwd ?? process.cwd();
  const reportsDir = options.reports === null ? null : resolve(cwd, options.reports ?? DEFAULT_REPORTS_DIR);
  const reportDir = reportsDir ? join(reportsDir, reportDirName({ startedAt: new Date().toISOString(), scenario: { name: `${scenario.name}--prove` } })) : null;
  if (reportDir) await checkReportsDir(reportDir, scenario, new Date());

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const settings: RunSettings = { options, signal: controller.signal, onQuit: () => controller.abort(), tracing: tracingOf(options.traces) };
  const print = options.output;
  const out = print ? (line: string) => print.stream.write(line + '\n') : null;
  const json = print?.format === 'json';
  const color = print?.color ?? false;
  if (out && !json) {
    out(`prove ${scenario.name}: ${plan.policies.length === 0 ? 'it declares no policy, so only the baseline runs' : `${plan.policies.length} ${plan.policies.length === 1 ? 'policy' : 'policies'}, ${plan.variants.length} runs one after another`}`);
    for (const p of plan.policies) out(`  ${p.key}: ${p.declared} (without it: ${p.instead})`);
  }
  const runs: ScenarioRun[] = [];
  const variantRuns: VariantRun[] = [];
  let exitCode: ProveSummary['exitCode'] = 0;
  try {
    for (const variant of plan.variants) {
      if (controller.signal.aborted) {
        exitCode = 130;
        break;
      }
      const run = await runOneScenario(variant.scenario, settings, { reportsDir: reportDir, output: undefined, stepSummary: false });
      runs.push(run);
      const statuses = run.verdicts.map((v) => v.status as string);
      variantRuns.push({ id: variant.id, outcome: run.outcome, error: run.error, reportDir: run.reportDir, statuses });
      exitCode = worstExitCode(exitCode, variantExitCode(variant, run, statuses));
      if (out) out(json ? JSON.stringify({ type: 'prove-run', scenario: scenario.name, variant: variant.id, removed: variant.removed, outcome: run.outcome, error: run.error, reportDir: run.reportDir, verdicts: run.verdicts.map((v) => ({ expectation: v.expectation.text, status: v.status, measured: v.measured })) }) : `  ${label(variant)}: ${runLine(run)}`);
      if (run.outcome === 'interrupted') {
        exitCode = 130;
        break;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }

  // --strict: an incomplete proof (an inconclusive verdict) fails, as a run's does.
  if (options.strict && exitCode === 3) exitCode = 1;
  const matrix = proveMatrix({ name: scenario.name, file: scenario.source.file, expect: scenario.expect }, plan, variantRuns);
  const runFolder = (dir: string) => (reportDir ? relative(reportDir, dir) : dir);
  const markdown = renderProveMarkdown(matrix, { exitCode, runFolder });
  const summary: ProveSummary = { file: scenario.source.file, name: scenario.name, policies: plan.policies, matrix, exitCode, reportDir, runs };
  if (reportDir) {
    const { runs: _, ...json } = summary;
    await writeFiles(reportDir, [
      ['summary.md', markdown],
      ['report.html', renderProveHtml(matrix, { exitCode, runFolder })],
      ['prove.json', JSON.stringify(json, null, 2) + '\n'],
    ]);
  }
  if (options.stepSummary) await appendStepSummary(markdown, process.env);
  if (out) out(json ? JSON.stringify({ type: 'prove', matrix, policies: plan.policies, exitCode, reportDir }) : `\n${renderProvePlain(matrix, { color, reportDir, exitCode })}`);
  return summary;
}

/**
What a run adds to the proof's exit code. The baseline's verdicts are the scenario's own: its exit
code. A variant is meant to fail expectations, so only a run that could not happen (2), an
interrupt (130) or an inconclusive verdict (3: the proof is then incomplete) count.
*/
function variantExitCode(variant: ProveVariant, run: ScenarioRun, statuses: string[]): ProveSummary['exitCode'] {
  if (variant.removed.length === 0) return exitCodeOf(run.outcome);
  if (run.outcome === 'error' || run.outcome === 'interrupted') return exitCodeOf(run.outcome);
  return statuses.some((s) => s !== 'held' && s !== 'failed' && s !== 'no_data') ? 3 : 0;
}

function label(v: ProveVariant): string {
  return v.removed.length === 0 ? 'baseline' : v.removed.length === 1 ? `without ${v.removed[0]}` : `without every policy (${v.removed.length})`;
}

/** A run as a line: "✔ 6 held", "✘ p99(client) < 250ms failed". */
function runLine(run: ScenarioRun): string {
  if (run.error) return `✘ ${run.outcome}: ${run.error.split('\n')[0]}`;
  const notHeld = run.verdicts.filter((v) => v.status !== 'held');
  if (notHeld.length === 0) return `✔ all ${run.verdicts.length} held`;
  return `${run.verdicts.length - notHeld.length} held; ${notHeld.map((v) => `${v.expectation.text} ${v.status.replace(/_/g, ' ')}`).join('; ')}`;
}
