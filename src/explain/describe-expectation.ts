import { formatDuration, formatValue } from '../util/format.ts';
import type { Anchor, AnyExpectation, Expectation, MetricName, Scenario, Scope } from '../scenario/scenario.ts';
import { isMissing, noFacts, resolveAnchor } from '../verdict/fault-times.ts';
import { callersOf, instancesOfVersion } from '../verdict/scope.ts';
import { resolveWindow } from '../verdict/window.ts';
import { instanceNames } from '../scenario/scenario.ts';
import { serviceNamed } from '../scenario/scenario-index.ts';
import { andList, comparatorText } from './words.ts';

/**
What an expectation checks, in words, with its window resolved to times of the run as planned (a
run places fault windows on the times each fault really took effect, which lag the plan a little).
Adds a warning when the scenario makes the sentence unable to hold (an ejection expected where
outlier detection is off).
*/
export function describeExpectation(e: AnyExpectation, scenario: Scenario): string {
  switch (e.kind) {
    case 'ejected': {
      const callers = callersOf(e.service, scenario).filter((c) => c !== 'client');
      const by = callers.length ? ` (${callers.join(', ')})` : '';
      const od = scenario.mesh[e.service]?.outlierDetection;
      const warn = od ? '' : ` Note: outlier detection is off for ${e.service}, so nothing will eject it.`;
      return `some caller's sidecar${by} ejects ${e.instance} ${deadline(e.withinMs, e.after, scenario)}.${warn}`;
    }
    case 'recovered': {
      const c = e.condition;
      const cond = `${subject(c.metric, e.scope, scenario)} ${comparatorText(c.op)} ${formatValue(c.value, c.unit)}`;
      return `in every second from some moment ${deadline(e.withinMs, e.after, scenario)} to the end of the run, ${cond}.`;
    }
    case 'state': {
      const at = anchorText(e.at, scenario);
      return `${e.instance} ${e.op === '==' ? 'is' : 'is not'} ${stateWords(e.state)} at ${at}.`;
    }
    default:
      return measurement(e, scenario);
  }
}

function measurement(e: Expectation, scenario: Scenario): string {
  const w = resolveWindow(e.window, scenario, noFacts(0));
  const span = `${formatDuration(w.fromMs)}–${formatDuration(w.toMs)}`;
  let window: string;
  switch (e.window.kind) {
    case 'run':
      window = `over the whole run (${span})`;
      break;
    case 'between':
      window = `from ${formatDuration(e.window.fromMs)} to ${formatDuration(e.window.toMs)}`;
      break;
    case 'during':
      window = w.missing ? `during ${e.window.fault}, which leaves no time: ${w.missing}` : `while ${e.window.fault} holds${e.window.fromOffsetMs ? `, from ${formatDuration(e.window.fromOffsetMs)} after it starts` : ''} (${span} as planned)`;
      break;
    case 'before':
      window = `before ${e.window.fault} starts (${span})`;
      break;
    case 'after':
      window = w.missing
        ? `after ${e.window.fault}.${e.window.edge}, which never comes: ${w.missing}`
        : `after ${e.window.fault} ${e.window.edge === 'start' ? 'starts' : 'ends'}${e.window.offsetMs ? ` + ${formatDuration(e.window.offsetMs)}` : ''} (${span} as planned)`;
      break;
  }
  return `${subject(e.metric, e.scope, scenario)} ${comparatorText(e.op)} ${formatValue(e.value, e.unit)} ${window}.`;
}

/** "within 2s after s1-errors starts (5s–7s as planned)". */
function deadline(withinMs: number, after: Anchor, scenario: Scenario): string {
  const a = resolveAnchor(after, scenario, noFacts(0));
  const span = isMissing(a) ? a.missing : `${formatDuration(a.ms)}–${formatDuration(a.ms + withinMs)}${after.kind === 'fault' ? ' as planned' : ''}`;
  return `at most ${formatDuration(withinMs)} after ${anchorWords(after)} (${span})`;
}

function anchorWords(a: Anchor): string {
  if (a.kind === 'time') return formatDuration(a.ms);
  return `${a.fault} ${a.edge === 'start' ? 'starts' : 'ends'}${a.offsetMs ? ` + ${formatDuration(a.offsetMs)}` : ''}`;
}

/** "15s", or "s1-errors.start + 3s (8s as planned)". */
function anchorText(a: Anchor, scenario: Scenario): string {
  if (a.kind === 'time') return formatDuration(a.ms);
  const r = resolveAnchor(a, scenario, noFacts(0));
  const offset = a.offsetMs ? ` + ${formatDuration(a.offsetMs)}` : '';
  return `${a.fault}.${a.edge}${offset} (${isMissing(r) ? r.missing : `${formatDuration(r.ms)} as planned`})`;
}

function stateWords(s: string): string {
  switch (s) {
    case 'ejected':
      return "ejected (by some caller's outlier detection)";
    case 'unhealthy':
      return "unhealthy (failing some caller's health checks)";
    case 'killed':
      return 'killed (by a process fault)';
    case 'paused':
      return 'paused (by a process fault)';
    default:
      return 'healthy (running, and neither ejected nor failing health checks)';
  }
}

/** "the 99th percentile latency of the load generator's requests is" */
function subject(metric: MetricName, scope: Scope, scenario: Scenario): string {
  const reqs = requestsWords(scope, scenario, metric);
  switch (metric) {
    case 'success_rate':
      return `the share of ${reqs} answered below 500 is`;
    case 'error_rate':
      return `the share of ${reqs} answered 5xx or not at all is`;
    case 'rps':
      return `the rate of ${reqs} (completed per second) is`;
    case 'p50':
      return `the median latency of ${reqs} is`;
    case 'p90':
      return `the 90th percentile latency of ${reqs} is`;
    case 'p99':
      return `the 99th percentile latency of ${reqs} is`;
    case 'max':
      return `the slowest of ${reqs} took`;
    case 'requests':
      return `the number of ${reqs} is`;
    case 'retries':
      return `the number of retries of ${reqs} is`;
    case 'retry_ratio':
      return `retries per request on ${reqs} are`;
    case 'overflow':
      return `the number of ${reqs} refused by a circuit breaker or bulkhead (503 UO) is`;
    case 'rate_limited':
      return `the number of ${reqs} refused by a rate limit (429 RL) is`;
    case 'admitted_rps':
      return `the rate of ${reqs} let through the rate limits (not answered 429, per second) is`;
    case 'deadline_exceeded':
      return `the number of ${reqs} ended because their propagated deadline passed (504 UT,DE) is`;
    case 'wasted':
      return `the number of requests ${workWho(scope)} worked on after a caller up the chain had given up is`;
    case 'wasted_time':
      return `the time ${workWho(scope)} spent on requests after a caller up the chain had given up is`;
    case 'saved':
      return `the number of requests ${workWho(scope)} stopped or skipped because nobody waited any more is`;
    case 'no_route':
      return `the number of ${reqs} no route took (404 NR) is`;
    case 'share':
      if (scope.kind !== 'version') return 'the share is';
      return `the share of the requests to ${scope.service} that reached ${scope.version} (${instancesOfVersion(scope.service, scope.version, scenario).join(', ') || 'no instance'}) is`;
    case 'attempts':
      if (scope.kind !== 'edge') return 'the attempts per request are';
      return `in every traced request, the tries ${scope.from === 'client' ? 'the load generator' : scope.from} sent to ${scope.toInstance ?? scope.to} (the first and each retry, counted from the run's traces) are`;
    case 'denied':
      return `the number of ${reqs} refused by an authorization policy (403 RBAC: access denied) is`;
    case 'mtls':
      return `the share of ${reqs} carried over mutual TLS is`;
    case 'handshake_errors':
      return scope.kind === 'edge'
        ? `the number of mutual TLS handshakes ${scope.from === 'client' ? "the load generator's sidecar" : `${scope.from}'s sidecars`} failed toward ${scope.toInstance ?? scope.to} is`
        : `the number of mutual TLS handshakes that failed at the inbound of ${scope.kind === 'instance' ? scope.instance : scope.kind === 'service' || scope.kind === 'version' ? scope.service : 'the scope'} (plaintext refused by STRICT included) is`;
  }
}

/** Whose work a work metric counts: "store's built-in service", "store-1". */
function workWho(scope: Scope): string {
  switch (scope.kind) {
    case 'instance':
      return `${scope.instance}'s built-in service`;
    case 'version':
      return `the built-in service of ${scope.service} ${scope.version}`;
    case 'service':
      return `${scope.service}'s built-in service (all its instances)`;
    default:
      return 'the built-in service';
  }
}

/** The requests a scope counts: "the load generator's requests", "front's calls to store (…)". */
function requestsWords(scope: Scope, scenario: Scenario, metric: MetricName): string {
  switch (scope.kind) {
    case 'client':
      return "the load generator's requests";
    case 'service': {
      // A breaker refuses at the caller's sidecar, before any instance sees the request.
      if (metric === 'overflow') return `the calls to ${scope.service} (from ${andList(callersOf(scope.service, scenario))})`;
      const spec = serviceNamed(scenario, scope.service);
      return `the requests ${scope.service} received (on ${spec ? instanceNames(spec).join(', ') : scope.service})`;
    }
    case 'instance':
      return `the requests ${scope.instance} received`;
    case 'edge': {
      const from = scope.from === 'client' ? 'the load generator' : scope.from;
      if (scope.toInstance) return `the tries ${from} sent to ${scope.toInstance}`;
      return `${from}'s calls to ${scope.to} (as its sidecar saw them, after retries)`;
    }
    case 'version':
      return `the requests ${scope.service} ${scope.version} (${instancesOfVersion(scope.service, scope.version, scenario).join(', ')}) received`;
  }
}
