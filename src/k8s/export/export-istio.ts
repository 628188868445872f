import { egressGatewayOf, externalsOf, type Scenario } from '../../scenario/scenario.ts';
import type { DestinationPolicy } from '../../contract/mesh-policy.ts';
import { defaultBlocks, defaultPolicy } from '../effective-policy.ts';
import { goDuration, MANAGED_BY, percentNumber, type ExportNote, type Resource } from './exported.ts';

const LB = { round_robin: 'ROUND_ROBIN', least_request: 'LEAST_REQUEST', random: 'RANDOM' } as const;

/**
The mesh section as Istio networking v1 resources: per destination a DestinationRule (load
balancer, connection pool, outlier detection, locality, retry budget, one subset per version) and a
VirtualService (timeout, retries, fault, the split over subsets, header routes). Every effective
value is written where it differs from what Istio does unwritten, so a cluster runs what the
scenario tested whatever its profile was.
*/
export function exportIstio(scenario: Scenario, notes: ExportNote[]): Resource[] {
  const out: Resource[] = [];
  const istio = defaultPolicy('istio');
  for (const s of scenario.services) {
    const p = scenario.mesh[s.name];
    const note = (key: string, message: string) => notes.push({ destination: s.name, key, message });
    const versions = [...new Set([...Object.keys(p.split?.weights ?? {}), ...(p.split?.routes ?? []).map((r) => r.version)])];
    out.push(destinationRule(s.name, p, istio, versions, note));
    out.push(virtualService(s.name, p, note));
  }
  // A registered external's policy applies at its callers' sidecars, or with an egress gateway at
  // the gateway's leg out (export-edges.ts writes that route): its DestinationRule applies at both.
  const egress = egressGatewayOf(scenario);
  for (const x of externalsOf(scenario)) {
    const p = scenario.mesh[x.name];
    if (!x.registered || !p) continue;
    const note = (key: string, message: string) => notes.push({ destination: x.name, key, message });
    out.push(destinationRule(x.name, p, istio, [], note));
    if (!egress) out.push(virtualService(x.name, p, note));
  }
  return out;
}

function destinationRule(host: string, p: DestinationPolicy, istio: DestinationPolicy, versions: string[], note: (key: string, message: string) => void): Resource {
  const tp: Record<string, unknown> = {};
  const lb: Record<string, unknown> = { simple: LB[p.loadBalancer] };
  // Istio fails over by locality once outlier detection is set, and never without it.
  const istioLocality = p.outlierDetection !== null;
  if (p.locality.enabled !== istioLocality) {
    if (p.locality.enabled) note('locality', 'Istio prefers the caller\'s zone only for destinations with outlier detection; set outlierDetection, or the cluster balances over every zone');
    else lb.localityLbSetting = { enabled: false };
  }
  if (p.locality.enabled && p.locality.overprovisioningFactor !== istio.locality.overprovisioningFactor) {
    note('locality.overprovisioningFactor', `Istio keeps Envoy's overprovisioning factor of ${istio.locality.overprovisioningFactor}; ${p.locality.overprovisioningFactor} cannot be written`);
  }
  tp.loadBalancer = lb;

  const c = p.connectionPool;
  const tcp: Record<string, unknown> = {};
  const http: Record<string, unknown> = {};
  const limit = (value: number | null, key: string, put: (n: number) => void) => {
    if (value === null) return;
    if (value === 0) note(`connectionPool.${key}`, 'Istio reads 0 as unset (unlimited): a limit of 0 cannot be written');
    else put(value);
  };
  limit(c.maxConnections, 'maxConnections', (n) => (tcp.maxConnections = n));
  limit(c.maxPendingRequests, 'maxPendingRequests', (n) => (http.http1MaxPendingRequests = n));
  limit(c.maxRequests, 'maxRequests', (n) => (http.http2MaxRequests = n));
  if (p.retries && !p.retries.budget) limit(c.maxRetries, 'maxRetries', (n) => (http.maxRetries = n));
  if (Object.keys(tcp).length || Object.keys(http).length) tp.connectionPool = { ...(Object.keys(tcp).length ? { tcp } : {}), ...(Object.keys(http).length ? { http } : {}) };

  const o = p.outlierDetection;
  if (o) {
    const od: Record<string, unknown> = { consecutive5xxErrors: o.consecutive5xx ?? 0 };
    if (o.consecutiveGatewayErrors !== null) od.consecutiveGatewayErrors = o.consecutiveGatewayErrors;
    od.interval = goDuration(o.intervalMs);
    od.baseEjectionTime = goDuration(o.baseEjectionTimeMs);
    od.maxEjectionPercent = wholePercent(o.maxEjectionPercent, 'outlierDetection.maxEjectionPercent', note);
    od.minHealthPercent = wholePercent(p.panicThreshold, 'panicThreshold', note);
    const max = defaultBlocks('istio').outlierDetection!.maxEjectionTimeMs;
    if (o.maxEjectionTimeMs !== max) note('outlierDetection.maxEjectionTime', `Istio has no maxEjectionTime: Envoy's ${goDuration(max)} applies, not ${goDuration(o.maxEjectionTimeMs)}`);
    tp.outlierDetection = od;
  } else if (p.healthCheck && p.panicThreshold !== istio.panicThreshold) {
    note('panicThreshold', 'Istio sets the panic threshold (minHealthPercent) only with outlier detection; without it the cluster answers 503 when no endpoint is ready');
  }
  if (p.retries?.budget) tp.retryBudget = { percent: percentNumber(p.retries.budget.percent), minRetryConcurrency: p.retries.budget.minRetryConcurrency };
  const spec: Record<string, unknown> = { host, trafficPolicy: tp };
  if (versions.length > 0) spec.subsets = versions.map((v) => ({ name: v, labels: { version: v } }));
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: host, labels: { ...MANAGED_BY } }, spec };
}

function virtualService(host: string, p: DestinationPolicy, note: (key: string, message: string) => void): Resource {
  // A route's timeout, retries and fault: the same on every route, as meshproof has one per destination.
  const common = routePolicy(p, note);
  const http: Record<string, unknown>[] = [];

  (p.split?.routes ?? []).forEach((route, i) => {
    http.push({
      name: `route-${i}`,
      match: [{ headers: Object.fromEntries(Object.entries(route.headers).map(([k, v]) => [k, { exact: v }])) }],
      route: [{ destination: { host, subset: route.version } }],
      ...common,
    });
  });
  const weights = p.split ? integerWeights(p.split.weights, note) : null;
  const route = weights ? Object.entries(weights).map(([v, w]) => ({ destination: { host, subset: v }, weight: w })) : [{ destination: { host } }];
  http.push({ name: 'default', route, ...common });
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: host, labels: { ...MANAGED_BY } }, spec: { hosts: [host], http } };
}

/** A route's timeout, retries and fault toward a destination, as Istio's HTTPRoute fields (at a sidecar or at a gateway alike). */
export function routePolicy(p: DestinationPolicy, note: (key: string, message: string) => void): Record<string, unknown> {
  const common: Record<string, unknown> = {};
  if (p.timeoutMs !== null) common.timeout = goDuration(p.timeoutMs);
  const r = p.retries;
  if (!r) common.retries = { attempts: 0 };
  else {
    const retryOn = [...r.retryOn.filter((x) => x !== 'retriable-status-codes'), ...(r.retryOn.includes('retriable-status-codes') ? r.retriableStatusCodes.map(String) : [])];
    const retries: Record<string, unknown> = { attempts: r.attempts };
    if (r.perTryTimeoutMs !== null) retries.perTryTimeout = goDuration(r.perTryTimeoutMs);
    retries.retryOn = retryOn.join(',');
    retries.backoff = goDuration(r.backoff.baseMs);
    if (r.backoff.maxMs !== r.backoff.baseMs * 10) note('retries.backoff.max', `Istio sets only the base back-off; Envoy's maximum of 10 × base (${goDuration(r.backoff.baseMs * 10)}) applies, not ${goDuration(r.backoff.maxMs)}`);
    common.retries = retries;
  }
  if (p.fault) {
    const fault: Record<string, unknown> = {};
    if (p.fault.delay) fault.delay = { fixedDelay: goDuration(p.fault.delay.ms), percentage: { value: percentNumber(p.fault.delay.percent) } };
    if (p.fault.abort) fault.abort = { httpStatus: p.fault.abort.status, percentage: { value: percentNumber(p.fault.abort.percent) } };
    common.fault = fault;
    if (p.timeoutMs !== null || r) note('fault', 'Istio turns off a route\'s timeout and retries when the route has a fault; meshproof applied them to the requests the fault left alone');
  }
  return common;
}

function wholePercent(fraction: number, key: string, note: (key: string, message: string) => void): number {
  const n = percentNumber(fraction);
  if (Number.isInteger(n)) return n;
  note(key, `Istio takes a whole percentage here: ${n}% is written as ${Math.round(n)}%`);
  return Math.round(n);
}

/**
Istio's route weights are whole percentages adding up to 100: shares rounded by largest remainder,
with a note when that changes one.
*/
export function integerWeights(weights: Record<string, number>, note: (key: string, message: string) => void, total = 100): Record<string, number> {
  const entries = Object.entries(weights);
  const raw = entries.map(([v, w]) => ({ v, exact: w * total, floor: Math.floor(w * total + 1e-9) }));
  let left = total - raw.reduce((a, x) => a + x.floor, 0);
  for (const x of [...raw].sort((a, b) => b.exact - b.floor - (a.exact - a.floor))) {
    if (left <= 0) break;
    x.floor++;
    left--;
  }
  if (raw.some((x) => Math.abs(x.floor - x.exact) > 1e-6)) {
    note('split', `the split is written in whole parts of ${total}: ${raw.map((x) => `${x.v} ${x.floor}`).join(', ')}`);
  }
  return Object.fromEntries(raw.map((x) => [x.v, x.floor]));
}
