import type { MeshProfile, Scenario } from '../../scenario/scenario.ts';
import type { DestinationPolicy } from '../../contract/mesh-policy.ts';
import { defaultPolicy, effectivePolicy, type EffectivePolicy } from '../effective-policy.ts';
import { ALL_5XX, conditionsOf, GATEWAY_ERRORS, statusRanges } from '../retry-conditions.ts';
import { versionService } from './export-topology.ts';
import { integerWeights } from './export-istio.ts';
import { MANAGED_BY, PROFILE_ANNOTATION, type ExportNote, type Resource } from './exported.ts';

/** Gateway API durations: at most four parts of up to five digits, in h, m, s or ms (`1s500ms`). */
export function gatewayDuration(ms: number): string | null {
  if (!Number.isInteger(ms)) return null;
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let left = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(left / size);
    if (n > 0) parts.push(`${n}${unit}`);
    left -= n * size;
  }
  return parts.join('');
}

/** Linkerd annotation durations: a whole number of one unit (Linkerd refuses fractions). */
export function linkerdDuration(ms: number): string | null {
  if (!Number.isInteger(ms)) return null;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const KEYS: Record<string, (p: EffectivePolicy) => unknown> = {
  loadBalancer: (p) => p.loadBalancer,
  connectionPool: (p) => p.connectionPool,
  outlierDetection: (p) => p.outlierDetection,
  panicThreshold: (p) => p.panicThreshold,
  fault: (p) => p.fault,
  locality: (p) => p.locality,
};

/**
Notes for the keys a target cannot write that differ from what the target does unwritten: `base`
is that behaviour (the target mesh's defaults, or for the Gateway API, the profile it records).
*/
function unwritable(keys: string[], p: DestinationPolicy, base: DestinationPolicy, scenario: Scenario, service: string, what: string, note: (key: string, message: string) => void): void {
  const spec = scenario.services.find((s) => s.name === service);
  const mine = effectivePolicy(p, spec);
  // The retries the target writes, without the budget none of these targets can: they decide which connection-pool limits matter.
  const theirs = effectivePolicy({ ...base, retries: p.retries ? { ...p.retries, budget: null } : null }, spec);
  for (const key of keys) {
    if (JSON.stringify(KEYS[key](mine)) !== JSON.stringify(KEYS[key](theirs))) note(key, `${what} cannot express ${key}; the cluster will use its default`);
  }
}

/** An HTTPRoute toward a service (GAMMA: a Service as parent), with its split, header routes, timeouts and retry. */
function httpRoute(service: string, p: DestinationPolicy, perVersion: boolean, withPolicy: boolean, annotations: Record<string, string>, note: (key: string, message: string) => void): Resource {
  const backend = (version: string | null, weight?: number) => ({ name: version ? versionService(service, version) : service, port: 80, ...(weight !== undefined ? { weight } : {}) });
  const policy: Record<string, unknown> = {};
  if (withPolicy) {
    const timeouts: Record<string, string> = {};
    const request = gatewayDuration(p.timeoutMs ?? 0);
    if (request === null) note('timeout', 'the Gateway API takes whole milliseconds');
    else timeouts.request = request;
    const r = p.retries;
    if (!r) policy.retry = { attempts: 0 };
    else {
      const c = conditionsOf(r.retryOn, r.retriableStatusCodes);
      if (!c.noResponse || !c.connectFailure) note('retries.retryOn', 'Gateway API implementations retry connection errors whenever a retry is set; this policy did not retry them');
      const codes = c.statuses.filter((s) => s >= 400 && s <= 599);
      if (codes.length !== c.statuses.length) note('retries.retriableStatusCodes', 'the Gateway API retries statuses 400 to 599 only');
      policy.retry = { attempts: r.attempts, ...(codes.length ? { codes } : {}), backoff: gatewayDuration(r.backoff.baseMs) ?? `${Math.ceil(r.backoff.baseMs)}ms` };
      if (r.backoff.maxMs !== r.backoff.baseMs * 10) note('retries.backoff.max', 'the Gateway API sets only the base back-off');
      if (r.budget) note('retries.budget', 'the Gateway API\'s HTTPRoute has no retry budget (XBackendTrafficPolicy\'s budget counts retries over an interval, not in flight)');
      if (r.perTryTimeoutMs !== null) {
        const per = gatewayDuration(r.perTryTimeoutMs);
        if (per === null) note('retries.perTryTimeout', 'the Gateway API takes whole milliseconds');
        else if (p.timeoutMs !== null && r.perTryTimeoutMs > p.timeoutMs) note('retries.perTryTimeout', 'the Gateway API requires backendRequest <= request; a per-try timeout longer than the whole request cannot be written');
        else timeouts.backendRequest = per;
      }
    }
    policy.timeouts = timeouts;
  }
  const rules: Record<string, unknown>[] = [];
  for (const route of p.split?.routes ?? []) {
    rules.push({ matches: [{ headers: Object.entries(route.headers).map(([name, value]) => ({ type: 'Exact', name, value })) }], backendRefs: [backend(route.version)] });
  }
  const weights = p.split ? integerWeights(p.split.weights, note, 1_000_000) : null;
  rules.push({ backendRefs: weights && perVersion ? Object.entries(weights).map(([v, w]) => backend(v, w)) : [backend(null)], ...policy });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: service, labels: { ...MANAGED_BY }, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: service, port: 80 }], rules },
  };
}

/**
Gateway API v1 HTTPRoutes with a Service as parent (GAMMA, for mesh traffic): timeouts, retry,
split and header routes. What an HTTPRoute cannot say (circuit breaking, outlier detection, load
balancing, faults) is the implementation's; each value that differs from the scenario's profile is
a note, and the profile is recorded in an annotation so an import reads the rest the same way.
*/
export function exportGatewayApi(scenario: Scenario, notes: ExportNote[]): Resource[] {
  const base = defaultPolicy(scenario.profile as MeshProfile);
  return scenario.services.map((s) => {
    const p = scenario.mesh[s.name];
    const note = (key: string, message: string) => notes.push({ destination: s.name, key, message });
    unwritable(['loadBalancer', 'connectionPool', 'outlierDetection', 'panicThreshold', 'fault', 'locality'], p, base, scenario, s.name, 'an HTTPRoute', note);
    return httpRoute(s.name, p, true, true, { [PROFILE_ANNOTATION]: scenario.profile }, note);
  });
}

/**
Linkerd (2.16 and later): retries, timeouts and failure accrual as annotations on each Service;
splits and header routes as an HTTPRoute with the Service as parent. Linkerd has no circuit
breaker, fault injection, load balancer choice or locality of its own: notes when the scenario's
values differ from Linkerd's behaviour.
*/
export function exportLinkerd(scenario: Scenario, notes: ExportNote[]): { annotations: Map<string, Record<string, string>>; routes: Resource[] } {
  const linkerd = defaultPolicy('linkerd');
  const annotations = new Map<string, Record<string, string>>();
  const routes: Resource[] = [];
  for (const s of scenario.services) {
    const p = scenario.mesh[s.name];
    const note = (key: string, message: string) => notes.push({ destination: s.name, key, message });
    const a: Record<string, string> = {};
    const duration = (ms: number, key: string): string | null => {
      const d = linkerdDuration(ms);
      if (d === null) note(key, 'Linkerd takes whole milliseconds');
      return d;
    };
    if (p.timeoutMs !== null) {
      const d = duration(p.timeoutMs, 'timeout');
      if (d) a['timeout.linkerd.io/request'] = d;
    }
    const r = p.retries;
    if (r) {
      const c = conditionsOf(r.retryOn, r.retriableStatusCodes);
      const left = new Set(c.statuses);
      const parts: string[] = [];
      if (ALL_5XX.every((x) => left.has(x))) {
        parts.push('5xx');
        ALL_5XX.forEach((x) => left.delete(x));
      } else if (GATEWAY_ERRORS.every((x) => left.has(x))) {
        parts.push('gateway-error');
        GATEWAY_ERRORS.forEach((x) => left.delete(x));
      }
      parts.push(...statusRanges([...left]));
      if (parts.length > 0) a['retry.linkerd.io/http'] = parts.join(',');
      else note('retries.retryOn', 'with no status to retry, Linkerd is given only a retry limit; what it then retries (tries that time out) is approximated');
      a['retry.linkerd.io/limit'] = String(r.attempts);
      if (r.perTryTimeoutMs !== null) {
        const d = duration(r.perTryTimeoutMs, 'retries.perTryTimeout');
        if (d) a['retry.linkerd.io/timeout'] = d;
      }
      if (!c.noResponse || !c.connectFailure) note('retries.retryOn', 'Linkerd retries tries that time out or get no response too; this policy did not');
      if (r.budget) note('retries.budget', 'Linkerd\'s retry annotations have no budget (only legacy ServiceProfiles had one)');
      if (JSON.stringify(r.backoff) !== JSON.stringify(linkerd.retries?.backoff ?? r.backoff) && (r.backoff.baseMs !== 25 || r.backoff.maxMs !== 250)) note('retries.backoff', 'Linkerd\'s back-off cannot be set');
    }
    const o = p.outlierDetection;
    if (o) {
      a['balancer.linkerd.io/failure-accrual'] = 'consecutive';
      if (o.consecutive5xx === null) note('outlierDetection.consecutive5xx', 'Linkerd\'s failure accrual counts consecutive failures; it cannot check only gateway errors');
      else a['balancer.linkerd.io/failure-accrual-consecutive-max-failures'] = String(o.consecutive5xx);
      if (o.consecutiveGatewayErrors !== null) note('outlierDetection.consecutiveGatewayErrors', 'Linkerd counts every 5xx as a failure, not gateway errors apart');
      const min = duration(o.baseEjectionTimeMs, 'outlierDetection.baseEjectionTime');
      const max = duration(o.maxEjectionTimeMs, 'outlierDetection.maxEjectionTime');
      if (min) a['balancer.linkerd.io/failure-accrual-consecutive-min-penalty'] = min;
      if (max) a['balancer.linkerd.io/failure-accrual-consecutive-max-penalty'] = max;
      const l = linkerd.outlierDetection ?? { intervalMs: 1000, maxEjectionPercent: 1 };
      if (o.intervalMs !== 1000 && o.intervalMs !== l.intervalMs) note('outlierDetection.interval', 'Linkerd has no sweep interval: a tripped endpoint is probed when its penalty ends');
      if (o.maxEjectionPercent !== 1) note('outlierDetection.maxEjectionPercent', 'Linkerd may trip every endpoint');
    }
    unwritable(['loadBalancer', 'connectionPool', 'panicThreshold', 'fault', 'locality'], p, linkerd, scenario, s.name, 'Linkerd', note);
    annotations.set(s.name, a);
    if (p.split) routes.push(httpRoute(s.name, p, true, false, {}, note));
  }
  return { annotations, routes };
}
