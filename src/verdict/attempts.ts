import { formatWindow, plural } from '../util/format.ts';
import type { Expectation, Scenario } from '../scenario/scenario.ts';
import { compare } from './compare.ts';
import { resolveWindow } from './window.ts';
import type { RunFacts, Verdict } from './verdict.ts';

/**
`attempts(front -> store) <= 3 per request`: from the run's traces, the most attempt spans front's
sidecars sent to store within any one request (trace) whose root started in the window. No trace
with that edge, or tracing off, is `no_data`. The evidence names the trace that had the most.
*/
export function evaluateAttempts(e: Expectation, scenario: Scenario, facts: RunFacts): Verdict {
  const requested = resolveWindow(e.window, scenario, facts);
  const window = { fromMs: requested.fromMs, toMs: requested.toMs };
  const scope = e.scope;
  const edge = scope.kind === 'edge' ? scope : null;
  const needed = `needed ${e.op} ${e.value} per request`;
  const noData = (why: string): Verdict => ({ expectation: e, status: 'no_data', measured: NaN, window, evidence: {}, explanation: `${e.text}: no data — ${why}; ${needed}` });
  if (!edge) return noData('attempts are counted on an edge (caller -> callee)');
  if (!facts.traces) return noData('the run was not traced (tracing off)');
  if (requested.missing) return noData(requested.missing);
  const over = `${formatWindow(window)}${requested.label ? ` (${requested.label})` : ''}`;
  const r = facts.traces.attempts(edge.from, edge.to, facts.t0 + window.fromMs, facts.t0 + window.toMs, edge.toInstance);
  const target = edge.toInstance ?? edge.to;
  const lost = facts.traces.dropped + (facts.traces.sidecarDropped ?? 0);
  const caveat = lost > 0 ? `; ${plural(lost, 'span')} ${lost === 1 ? 'was' : 'were'} dropped, so some requests were judged on incomplete traces` : '';
  if (r.requests === 0) return { ...noData(`no traced request went ${edge.from} -> ${target} over ${over} (${plural(r.traces, 'trace')} in the window)`), evidence: { traces: r.traces } };
  const status: Verdict['status'] = compare(r.max, e.op, e.value) ? 'held' : 'failed';
  const worst = r.traceId ? `, in trace ${r.traceId}` : '';
  return {
    expectation: e,
    status,
    measured: r.max,
    window,
    evidence: { max: r.max, requests: r.requests, retried: r.retried, traces: r.traces },
    explanation:
      `attempts(${edge.from} -> ${target}) was at most ${plural(r.max, 'attempt')} in one request${worst} ` +
      `(${r.retried} of ${plural(r.requests, 'traced request')} on the edge retried) over ${over}; ${needed}${caveat}`,
  };
}
