import type { Expectation, Scenario } from '../scenario/scenario.ts';
import { type Timeline } from '../observe/timeline.ts';
import { seriesKey } from '../contract/series.ts';
import { instanceNames } from '../scenario/scenario.ts';
import { formatDuration, formatLatency, formatPair, formatWindow, plural } from '../util/format.ts';
import { aggregate, isLatencyMetric, noRoute, overflowed, rateLimited, type Aggregate } from './measure.ts';
import { podGroupNamed } from '../scenario/scenario-index.ts';
import { callersOf, instancesOfVersion, scopeLabel, seriesKeysFor } from './scope.ts';
import type { BucketRange, ResolvedWindow, WindowMs } from './window.ts';

/** What an explanation is written from. */
export interface ExplainInput {
  expectation: Expectation;
  status: 'held' | 'failed' | 'no_data';
  measured: number;
  /** The window evaluated (bucket-aligned, clamped to the timeline). */
  window: WindowMs;
  /** The window the expectation asked for, before clamping: named when nothing of it is in the timeline. */
  requested: ResolvedWindow;
  range: BucketRange;
  agg: Aggregate;
  /** For share: the whole service's requests. */
  whole?: Aggregate;
  scenario: Scenario;
  timeline: Timeline;
}

/**
One plain sentence:
`success_rate(client) was 99.58% (1195 of 1200 ok) over 0s–10s; needed >= 99.5%`,
`p99(front) was 312ms over 2s–8s; needed < 250ms (slowest 412ms; 37 responses were 504 UT)`,
`nothing was measured for p99(store-1): no request reached store-1 in 2s–8s (…); needed < 250ms`.
*/
export function explain(input: ExplainInput): string {
  const { expectation: exp, measured, agg } = input;
  const subject = `${exp.metric}(${scopeLabel(exp.scope)})`;
  const [m, t] = formatPair(measured, exp.value, exp.unit);
  const needed = `needed ${exp.op} ${t}`;
  if (input.status === 'no_data') return `nothing was measured for ${subject}: ${noDataReason(input)}; ${needed}`;
  const context = input.status === 'failed' ? failureContext(exp, agg) : '';
  const label = input.requested.label ? ` (${input.requested.label})` : '';
  return `${subject} was ${m}${detail(exp, agg, input.whole)} over ${formatWindow(input.window)}${label}; ${needed}${context}`;
}

/** The counts behind a derived value, right after it. */
function detail(exp: Expectation, agg: Aggregate, whole?: Aggregate): string {
  const errors = agg.requests - agg.ok;
  switch (exp.metric) {
    case 'share':
      return whole ? ` (${agg.requests} of ${plural(whole.requests, 'request')} to ${exp.scope.kind === 'version' ? exp.scope.service : '?'})` : '';
    case 'overflow': {
      const n = overflowed(agg);
      return n > 0 ? ` (answered 503 UO by a breaker or bulkhead; ${plural(agg.requests, 'request')} in all)` : '';
    }
    case 'no_route': {
      const n = noRoute(agg);
      return n > 0 ? ` (answered 404 NR: no route; ${plural(agg.requests, 'request')} in all)` : '';
    }
    case 'rate_limited': {
      const n = rateLimited(agg);
      return n > 0 ? ` (answered 429${agg.flags.RL ? ' RL' : ''}, of ${plural(agg.requests, 'request')})` : '';
    }
    case 'admitted_rps': {
      const limited = rateLimited(agg);
      return ` (${plural(agg.requests - limited, 'request')} let through, ${limited} refused 429)`;
    }
    case 'deadline_exceeded': {
      const n = agg.flags.DE ?? 0;
      return n > 0 ? ` (answered 504 UT,DE, of ${plural(agg.requests, 'request')})` : '';
    }
    case 'wasted':
      return agg.requests > 0 ? ` (${formatLatency(agg.latency.sum)} of work after the give-up, the longest ${formatLatency(agg.latency.max)})` : '';
    case 'wasted_time':
      return agg.requests > 0 ? ` (on ${plural(agg.requests, 'request')}, the longest ${formatLatency(agg.latency.max)})` : '';
    case 'saved':
      return agg.requests > 0 ? ` (${formatLatency(agg.latency.sum)} of processing not spent)` : '';
    case 'success_rate':
      return ` (${agg.ok} of ${agg.requests} ok)`;
    case 'mtls':
      return ` (${agg.mtls} of ${plural(agg.requests, 'request')} over mutual TLS)`;
    case 'denied':
      return agg.denied > 0 ? ` (answered 403 RBAC: access denied, of ${plural(agg.requests, 'request')})` : ` (of ${plural(agg.requests, 'request')})`;
    case 'handshake_errors':
      return ` (failed handshakes; ${plural(agg.requests, 'request')} in the window)`;
    case 'error_rate':
      return ` (${errors} of ${agg.requests} failed)`;
    case 'rps':
      return ` (${plural(agg.requests, 'request')})`;
    case 'retry_ratio':
      return ` (${plural(agg.retries, 'retry', 'retries')} for ${plural(agg.requests, 'request')})`;
    case 'p50':
    case 'p90':
    case 'p99':
    case 'max':
      // Requests that got no response have no latency; a percentile silently without them would flatter.
      return agg.latency.count < agg.requests ? ` (${agg.latency.count} of ${agg.requests} requests got a response)` : '';
    default:
      return '';
  }
}

/** On a failure, what a person looks at next: the slowest response and what the errors were. */
function failureContext(exp: Expectation, agg: Aggregate): string {
  const parts: string[] = [];
  if (isLatencyMetric(exp.metric) && exp.metric !== 'max' && agg.latency.count > 0) {
    parts.push(`slowest ${formatLatency(agg.latency.max)}`);
  }
  const errors = describeErrors(agg);
  if (errors) parts.push(errors);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/**
The failed responses in words: "37 responses were 504 UT" when one status and one flag account for
all of them, otherwise "37 responses were 504, 3 got no response; flags UT 37, UF 3". Null when
there were no failures (status >= 500 or no response).
*/
export function describeErrors(agg: Pick<Aggregate, 'status' | 'flags'>): string | null {
  const failed = Object.entries(agg.status)
    .filter(([k, n]) => n > 0 && (k === 'error' || Number(k) >= 500))
    .sort(byCountThenKey);
  if (failed.length === 0) return null;
  const flags = Object.entries(agg.flags)
    .filter(([, n]) => n > 0)
    .sort(byCountThenKey);
  const [status, count] = failed[0];
  if (failed.length === 1 && status !== 'error' && flags.length === 1 && flags[0][1] === count) {
    return `${plural(count, 'response')} ${count === 1 ? 'was' : 'were'} ${status} ${flags[0][0]}`;
  }
  const shown = failed.slice(0, 3).map(([k, n], i) => {
    const noun = i === 0 ? `${plural(n, k === 'error' ? 'request' : 'response')}` : String(n);
    return k === 'error' ? `${noun} got no response` : `${noun} ${n === 1 ? 'was' : 'were'} ${k}`;
  });
  if (failed.length > 3) shown.push(`${failed.slice(3).reduce((a, [, n]) => a + n, 0)} other`);
  const flagText = flags.length ? `; flags ${flags.slice(0, 4).map(([f, n]) => `${f} ${n}`).join(', ')}` : '';
  return shown.join(', ') + flagText;
}

function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || a[0].localeCompare(b[0]);
}

/** Why nothing was measured, with the most likely cause the timeline and scenario can tell. */
export function noDataReason(input: ExplainInput): string {
  const { expectation: exp, scenario, timeline, range, agg } = input;
  const scope = exp.scope;
  if (input.requested.missing) return `${input.requested.label ? `the window ${input.requested.label} could not be placed: ` : ''}${input.requested.missing}`;
  if (range.first === range.end) {
    const req = input.requested;
    if (req.toMs <= req.fromMs) return `the window ${formatWindow(req)} is empty`;
    if (range.tooShort) {
      const which = req.label ? `the window ${req.label} (${formatWindow(req)})` : `the window ${formatWindow(req)}`;
      return `${which} lasts ${formatDuration(req.toMs - req.fromMs)} and covers no second by at least half; results are kept per second, so it is too short to judge`;
    }
    return `the window ${formatWindow(req)} lies outside the run's timeline (0s–${formatDuration(timeline.seconds * 1000)})`;
  }
  const span = formatWindow(input.window);
  const label = scopeLabel(scope);
  if (agg.requests > 0) {
    // Requests but no latency: every one of them got no response (reset, refused, timed out at the client).
    return `all ${plural(agg.requests, 'request')} to ${label} in ${span} got no response, so there is no latency to measure`;
  }
  const count = (keys: string[]): number => aggregate(timeline, keys, range).requests;
  switch (scope.kind) {
    case 'client':
      return `the load generator completed no request in ${span}`;
    case 'service': {
      const spec = podGroupNamed(scenario, scope.service);
      if (!spec) return `${scope.service} is not a service of this scenario`;
      return `no request reached any instance of ${scope.service} in ${span}${uncalledHint(scope.service, scenario)}`;
    }
    case 'version': {
      const spec = podGroupNamed(scenario, scope.service);
      if (!spec) return `${scope.service} is not a service of this scenario`;
      const instances = instancesOfVersion(scope.service, scope.version, scenario);
      if (instances.length === 0) return `${scope.service} has no instance of version ${scope.version}`;
      if (exp.metric === 'share') return `no request reached any instance of ${scope.service} in ${span}${uncalledHint(scope.service, scenario)}`;
      const siblings = count(seriesKeysFor({ kind: 'service', service: scope.service }, scenario));
      const head = `no request reached ${scope.service} ${scope.version} (${instances.join(', ')}) in ${span}`;
      return siblings > 0 ? `${head} while ${scope.service} received ${siblings}` : `${head}${uncalledHint(scope.service, scenario)}`;
    }
    case 'instance': {
      const head = `no request reached ${scope.instance} in ${span}`;
      const spec = podGroupNamed(scenario, scope.service);
      if (!spec) return `${head} (${scope.service} is not a service of this scenario)`;
      if (!instanceNames(spec).includes(scope.instance)) {
        return `${head} (${scope.service} has no instance ${scope.instance})`;
      }
      const siblings = count(seriesKeysFor({ kind: 'service', service: scope.service }, scenario));
      if (siblings > 0) {
        return `${head} while the other instances of ${scope.service} received ${siblings} (likely ejected, down or unreachable)`;
      }
      return `${head}${uncalledHint(scope.service, scenario) || ` (no instance of ${scope.service} received any)`}`;
    }
    case 'edge': {
      if (scope.toInstance !== undefined) {
        const head = `${scope.from} sent no request to ${scope.toInstance} in ${span}`;
        const edge = count([seriesKey.edge(scope.from, scope.to)]);
        if (edge > 0) return `${head} while ${scope.from} -> ${scope.to} carried ${edge} (likely ejected, down or unreachable)`;
        return `${head}${edgeHint(scope.from, scope.to, scenario)}`;
      }
      const head = `${scope.from} made no calls to ${scope.to} in ${span}`;
      const hint = edgeHint(scope.from, scope.to, scenario);
      if (hint || scope.from === 'client') return head + hint;
      const inbound = count(seriesKeysFor({ kind: 'service', service: scope.from }, scenario));
      return inbound === 0 ? `${head} (${scope.from} itself received no requests)` : head;
    }
  }
}

function uncalledHint(service: string, scenario: Scenario): string {
  return callersOf(service, scenario).length === 0 ? ` (nothing in the scenario calls ${service})` : '';
}

function edgeHint(from: string, to: string, scenario: Scenario): string {
  if (from === 'client') {
    return scenario.load.target === to ? '' : ` (the load goes to ${scenario.load.target}, not ${to})`;
  }
  const caller = podGroupNamed(scenario, from);
  if (!caller) return ` (${from} is not a service of this scenario)`;
  if (!caller.calls.includes(to)) return ` (${from} does not call ${to})`;
  return '';
}
