import type { ConnectionPool, HttpFault } from './mesh-policy.ts';
import type { MtlsMode } from './security-policy.ts';
import { formatDuration, formatLatency, formatPercent, formatRate } from '../util/format.ts';
import type { EjectionReason, MeshEvent, ProbeFailure, UnejectReason } from './mesh-event.ts';

/**
Turns a mesh event into words, for people: the `message` of the admin stream, the live view's event
log and instance reasons, plain progress lines, and the event lists of the reports. Parts that take
one take it as an option (a test swaps in another and shows nothing but the words change).
*/
export type Describer = (event: MeshEvent) => string;

/**
The one describer: every event in plain words, with its cause and the setting that decided it
("payments-1 ejected: 5 consecutive 5xx (last 503), outlierDetection.consecutive5xx = 5; for 30s
(ejection 1)"). It reads the event's fields only.
*/
export const describeMeshEvent: Describer = (e) => {
  switch (e.type) {
    case 'config-applied': {
      const d = e.data;
      const what = d.previousVersion === null ? `first config, ${d.destinations} destination(s)` : d.changed.length ? `changed: ${d.changed.join(', ')}` : 'nothing changed';
      return `config v${d.version} applied${d.previousVersion === null ? '' : ` (was v${d.previousVersion})`}; ${what}`;
    }
    case 'cluster-added':
      return `destination ${e.data.cluster} added (${e.data.endpoints} endpoint(s), load balancer ${e.data.loadBalancer})`;
    case 'cluster-removed':
      return `destination ${e.data.cluster} removed; requests in flight to it finish`;
    case 'endpoint-added':
      return `${e.data.endpoint} at ${e.data.address} added to ${e.data.cluster}${e.data.healthy ? '' : ' (unhealthy: not picked)'}`;
    case 'endpoint-removed':
      return `${e.data.endpoint} at ${e.data.address} removed from ${e.data.cluster}; its in-flight requests finish on their connections`;
    case 'endpoint-address-changed':
      return `${e.data.endpoint} in ${e.data.cluster} moved from ${e.data.from} to ${e.data.address} (restarted); new connections go to the new address`;
    case 'endpoint-health-changed':
      return e.data.healthy
        ? `${e.data.endpoint} in ${e.data.cluster} is healthy again for the control plane`
        : `${e.data.endpoint} in ${e.data.cluster} marked unhealthy by the control plane: it is no longer picked (outside panic)`;
    case 'policy-changed':
      return `policy for ${e.data.cluster} changed`;
    case 'fault-applied':
      return e.data.cluster === null
        ? `requests into ${e.instance} now meet an L7 fault at its inbound: ${httpFaultText(e.data.fault)}`
        : `requests from ${e.instance} to ${e.data.cluster} now meet an L7 fault at its outbound: ${httpFaultText(e.data.fault)} (not retried)`;
    case 'fault-cleared':
      return e.data.cluster === null ? `the L7 fault at ${e.instance}'s inbound is over` : `the L7 fault on requests from ${e.instance} to ${e.data.cluster} is over`;
    case 'ejected': {
      const d = e.data;
      const rule = d.reason === 'consecutive_5xx' ? `outlierDetection.consecutive5xx = ${d.threshold}` : `outlierDetection.consecutiveGatewayErrors = ${d.threshold}`;
      const times = d.multiplier === d.timesEjected ? `ejection ${d.timesEjected}` : `ejection ${d.timesEjected}, multiplier ${d.multiplier}`;
      return `${d.endpoint} ejected: ${ejectionCause(d.reason, d.consecutive)} (last ${d.lastStatus}), ${rule}; for ${formatDuration(Math.round(d.ejectionMs))} (${times}${d.capped ? ', capped at maxEjectionTime' : ''})`;
    }
    case 'unejected':
      return `${e.data.endpoint} back in ${e.data.cluster} after ${formatDuration(e.data.ejectedMs)}: ${UNEJECT_WHY[e.data.reason]}`;
    case 'ejection-skipped': {
      const d = e.data;
      return `${d.endpoint} not ejected despite ${ejectionCause(d.reason, d.consecutive)}: ${d.ejected} of ${d.total} endpoint(s) already ejected and one more would exceed outlierDetection.maxEjectionPercent ${formatPercent(d.maxEjectionPercent)}`;
    }
    case 'health-check-failed': {
      const d = e.data;
      const rule =
        d.failure.kind === 'status' ? 'a wrong status fails a host at once (Envoy HTTP health checker)' : `${d.unhealthyThreshold} failed check(s) in a row (healthCheck.unhealthyThreshold = ${d.unhealthyThreshold})`;
      return `${d.endpoint} in ${d.cluster} failed its active health check (GET ${d.path}: ${probeFailureText(d.failure)}); ${rule}; it is no longer picked`;
    }
    case 'health-check-passed': {
      const d = e.data;
      if (d.reason === 'checks-off') return `${d.endpoint} in ${d.cluster} no longer failed by health checks: they were turned off`;
      return `${d.endpoint} in ${d.cluster} passed ${d.healthyThreshold} health check(s) in a row (healthCheck.healthyThreshold = ${d.healthyThreshold}); it is picked again`;
    }
    case 'panic':
      return `${e.data.cluster} in panic: ${e.data.healthy} of ${e.data.total} endpoint(s) healthy, below panicThreshold ${formatPercent(e.data.panicThreshold)}; the load balancer now uses every endpoint, ejected and unhealthy ones included (Envoy)`;
    case 'panic-ended':
      return `${e.data.cluster} out of panic: ${e.data.healthy} of ${e.data.total} endpoint(s) healthy; only healthy endpoints are picked again`;
    case 'retry-budget-overflow': {
      const d = e.data;
      const budget = d.percent === null ? 'unknown' : `${formatPercent(d.percent)} of active requests, at least ${d.minRetryConcurrency} concurrent`;
      return `${retries(d.count, d.cluster)} refused by the retry budget (${budget}) within ${formatDuration(d.intervalMs)}; the callers got the failed answer`;
    }
    case 'retry-overflow':
      return `${retries(e.data.count, e.data.cluster)} refused by connectionPool.maxRetries (${e.data.maxRetries} concurrent retries) within ${formatDuration(e.data.intervalMs)}; the callers got the failed answer`;
    case 'circuit-breaker-overflow':
      return `${e.data.count} request(s) to ${e.data.cluster} refused by its circuit breaker (${limitsText(e.data.limits)}) within ${formatDuration(e.data.intervalMs)}: 503 UO`;
    case 'bulkhead-overflow':
      return `${e.data.count} request(s) to ${e.data.cluster} refused by the bulkhead (${e.data.limit} in flight) within ${formatDuration(e.data.intervalMs)}: 503 UO`;
    case 'rate-limited': {
      const d = e.data;
      const what = d.requestsPerSecond === null ? 'removed since' : `${formatRate(d.requestsPerSecond)}, burst ${d.burst}`;
      return `${d.count} request(s) to ${e.instance} refused by its local rate limit (${what}) within ${formatDuration(d.intervalMs)}: 429 RL`;
    }
    case 'certificate-issued':
    case 'certificate-rotated': {
      const d = e.data;
      const life = `valid ${new Date(d.notBefore).toISOString()} to ${new Date(d.notAfter).toISOString()}`;
      const expired = d.notAfter <= e.at ? ' — already expired: peers refuse it' : '';
      const what = e.type === 'certificate-issued' ? 'has its certificate' : 'has a new certificate';
      return `${e.instance} ${what} for ${d.spiffeId} (serial ${d.serial.slice(0, 8)}…, ${life}, root ${d.root})${expired}`;
    }
    case 'trust-bundle-changed': {
      const d = e.data;
      const added = d.roots.filter((r) => !d.previous.includes(r));
      const dropped = d.previous.filter((r) => !d.roots.includes(r));
      const parts = [added.length ? `now trusts root ${added.join(', ')}` : '', dropped.length ? `no longer trusts root ${dropped.join(', ')}` : ''].filter(Boolean);
      return `${e.instance} ${parts.join(' and ') || 'has the same roots'} (trust bundle: ${d.roots.join(', ') || 'empty'})`;
    }
    case 'mtls-mode-changed':
      return `${e.instance} now accepts ${MODE_WORDS[e.data.mode]} (mTLS ${e.data.mode}, was ${e.data.previous}); its connections made before are drained`;
    case 'handshake-failed': {
      const d = e.data;
      const where = d.cluster === null ? `into ${e.instance}` : `from ${e.instance} to ${d.endpoint ?? d.cluster}`;
      if (d.kind === 'no_filter_chain_match') return `${d.count} plaintext connection(s) ${where} refused within ${formatDuration(d.intervalMs)}: it accepts mutual TLS only (STRICT; filter_chain_not_found, the connection reset)`;
      return `${d.count} mutual TLS handshake(s) ${where} failed within ${formatDuration(d.intervalMs)}: ${d.reason} (${d.detail}); ssl.${d.kind}`;
    }
    case 'authorization-denied': {
      const d = e.data;
      const who = d.source === null ? 'a plaintext caller (no identity)' : d.source;
      const why = d.policy === 'none' ? 'no ALLOW policy matched' : `denied by ${d.policy}`;
      return `${d.count} request(s) from ${who} to ${e.instance} refused within ${formatDuration(d.intervalMs)}: 403 RBAC: access denied, ${why} (last: ${d.method} ${d.path})`;
    }
    case 'quota-limited':
      return `${e.data.count} request(s) to ${e.instance} over a global quota of ${e.data.domain} within ${formatDuration(e.data.intervalMs)}: the rate-limit service, counting for every instance, said OVER_LIMIT: 429 RL`;
    case 'rate-limit-service-error': {
      const d = e.data;
      const then = d.failureMode === 'allow' ? 'let through unchecked (failureMode allow)' : 'refused with 500 RLSE (failureMode deny)';
      return `the rate-limit service gave no answer for ${d.count} request(s) to ${e.instance} within ${formatDuration(d.intervalMs)} (last: ${d.reason}; timeout ${formatDuration(d.timeoutMs)}): ${then}`;
    }
  }
};

/** What an inbound listener accepts under each mode. */
const MODE_WORDS: Readonly<Record<MtlsMode, string>> = {
  STRICT: 'mutual TLS only',
  PERMISSIVE: 'mutual TLS and plaintext',
  DISABLE: 'plaintext only',
};

/** Why an endpoint came back, in words. */
const UNEJECT_WHY: Readonly<Record<UnejectReason, string>> = {
  'ejection-time-elapsed': 'its ejection time is over',
  'health-check-passed': 'an active health check passed (successful_active_health_check_uneject_host)',
  'endpoint-removed': 'it left the cluster',
  'endpoint-replaced': 'it was replaced by the same instance at a new address',
  'outlier-detection-disabled': 'outlier detection was turned off',
};

/** What made outlier detection act: "5 consecutive 5xx", "2 consecutive gateway errors". */
export function ejectionCause(reason: EjectionReason, consecutive: number): string {
  return `${consecutive} consecutive ${reason === 'consecutive_5xx' ? '5xx' : 'gateway errors'}`;
}

/** How a health check probe failed: "HTTP 503", "ECONNREFUSED", "no answer within 1s (timeout)". */
export function probeFailureText(f: ProbeFailure): string {
  switch (f.kind) {
    case 'status':
      return `HTTP ${f.status}`;
    case 'network':
      return f.code;
    case 'timeout':
      return `no answer within ${formatDuration(f.timeoutMs)} (timeout)`;
  }
}

/** An L7 fault in a few words: "abort 503 (100%)", "delay 300ms (50%)", both joined with "and". */
export function httpFaultText(f: HttpFault): string {
  const parts: string[] = [];
  if (f.abort) parts.push(`abort ${f.abort.status} (${formatPercent(f.abort.percent)})`);
  if (f.delay) parts.push(`delay ${formatLatency(f.delay.ms)} (${formatPercent(f.delay.percent)})`);
  return parts.join(' and ') || 'nothing';
}

function retries(count: number, cluster: string): string {
  return `${count} retr${count === 1 ? 'y' : 'ies'} to ${cluster}`;
}

function limitsText(l: ConnectionPool | null): string {
  return l ? `maxConnections ${l.maxConnections}, maxPendingRequests ${l.maxPendingRequests}, maxRequests ${l.maxRequests}` : 'unknown limits';
}
