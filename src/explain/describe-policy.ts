import { formatDuration, formatPercent, plural } from '../util/format.ts';
import { PROFILES } from '../contract/defaults.ts';
import { instanceNames, instanceSpec, type ManifestSource, type Scenario } from '../scenario/scenario.ts';
import { type ConnectionPool, type DestinationPolicy } from '../contract/mesh-policy.ts';
import { httpFaultText } from '../contract/describe-mesh-event.ts';
import { podGroupNamed } from '../scenario/scenario-index.ts';
import { instancesOfVersion } from '../verdict/scope.ts';
import { policyCallers } from './describe-edges.ts';
import { andList, retryOnText, sidecarsOf } from './words.ts';

/**
What the callers' sidecars do toward one destination, one sentence per policy, with the effective
values (the profile's defaults filled in). A value equal to the profile's default says so, so a
reader sees which numbers came from Envoy, Istio or Linkerd rather than from the scenario.
The first line names the destination and its callers; the rest are its policies.
*/
export function describePolicy(destination: string, scenario: Scenario): string[] {
  const p = scenario.mesh[destination];
  const callers = policyCallers(destination, scenario);
  const spec = podGroupNamed(scenario, destination) ?? (scenario.externals ?? []).find((e) => e.name === destination);
  const instances = spec ? instanceNames(spec) : [];
  if ((scenario.externals ?? []).some((e) => e.name === destination && !e.registered)) return [`${destination}: not registered, so no policy of the mesh applies to calls to it.`];
  if (callers.length === 0) return [`${destination}: nothing calls it, so its policy is never used.`];
  const profile = scenario.profile ?? 'envoy';
  const d = PROFILES[profile];
  const byDefault = ` (${profile}'s default)`;
  const who = sidecarsOf(callers, (scenario.gateways ?? []).map((g) => g.name));
  const lines: string[] = [`${destination}, as called by ${andList(callers.map((c) => (c === 'client' ? 'the load generator' : c)))}:`];

  // Timeout and retries, in one sentence: they work together.
  const timeoutNote = p.timeoutMs === d.timeoutMs ? byDefault : '';
  const timeout = p.timeoutMs === null ? `no limit on the whole request${timeoutNote}` : `the whole request at ${formatDuration(p.timeoutMs)}${timeoutNote}, then 504 UT`;
  const r = p.retries;
  const retriesNote = sameJson(p.retries, d.retries) ? byDefault : '';
  if (!r || r.attempts === 0) {
    lines.push(`Timeout and retries: ${who} does not retry${retriesNote}; ${timeout}.`);
  } else {
    const perTry = r.perTryTimeoutMs === null ? 'no limit per try' : `each try capped at ${formatDuration(r.perTryTimeoutMs)}`;
    lines.push(`Timeout and retries: ${who} retries ${destination} up to ${plural(r.attempts, 'time')} on ${retryOnText(r.retryOn, r.retriableStatusCodes)}${retriesNote}, ${perTry}, ${timeout}.`);
    lines.push(`Back-off: ${formatDuration(r.backoff.baseMs)}–${formatDuration(r.backoff.maxMs)} with full jitter (retry n waits a random time below ${formatDuration(r.backoff.baseMs)} × (2^n − 1), at most ${formatDuration(r.backoff.maxMs)}).`);
    if (r.budget) {
      lines.push(`Retry budget: retries in flight at most ${formatPercent(r.budget.percent)} of the requests in flight, with ${r.budget.minRetryConcurrency} always allowed.`);
    } else {
      const max = p.connectionPool.maxRetries;
      lines.push(
        max === null
          ? 'Retry budget: none, and no limit on retries in flight: in an outage, retries multiply the load.'
          : `Retry budget: none; at most ${plural(max, 'retry', 'retries')} in flight at once (connectionPool.maxRetries), a retry over it is not made.`,
      );
    }
  }

  lines.push(`Load balancer${p.loadBalancer === d.loadBalancer ? byDefault : ''}: ${loadBalancerText(p.loadBalancer)}.`);
  lines.push(`Circuit breaker${sameJson(p.connectionPool, d.connectionPool) ? byDefault : ''}: ${poolText(p.connectionPool)}.`);

  const o = p.outlierDetection;
  if (o) {
    const on = andList([o.consecutive5xx !== null ? `${o.consecutive5xx} consecutive 5xx (resets, refused connections and timeouts count)` : '', o.consecutiveGatewayErrors !== null ? `${o.consecutiveGatewayErrors} consecutive 502/503/504` : ''].filter(Boolean));
    const cap = Math.floor(instances.length * o.maxEjectionPercent + 1e-9);
    const capText = instances.length ? ` — ${plural(cap, 'instance')} of ${instances.length}${cap === 0 ? ': none can be ejected' : ''}` : '';
    lines.push(
      `Outlier detection: each caller sidecar ejects an instance after ${on || 'nothing (no check is on)'}, for ${formatDuration(o.baseEjectionTimeMs)} × the times it has been ejected (at most ${formatDuration(o.maxEjectionTimeMs)}); never more than ${formatPercent(o.maxEjectionPercent)} of the instances at once${capText}; ejections end at sweeps every ${formatDuration(o.intervalMs)}.`,
    );
  } else {
    lines.push('Outlier detection: off (failing instances keep getting their share).');
  }

  const panicNote = p.panicThreshold === d.panicThreshold ? byDefault : '';
  lines.push(
    p.panicThreshold > 0
      ? `Panic${panicNote}: when fewer than ${formatPercent(p.panicThreshold)} of the instances are healthy, it ignores health and uses all of them.`
      : `Panic${panicNote}: never; when no instance is healthy it answers 503 UH.`,
  );

  const h = p.healthCheck;
  if (h) {
    lines.push(
      `Health checks: probes ${h.path} on every instance every ${formatDuration(h.intervalMs)} (timeout ${formatDuration(h.timeoutMs)}); ${plural(h.unhealthyThreshold, 'failure')} in a row mark it unhealthy, ${plural(h.healthyThreshold, 'success', 'successes')} healthy again.`,
    );
  }

  if (p.locality.enabled) {
    const zones = spec ? [...new Set(instances.map((i) => instanceSpec(spec, i).zone).filter((z): z is string => z !== null))] : [];
    const where = zones.length ? ` (${destination}'s zones: ${zones.join(', ')})` : ` (but ${destination}'s instances have no zone, so all are alike)`;
    lines.push(
      `Locality: prefers instances in the caller's own zone${where}, and spills over to other zones as that zone's healthy share × ${p.locality.overprovisioningFactor} drops below 100%.`,
    );
  }

  if (p.split) {
    const weights = Object.entries(p.split.weights).map(([v, w]) => `${formatPercent(w)} to ${v} (${instancesOfVersion(destination, v, scenario).join(', ') || 'no instance'})`);
    const routes = p.split.routes.map((rt) => `requests with ${Object.entries(rt.headers).map(([k, v]) => `${k}: ${v}`).join(' and ')} go to ${rt.version}`);
    const parts = [...routes, weights.length ? `${routes.length ? 'the rest: ' : ''}${andList(weights)}` : ''].filter(Boolean);
    lines.push(`Traffic split: ${parts.join('; ')}.`);
  }

  if (p.fault) {
    lines.push(`Standing fault, for the whole run: ${httpFaultText(p.fault)}, injected at the caller's outbound as an Istio VirtualService fault (not retried).`);
  }
  const imported = Object.entries(scenario.meshImport?.sources ?? {}).filter(([k]) => k.startsWith(`${destination}.`));
  if (imported.length > 0) {
    lines.push('From the manifests:', ...imported.map(([k, s]) => `  ${k.slice(destination.length + 1)} ← ${sourceText(s)}`));
  }
  const off = [h ? '' : 'health checks', p.locality.enabled ? '' : 'locality-aware balancing', p.split ? '' : 'traffic split', p.fault ? '' : 'standing fault'].filter(Boolean);
  if (off.length) lines.push(`Off: ${andList(off)}.`);
  return lines;
}

/** `VirtualService reviews spec.http[0].timeout at k8s/reviews.yaml:14:7`. */
export function sourceText(s: ManifestSource): string {
  return `${s.resource} ${s.field} at ${s.file}:${s.line}:${s.col}`;
}

function loadBalancerText(lb: DestinationPolicy['loadBalancer']): string {
  switch (lb) {
    case 'round_robin':
      return 'round_robin, instances in turn';
    case 'least_request':
      return 'least_request, of two random instances the one with fewer requests in flight';
    case 'random':
      return 'random, any instance';
  }
}

function poolText(c: ConnectionPool): string {
  if (c.maxConnections === null && c.maxPendingRequests === null && c.maxRequests === null && c.maxRetries === null) return 'no limits';
  const n = (x: number | null) => (x === null ? 'unlimited' : String(x));
  return `per caller sidecar, ${n(c.maxConnections)} connections, ${n(c.maxPendingRequests)} pending, ${n(c.maxRequests)} requests in flight, ${n(c.maxRetries)} retries in flight; a request over a limit fails at once with 503 UO`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
