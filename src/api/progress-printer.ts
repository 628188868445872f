import { describeMeshEvent, type Describer } from '../contract/describe-mesh-event.ts';
import { SETUP_EVENT_TYPES } from '../contract/mesh-event.ts';
import type { RunEvent } from '../events.ts';
import { loadLine } from '../report/load-honesty-text.ts';
import { healthLines, healthRows } from '../contract/describe-run-health.ts';

/**
Plain progress lines for a non-interactive run (CI, a pipe, or until the live view exists): one line
per thing that happened, no cursor tricks, colour only when asked.
*/
export function createProgressPrinter(write: (line: string) => void, options: { color: boolean; verbose?: boolean; describe?: Describer }) {
  const describe = options.describe ?? describeMeshEvent;
  const dim = (s: string) => (options.color ? `\x1b[2m${s}\x1b[22m` : s);
  let started = 0;
  return (e: RunEvent): void => {
    // A sidecar's event at the time it saw it, which may be before lines already printed.
    const at = e.type === 'sidecar-event' ? e.event.at : e.at;
    const t = started ? dim(`[${((at - started) / 1000).toFixed(1).padStart(5)}s] `) : '';
    switch (e.type) {
      case 'run-starting':
        started = e.at;
        write(`▶ ${e.scenario} (run ${e.runId})`);
        break;
      case 'instance-up':
        if (options.verbose) write(`${t}up   ${e.instance} ${dim(JSON.stringify(e.ports))}`);
        break;
      case 'topology-ready':
        write(`${t}topology ready: ${e.instances} instances with sidecars in ${e.ms}ms`);
        break;
      case 'load-started':
        write(
          e.rate === null
            ? `${t}load: closed loop, ${e.connections} requests in flight, for ${(e.durationMs / 1000).toFixed(1)}s`
            : `${t}load: ${e.rate}/s${e.arrivals === 'poisson' ? ' (Poisson arrivals)' : ''}, at most ${e.connections} in flight, for ${(e.durationMs / 1000).toFixed(1)}s`,
        );
        break;
      case 'tick':
        write(
          `${t}second ${String(e.second + 1).padStart(3)}: ${e.rps} req, ${e.errors} errors, p99 ${Number.isFinite(e.p99) ? e.p99.toFixed(1) + 'ms' : '-'}` +
            dim(` · sent ${e.sent}${e.dropped ? `, ${e.dropped} dropped` : ''}, late ≤${e.latenessMaxMs.toFixed(1)}ms`),
        );
        break;
      case 'load-finished':
        write(`${t}load finished: ${e.requests} requests, ${e.errors} without a response`);
        write(`${t}load delivered: ${loadLine(e.honesty)}`);
        break;
      case 'instance-down':
        write(`${t}down ${e.instance}: ${e.reason}`);
        break;
      case 'sidecar-event':
        if (options.verbose || !SETUP_EVENT_TYPES.has(e.event.type)) write(`${t}${e.event.instance}: ${describe(e.event)}`);
        break;
      case 'teardown':
        write(`${t}teardown: ${e.stopped} processes stopped`);
        break;
      case 'fault-started':
        write(`${t}fault ${e.fault} started: ${e.detail}`);
        break;
      case 'fault-ended':
        write(`${t}fault ${e.fault} ended: ${e.detail}`);
        break;
      case 'instance-state':
        if (options.verbose) write(`${t}${e.instance} is ${e.state}: ${e.reason}`);
        break;
      case 'harness-health': {
        for (const line of healthLines(healthRows(e.health, e.breaches))) write(`${t}${line.text}`);
        break;
      }
      case 'expectation-settled':
      case 'run-finished':
        break;
    }
  };
}
