import { describeMeshEvent } from '../contract/describe-mesh-event.ts';
import type { RunEvent, RunEventListener } from '../events.ts';
import type { RunOutcome } from '../engine/run-scenario.ts';
import { renderPlainSummary } from '../report/plain.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { createProgressPrinter } from './progress-printer.ts';

/** How a run is shown while it happens (`meshproof run` picks one with cli/output-mode.ts). */
export type OutputMode = 'live' | 'plain' | 'json';

export interface RunOutputOptions {
  /** Writes one line to stdout. */
  out: (line: string) => void;
  /** ANSI colours in plain lines and the summary (a terminal without NO_COLOR). */
  color: boolean;
  /** Plain mode: every instance and sidecar event too. @default false */
  verbose?: boolean;
  /** Live mode: the person pressed `q` or Ctrl-C; the caller aborts the run (which cleans up). */
  onQuit: () => void;
  /** Live mode: the run's abort signal; the final frame stops lingering when it fires. */
  signal: AbortSignal;
  /** Live mode: the terminal. @default process.stdout / process.stdin */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /**
  Live mode: how long the final frame (verdicts settled, teardown done) stays on screen before the
  view gives the terminal back and the summary is printed. Not when the run was interrupted.
  @default 1500
  */
  lingerMs?: number;
}

/** What one scenario's run shows: where the engine's events go, and the final words. */
export interface RunOutput {
  onEvent: RunEventListener;
  /** Whether the engine should emit `live-stats` (only the live view draws them). */
  liveStats: boolean;
  /**
  After the run (or when it threw: `outcome` null): closes the live view, giving the terminal back,
  then prints the summary (the verdicts and the report folder), or the JSON result line.
  */
  finish(outcome: RunOutcome | null): Promise<void>;
}

/**
One scenario's output in the chosen mode. The live view (Ink, React) is loaded only in live mode, so
a run in CI does not pay for it.
*/
export async function startRunOutput(mode: OutputMode, scenario: Scenario, options: RunOutputOptions): Promise<RunOutput> {
  const { out, color } = options;
  if (mode === 'json') {
    return {
      // A mesh event carries the describer's words too, as the admin stream serves it: a person reads these lines as well.
      onEvent: (e: RunEvent) => out(JSON.stringify(e.type === 'sidecar-event' ? { ...e, event: { ...e.event, message: describeMeshEvent(e.event) } } : e)),
      liveStats: false,
      async finish(outcome) {
        if (outcome) out(JSON.stringify({ type: 'result', result: outcome.result, reportDir: outcome.reportDir }));
      },
    };
  }
  if (mode === 'plain') {
    return {
      onEvent: createProgressPrinter(out, { color, verbose: options.verbose }),
      liveStats: false,
      async finish(outcome) {
        if (outcome) out(renderPlainSummary(outcome.result, { color, reportDir: outcome.reportDir }));
      },
    };
  }
  const { startLiveView } = await import('../tui/live-view.ts');
  const view = startLiveView({
    scenario,
    stdout: options.stdout ?? process.stdout,
    stdin: options.stdin ?? process.stdin,
    onQuit: options.onQuit,
    color,
  });
  return {
    onEvent: (e) => view.onEvent(e),
    liveStats: true,
    async finish(outcome) {
      if (outcome && !outcome.interrupted) await linger(options.lingerMs ?? 1500, options.signal);
      await view.close();
      if (outcome) out(renderPlainSummary(outcome.result, { color, reportDir: outcome.reportDir }));
    },
  };
}

/** Waits `ms`, or less if `signal` fires (the person pressed q on the final frame). */
function linger(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
