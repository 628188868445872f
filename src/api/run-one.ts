import { appendStepSummary } from './step-summary.ts';
import { startRunOutput } from './run-output.ts';
import { runScenario, type RunOutcome } from '../engine/run-scenario.ts';
import type { RunEvent } from '../events.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { checkLocalServices, LocalRuntime } from '../runtime/local/local-runtime.ts';
import { podHostingSuggestion } from '../runtime/local/pod-hosting.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Scenario } from '../scenario/scenario.ts';
import type { RunOptions, RunPrintOptions, ScenarioRun } from './run.ts';

/** What every scenario of one `run` call shares. */
export interface RunSettings {
  options: RunOptions;
  /** Aborted by the caller's signal, or by the live view (q). */
  signal: AbortSignal;
  /** Called when the live view's q asks to stop. */
  onQuit: () => void;
  tracing: { maxTracesPerSecond: number } | false | undefined;
}

/**
Runs one scenario (already compressed to its duration) with its output, as `run` does for each:
the report folder under `reportsDir`, the output printed where `output` says (nothing when absent),
the Markdown summary appended to $GITHUB_STEP_SUMMARY when `stepSummary`.
*/
export async function runOneScenario(
  scenario: Scenario,
  settings: RunSettings,
  where: { reportsDir: string | null; output: RunPrintOptions | undefined; stepSummary: boolean },
): Promise<ScenarioRun> {
  const { options, signal } = settings;
  const runtime = await runtimeFor(options.runtime ?? scenario.runtime ?? 'local', scenario, options.onNotice, options.hostPods);
  const print = where.output;
  const output = print
    ? await startRunOutput(print.format ?? 'plain', scenario, {
        out: (line) => print.stream.write(line + '\n'),
        color: print.color ?? false,
        verbose: print.verbose,
        onQuit: settings.onQuit,
        signal,
        ...(print.format === 'live' ? { stdout: print.stream as NodeJS.WriteStream } : {}),
      })
    : null;
  const onEvent = (e: RunEvent) => {
    output?.onEvent(e);
    options.onEvent?.(e, scenario);
  };
  let outcome: RunOutcome | null = null;
  try {
    outcome = await runScenario(scenario, { runtime, reportsDir: where.reportsDir, onEvent, signal, liveStats: output?.liveStats ?? false, tracing: settings.tracing });
  } finally {
    await output?.finish(outcome);
  }
  if (where.stepSummary) await appendStepSummary(renderMarkdown(outcome.result), process.env);
  const { result } = outcome;
  // A run that broke (a process would not start, the load could not run) is not a verdict on the scenario.
  // Inconclusive only when nothing failed: a failure is a definite observation of the mesh.
  const failedOne = result.verdicts.some((v) => v.status === 'failed' || v.status === 'no_data');
  const verdict: ScenarioRun['outcome'] = outcome.interrupted ? 'interrupted' : result.error ? 'error' : result.passed ? 'passed' : failedOne ? 'failed' : 'inconclusive';
  return { file: scenario.source.file, name: scenario.name, outcome: verdict, error: result.error, loadFinished: outcome.loadFinished, reportDir: outcome.reportDir, verdicts: result.verdicts, result };
}

/**
The runtime a run uses. Docker's is loaded only when asked for (a local run does not pay for
testcontainers), and its engine is checked before anything starts: without one, a
MESHPROOF_RUNTIME_UNAVAILABLE error says what to do.
*/
async function runtimeFor(name: 'local' | 'docker', scenario: Scenario, onNotice?: (message: string) => void, hostPods?: boolean): Promise<Runtime> {
  if (name === 'local') {
    checkLocalServices(scenario.services, `${scenario.source.file}: `);
    const suggestion = podHostingSuggestion(scenario, hostPods);
    if (suggestion) onNotice?.(suggestion);
    return new LocalRuntime({ hostPods });
  }
  const { DockerRuntime, refuseCommands } = await import('../runtime/docker/docker-runtime.ts');
  refuseCommands(scenario.services, `${scenario.source.file}: `);
  const { checkEngine, dockerClient } = await import('../runtime/docker/docker-engine.ts');
  const docker = dockerClient();
  await checkEngine(docker);
  // A cold build takes about a minute: say what is happening rather than sit silent.
  let told = false;
  const onBuildOutput = () => {
    if (!told) onNotice?.("building the Docker runtime image from this machine's Node (once per change of meshproof; about a minute the first time)…");
    told = true;
  };
  return new DockerRuntime({ docker, image: { onBuildOutput } });
}
