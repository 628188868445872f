import { resolve } from 'node:path';
import { MeshproofError } from '../errors.ts';
import type { RunEvent } from '../events.ts';
import { rescaleScenario } from '../plan/plan-scenario.ts';
import type { RunResult } from '../report/run-result.ts';
import { parseDuration } from '../scenario/duration.ts';
import { rescaleProblems } from '../scenario/run-size.ts';
import type { Scenario } from '../scenario/scenario.ts';
import type { Verdict } from '../verdict/verdict.ts';
import { validate } from './validate.ts';
import { exitCodeOf, worstExitCode } from './exit-code.ts';
import { repeatScenario } from './repeat-scenario.ts';
import { runOneScenario, type RunSettings } from './run-one.ts';
import type { RepeatSummary } from '../report/repeat/repeat-summary.ts';

/** Where report folders go when nothing else is said: `reports/` of the folder meshproof runs in. */
export const DEFAULT_REPORTS_DIR = 'reports';

export interface RunOptions {
  /** Folder that relative scenario paths and `reports` resolve against. @default process.cwd() */
  cwd?: string;
  /** Folder under which each run writes its report folder (`<time>-<name>/`); null writes none. @default 'reports' */
  reports?: string | null;
  /** Compress each scenario's timeline to this length (`'4s'`, or ms): load, phases and windows scale; latencies, timeouts and policies do not. @default the scenario's own duration */
  duration?: string | number;
  /** Where instances run, for every scenario. @default each scenario's `runtime` key, else 'local' */
  runtime?: 'local' | 'docker';
  /**
  Pod hosting on the local runtime, for large topologies (docs/architecture.md, "Pod hosting"): the
  pods no process fault targets run many to a host process instead of two processes each.
  Ignored on Docker. @default false (HOST_PODS_DEFAULT)
  */
  hostPods?: boolean;
  /** Traces (docs/traces.md): false traces nothing; `maxTracesPerSecond` 0 traces every request. @default { maxTracesPerSecond: 500 } */
  traces?: false | { maxTracesPerSecond?: number };
  /** Aborting stops the scenario running now — what was measured is still decided, reported and torn down — and skips the rest (exit code 130). @default none */
  signal?: AbortSignal;
  /** Every engine event of every scenario, as it happens. */
  onEvent?: (event: RunEvent, scenario: Scenario) => void;
  /** Things a person should know that are not events, e.g. that a Docker image is being built (about a minute). @default dropped */
  onNotice?: (message: string) => void;
  /** Print progress and each scenario's summary, as the CLI does. @default nothing is printed */
  output?: RunPrintOptions;
  /**
  Inconclusive verdicts (the harness broke a promise a verdict depends on: a late fault, a starved
  event loop or machine, a load that fell behind) count as failed: exit code 1 instead of 3.
  @default false
  */
  strict?: boolean;
  /** Append each scenario's Markdown summary to the file named by $GITHUB_STEP_SUMMARY, when it is set (with `repeat`, the repeat summary instead). @default false (the CLI: true) */
  stepSummary?: boolean;
  /**
  Run each scenario this many times, one after another (never at once: runs side by side would
  share the cores and change each other's verdicts), and summarise how stable each verdict was and
  how far each measured value spread (`RunSummary.repeats`). Each repeat writes its run folder
  under the scenario's repeat folder (`<time>-<name>--repeat/01/…`), which also gets summary.md and
  repeat.json. With `output`, a line per repeat and the stability table are printed instead of each
  run's progress (the live view is not used). The exit code is the worst any repeat gave
  (docs/repeat-and-prove.md). At most 1000. @default 1
  */
  repeat?: number;
}

/** The most repeats one `run` may make of a scenario. */
export const MAX_REPEAT = 1000;

export interface RunPrintOptions {
  /** Where the lines go (a `Writable`, `process.stdout`, or anything with `write`). */
  stream: { write(chunk: string): unknown };
  /**
  `plain`: a line per event worth knowing and a summary per scenario (what `meshproof run` prints in
  CI); `json`: every event and each result as a JSON line; `live`: the terminal view (`stream` must
  be a terminal's WriteStream; q or Ctrl-C aborts the run).
  @default 'plain'
  */
  format?: 'plain' | 'json' | 'live';
  /** ANSI colours. @default false */
  color?: boolean;
  /** Plain lines for every instance and sidecar event too. @default false */
  verbose?: boolean;
}

/** One scenario's run. */
export interface ScenarioRun {
  file: string;
  name: string;
  /**
  `passed`: every expectation held · `failed`: one did not (or had no data) · `inconclusive`: none
  failed, but one could not be judged because the harness broke a promise it depends on (each such
  verdict's `inconclusive` says why, with the numbers; the result's `health` has the figures) ·
  `error`: the run could not complete (the verdicts cover what was measured before) · `interrupted`: aborted.
  */
  outcome: 'passed' | 'failed' | 'inconclusive' | 'error' | 'interrupted';
  /** Why the run could not complete, when `outcome` is `error`. */
  error: string | null;
  /**
  The load ran to its end. A run interrupted after that point (during the teardown, the verdicts or
  the reports) lost nothing that was measured: its verdicts are complete and stand.
  */
  loadFinished: boolean;
  /** The run's report folder (result.json, report.html, junit.xml, summary.md, traces.json), or null when `reports` was null. */
  reportDir: string | null;
  /** Each expectation with its verdict, the measured value and the evidence. */
  verdicts: Verdict[];
  /** Everything the run measured and decided: the content of result.json. */
  result: RunResult;
}

export interface RunSummary {
  /** True when every expectation of every scenario held. */
  passed: boolean;
  /**
  What `meshproof run` exits with: 0 every expectation held · 1 one failed (or, with `strict`, was
  inconclusive) · 2 a run could not complete · 3 none failed but one was inconclusive · 130
  interrupted. A failure anywhere wins over an inconclusive verdict elsewhere.
  */
  exitCode: 0 | 1 | 2 | 3 | 130;
  /** In the order given (with `repeat`, every repeat of a scenario in turn); after an interruption, the scenarios not run are missing. */
  runs: ScenarioRun[];
  /** With `repeat` above 1: per scenario, how stable each verdict was over its repeats and the spread of each measured value. */
  repeats?: RepeatSummary[];
}

/**
Runs scenario files one after the other, as `meshproof run` does, and returns every verdict and
report folder. Prints nothing unless `output` says where; never exits the process. A folder stands
for the scenario files directly in it.

Throws, before anything starts, a `MeshproofError` when a file is invalid or unreadable (a
`ScenarioInvalidError` with every issue when it is one file; `validate` lists them all separately),
when `duration` is not one or takes a scenario past its limits (`MESHPROOF_USAGE`), when the reports
folder cannot be written (`MESHPROOF_REPORT_FAILED`), or when the runtime cannot run here
(`MESHPROOF_RUNTIME_UNAVAILABLE`, e.g. no Docker engine).
*/
export async function run(files: string | readonly string[], options: RunOptions = {}): Promise<RunSummary> {
  const checked = await validate(files, { cwd: options.cwd });
  if (!checked.valid) {
    const { problems } = checked;
    if (problems.length === 1) throw problems[0].error;
    const code = problems.every((p) => p.code === problems[0].code) ? problems[0].code : 'MESHPROOF_SCENARIO_INVALID';
    throw new MeshproofError(code, problems.map((p) => p.message).join('\n'), { cause: new AggregateError(problems.map((p) => p.error)) });
  }
  return runScenarios(
    checked.scenarios.map((s) => s.scenario),
    options,
  );
}

/** `run` for scenarios already loaded (the CLI validates first, to print every problem of every file). */
export async function runScenarios(scenarios: readonly Scenario[], options: RunOptions = {}): Promise<RunSummary> {
  const cwd = options.cwd ?? process.cwd();
  const reportsDir = options.reports === null ? null : resolve(cwd, options.reports ?? DEFAULT_REPORTS_DIR);
  const durationMs = durationOf(options.duration);
  // The compressed or stretched scenarios must keep the limits the files keep, found before anything starts.
  const tooLong = durationMs ? rescaleProblems(scenarios, durationMs) : [];
  if (tooLong.length > 0) throw new MeshproofError('MESHPROOF_USAGE', tooLong.map((p) => `duration: ${p}`).join('\n'));
  const tracing = tracingOf(options.traces);
  // Aborted by the caller's signal, or by the live view (q).
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const runs: ScenarioRun[] = [];
  const repeats: RepeatSummary[] = [];
  let exitCode: RunSummary['exitCode'] = 0;
  const repeat = repeatCount(options.repeat);
  const settings: RunSettings = { options, signal: controller.signal, onQuit: () => controller.abort(), tracing };
  try {
    for (const loaded of scenarios) {
      // Aborted between two scenarios (or before the first): the rest are skipped.
      if (controller.signal.aborted) {
        exitCode = 130;
        break;
      }
      const scenario = durationMs ? rescaleScenario(loaded, durationMs) : loaded;
      if (repeat > 1) {
        const repeated = await repeatScenario(scenario, repeat, settings, reportsDir);
        runs.push(...repeated.runs);
        repeats.push(repeated.summary);
        exitCode = worstExitCode(exitCode, repeated.exitCode);
        if (exitCode === 130) break;
        continue;
      }
      const run = await runOneScenario(scenario, settings, { reportsDir, output: options.output, stepSummary: options.stepSummary ?? false });
      runs.push(run);
      exitCode = worstExitCode(exitCode, exitCodeOf(run.outcome, options.strict));
      if (run.outcome === 'interrupted') break;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { passed: exitCode === 0, exitCode, runs, ...(repeat > 1 ? { repeats } : {}) };
}

/** `repeat` as a count: 1 when absent; a whole number from 1 to MAX_REPEAT, else MESHPROOF_USAGE. */
function repeatCount(value: number | undefined): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value) || value < 1 || value > MAX_REPEAT) throw new MeshproofError('MESHPROOF_USAGE', `repeat: expected a whole number from 1 to ${MAX_REPEAT}, got ${value}`);
  return value;
}

/** The `traces` option as the engine takes it. */
export function tracingOf(traces: RunOptions['traces']): RunSettings['tracing'] {
  return traces === false ? false : traces?.maxTracesPerSecond !== undefined ? { maxTracesPerSecond: traces.maxTracesPerSecond } : undefined;
}

/** The `duration` option in ms (null when absent); MESHPROOF_USAGE when it is not a duration. */
export function durationOf(value: string | number | undefined): number | null {
  if (value === undefined) return null;
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new MeshproofError('MESHPROOF_USAGE', `duration: expected a positive number of ms, got ${value}`);
    return value;
  }
  try {
    return parseDuration(value);
  } catch (e) {
    throw new MeshproofError('MESHPROOF_USAGE', `duration: ${(e as Error).message}`, { cause: e });
  }
}
