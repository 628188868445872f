import type { ManifestSource } from '../../scenario/scenario.ts';
import type { RetryOn } from '../../contract/mesh-policy.ts';
import type { FieldPath, Manifest } from '../manifest.ts';
import { approx, checkFields, later, never, none, to, WARN_PREFIX, type FieldTable } from './field-rules.ts';
import type { ImportDraft } from './import-draft.ts';
import { hostService, meshName, ValueReader } from './values.ts';

const NO_PORTS = 'meshproof services have one port; per-port settings cannot be told apart';

const LOAD_BALANCER: FieldTable = {
  simple: to('loadBalancer', { note: 'ROUND_ROBIN → round_robin, LEAST_REQUEST and LEAST_CONN → least_request, RANDOM → random; PASSTHROUGH is warned' }),
  consistentHash: never('consistent hashing (sticky sessions): meshproof balances with round_robin, least_request or random'),
  localityLbSetting: to('locality', {
    fields: {
      enabled: to('locality.enabled'),
      distribute: never('weighted locality distribution: meshproof prefers the caller\'s own zone and spills over by health'),
      failover: never('explicit failover regions: meshproof fails over to any other zone'),
      failoverPriority: never('failover by label priority: meshproof fails over by zone only'),
    },
  }),
  warmup: never('slow start (warmup): new instances get their full share at once in meshproof'),
  warmupDurationSecs: never('slow start (warmup): new instances get their full share at once in meshproof'),
};

const CONNECTION_POOL: FieldTable = {
  tcp: to('connectionPool', {
    fields: {
      maxConnections: to('connectionPool.maxConnections'),
      connectTimeout: never('connect timeout: a refused connection fails at once in meshproof, and the whole-request timeout covers the rest'),
      tcpKeepalive: never('TCP keepalive'),
      maxConnectionDuration: never('connection lifetime'),
      idleTimeout: never('idle connection timeout'),
    },
  }),
  http: to('connectionPool', {
    fields: {
      http1MaxPendingRequests: to('connectionPool.maxPendingRequests'),
      http2MaxRequests: to('connectionPool.maxRequests'),
      maxRetries: to('connectionPool.maxRetries'),
      maxRequestsPerConnection: never('requests per connection (meshproof keeps connections alive)'),
      idleTimeout: never('idle connection timeout'),
      h2UpgradePolicy: never('HTTP/2 upgrade: meshproof speaks HTTP/1.1'),
      useClientProtocol: never('protocol selection: meshproof speaks HTTP/1.1'),
      maxConcurrentStreams: never('HTTP/2 streams: meshproof speaks HTTP/1.1'),
    },
  }),
};

const OUTLIER_DETECTION: FieldTable = {
  consecutive5xxErrors: to('outlierDetection.consecutive5xx', { note: '0 → none' }),
  consecutiveGatewayErrors: to('outlierDetection.consecutiveGatewayErrors', { note: '0 → none' }),
  consecutiveErrors: to('outlierDetection.consecutiveGatewayErrors', { note: 'deprecated: Istio read it as gateway errors' }),
  interval: to('outlierDetection.interval'),
  baseEjectionTime: to('outlierDetection.baseEjectionTime'),
  maxEjectionPercent: to('outlierDetection.maxEjectionPercent'),
  minHealthPercent: to('panicThreshold', { note: 'Istio sends it to Envoy as the panic threshold' }),
  splitExternalLocalOriginErrors: never('meshproof counts locally originated errors (reset, connect failure, timeout) with the 5xx, as Envoy does by default'),
  consecutiveLocalOriginFailures: never('meshproof counts locally originated errors with the 5xx'),
};

const TRAFFIC_POLICY: FieldTable = {
  loadBalancer: to('loadBalancer, locality', { fields: LOAD_BALANCER }),
  connectionPool: to('connectionPool', { fields: CONNECTION_POOL }),
  outlierDetection: to('outlierDetection, panicThreshold', { fields: OUTLIER_DETECTION }),
  retryBudget: to('retries.budget', {
    fields: { percent: to('retries.budget.percent'), minRetryConcurrency: to('retries.budget.minRetryConcurrency') },
  }),
  tls: to('(auto mTLS)', {
    note: 'ISTIO_MUTUAL is what meshproof\'s callers do on their own (Istio\'s auto mTLS); DISABLE, SIMPLE and MUTUAL are warned',
    fields: { mode: to('(auto mTLS)') },
  }),
  portLevelSettings: never(NO_PORTS),
  tunnel: never('tunnelling (HTTP CONNECT)'),
  proxyProtocol: never('the PROXY protocol'),
};

/** DestinationRule (networking.istio.io v1, v1beta1, v1alpha3). */
export const DESTINATION_RULE: FieldTable = {
  host: to('mesh.<service>', { note: 'reviews, reviews.ns and reviews.ns.svc.cluster.local are all reviews; other hosts are warned' }),
  trafficPolicy: to('mesh.<service>', { fields: TRAFFIC_POLICY }),
  subsets: to('versions', {
    items: {
      name: to('the version a route names'),
      labels: to('version', { note: 'the subset is the version in its version label' }),
      trafficPolicy: never('a policy per subset: meshproof has one policy per destination, for every version'),
    },
  }),
  exportTo: none('meshproof has one namespace, where every rule is visible'),
  workloadSelector: never('a rule for some callers only: meshproof applies a destination\'s policy at every caller'),
};

const HTTP_ROUTE: FieldTable = {
  name: none('a name'),
  match: to('routes[].match.headers', {
    note: 'header matches with exact values; a match on anything else (uri, method, authority, query parameters, callers) is warned and its route not imported',
  }),
  route: to('split, routes[].version', {
    items: {
      destination: to('split (by subset)', { fields: { host: to('the destination'), subset: to('the version'), port: none(NO_PORTS) } }),
      weight: to('split.<version>'),
      headers: never('header rewriting'),
    },
  }),
  timeout: to('timeout', { note: '0s → none' }),
  retries: to('retries', {
    fields: {
      attempts: to('retries.attempts', { note: '0 or absent → retries: none, as Istio disables them' }),
      perTryTimeout: to('retries.perTryTimeout'),
      retryOn: to('retries.retryOn, retries.retriableStatusCodes', { note: 'numbers become retriableStatusCodes; refused-stream is read as reset, retriable-4xx as 409; gRPC conditions are warned' }),
      backoff: to('retries.backoff.base'),
      retryRemoteLocalities: never('retry priorities by locality'),
      retryIgnorePreviousHosts: approx('Istio avoids the hosts already tried; meshproof\'s load balancer may pick the same instance again'),
    },
  }),
  fault: to('fault', {
    fields: {
      delay: to('fault.delay', {
        fields: {
          fixedDelay: to('fault.delay.fixed'),
          percentage: to('fault.delay.percent', { fields: { value: to('fault.delay.percent') } }),
          percent: to('fault.delay.percent', { note: 'deprecated integer form' }),
          exponentialDelay: never('exponential delays'),
        },
      }),
      abort: to('fault.abort', {
        fields: {
          httpStatus: to('fault.abort.status'),
          percentage: to('fault.abort.percent', { fields: { value: to('fault.abort.percent') } }),
          grpcStatus: never('gRPC aborts: meshproof speaks HTTP/1.1'),
          http2Error: never('HTTP/2 errors: meshproof speaks HTTP/1.1'),
        },
      }),
    },
  }),
  mirror: never('traffic mirroring'),
  mirrors: never('traffic mirroring'),
  mirrorPercent: never('traffic mirroring'),
  mirrorPercentage: never('traffic mirroring'),
  redirect: never('redirects'),
  directResponse: never('direct responses'),
  delegate: never('delegated VirtualServices'),
  rewrite: never('URI and authority rewriting'),
  headers: never('header rewriting'),
  corsPolicy: never('CORS'),
};

/** VirtualService (networking.istio.io v1, v1beta1, v1alpha3). */
export const VIRTUAL_SERVICE: FieldTable = {
  hosts: to('mesh.<service>'),
  gateways: to('whether it applies, gateways.<name>.routes', { note: 'mesh: the callers\' policy toward the host; a gateway: its routes; mesh and a gateway for an external host: the egress gateway, its route\'s policy that of mesh.<external>' }),
  http: to('timeout, retries, fault, split, routes', { items: HTTP_ROUTE }),
  tcp: never('TCP routes: meshproof routes HTTP'),
  tls: never('TLS (SNI) routes'),
  exportTo: none('meshproof has one namespace'),
};

/** Subset name → version, by destination service, from every DestinationRule read (routes refer to them). */
export type Subsets = Map<string, Map<string, { version: string | null; source: ManifestSource }>>;

/** First pass: the subsets of a DestinationRule, so VirtualServices in any file can name them. */
export function readSubsets(m: Manifest, draft: ImportDraft, subsets: Subsets): void {
  const service = hostService(String(m.get(['spec', 'host']) ?? ''));
  if (!service) return;
  const list = m.get(['spec', 'subsets']);
  if (!Array.isArray(list)) return;
  const byName = subsets.get(service) ?? new Map();
  subsets.set(service, byName);
  list.forEach((s, i) => {
    const name = (s as { name?: unknown })?.name;
    if (typeof name !== 'string') return;
    const labels = ((s as { labels?: Record<string, unknown> }).labels ?? {}) as Record<string, unknown>;
    const others = Object.keys(labels).filter((k) => k !== 'version' && k !== 'app' && k !== 'app.kubernetes.io/name');
    let version = typeof labels.version === 'string' ? meshName(labels.version) : null;
    if (others.length > 0) {
      draft.warn(m, ['spec', 'subsets', i, 'labels'], `${WARN_PREFIX.never}: subset ${name} selects pods by ${others.join(', ')}; meshproof versions are the version label only, so routes to ${name} are not imported`);
      version = null;
    } else if (version === null) {
      draft.warn(m, ['spec', 'subsets', i, 'labels'], `${WARN_PREFIX.never}: subset ${name} has no version label; meshproof versions are the version label, so routes to ${name} are not imported`);
    }
    byName.set(name, { version, source: m.source(['spec', 'subsets', i, 'labels', 'version']) });
  });
}

export function importDestinationRule(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), DESTINATION_RULE, draft);
  const host = String(m.get(['spec', 'host']) ?? '');
  const service = hostService(host);
  if (!service) {
    draft.warn(m, ['spec', 'host'], `${WARN_PREFIX.later}: host ${host} is not a service of the mesh (an external host is a ServiceEntry's, whose policy meshproof reads through the egress gateway's route, or write it under mesh.<external>); not applied`);
    return;
  }
  draft.setProfile('istio', m.source(['kind']), 'a DestinationRule');
  draft.destination(service, m.source(['spec', 'host']));
  const v = new ValueReader(m, draft);
  const tp = ['spec', 'trafficPolicy'];
  const set = (keys: string[], path: FieldPath, value: unknown) => {
    if (value !== undefined) draft.set(m, service, keys, value, m.source(path));
  };

  const lbPath = [...tp, 'loadBalancer', 'simple'];
  const simple = m.get(lbPath);
  if (simple !== undefined) {
    const lb = { ROUND_ROBIN: 'round_robin', LEAST_REQUEST: 'least_request', LEAST_CONN: 'least_request', RANDOM: 'random' }[String(simple)];
    if (lb) set(['loadBalancer'], lbPath, lb);
    else if (simple !== 'UNSPECIFIED') draft.warn(m, lbPath, `${WARN_PREFIX.never}: loadBalancer ${String(simple)} (meshproof balances with round_robin, least_request or random)`);
  }

  for (const [path, key] of [
    [['tcp', 'maxConnections'], 'maxConnections'],
    [['http', 'http1MaxPendingRequests'], 'maxPendingRequests'],
    [['http', 'http2MaxRequests'], 'maxRequests'],
    [['http', 'maxRetries'], 'maxRetries'],
  ] as const) {
    const p = [...tp, 'connectionPool', ...path];
    const n = v.integer(p);
    // Istio cannot tell 0 from unset, so 0 means its default: unlimited.
    if (n !== undefined) set(['connectionPool', key], p, n === 0 ? 'unlimited' : n);
  }

  const od = [...tp, 'outlierDetection'];
  if (m.get(od) !== undefined && m.get(od) !== null) {
    draft.set(m, service, ['outlierDetection'], {}, m.source(od, true));
    const count = (field: string, key: string) => {
      const n = v.integer([...od, field]);
      if (n !== undefined) set(['outlierDetection', key], [...od, field], n === 0 ? 'none' : n);
    };
    count('consecutive5xxErrors', 'consecutive5xx');
    count('consecutiveGatewayErrors', 'consecutiveGatewayErrors');
    if (m.get([...od, 'consecutiveGatewayErrors']) === undefined) count('consecutiveErrors', 'consecutiveGatewayErrors');
    for (const f of ['interval', 'baseEjectionTime'] as const) set(['outlierDetection', f], [...od, f], v.duration([...od, f]));
    set(['outlierDetection', 'maxEjectionPercent'], [...od, 'maxEjectionPercent'], v.percent([...od, 'maxEjectionPercent']));
    set(['panicThreshold'], [...od, 'minHealthPercent'], v.percent([...od, 'minHealthPercent']));
  }

  const locality = [...tp, 'loadBalancer', 'localityLbSetting', 'enabled'];
  const enabled = v.boolean(locality);
  if (enabled === true && (m.get(od) === undefined || m.get(od) === null)) {
    // Istio applies locality failover only to destinations with outlier detection.
    draft.warn(m, locality, `${WARN_PREFIX.never}: Istio fails over by locality only when outlierDetection is set, and this rule has none; read as locality: false`);
    set(['locality'], locality, false);
  } else {
    set(['locality'], locality, enabled);
  }

  const tlsMode = m.get([...tp, 'tls', 'mode']);
  if (tlsMode !== undefined && tlsMode !== 'ISTIO_MUTUAL') {
    draft.warn(m, [...tp, 'tls', 'mode'], `${WARN_PREFIX.never}: tls mode ${String(tlsMode)}: meshproof's callers originate Istio mutual TLS on their own (auto mTLS) unless the destination's PeerAuthentication is DISABLE (services.${service}.mtls); not applied`);
  }

  const budget = [...tp, 'retryBudget'];
  if (m.get(budget) !== undefined && m.get(budget) !== null) {
    const percent = v.percent([...budget, 'percent']);
    const min = v.integer([...budget, 'minRetryConcurrency']);
    set(['retries', 'budget', 'percent'], [...budget, 'percent'], percent ?? '20%');
    set(['retries', 'budget', 'minRetryConcurrency'], [...budget, 'minRetryConcurrency'], min ?? 3);
  }
}

/** Where Istio's route timeouts, retries and faults go for one destination, and which versions its subsets are. */
interface RoutePolicy {
  timeout?: string;
  retries?: Record<string, unknown> | 'none';
  fault?: Record<string, unknown>;
}

export function importVirtualService(m: Manifest, draft: ImportDraft, subsets: Subsets): void {
  checkFields(m, ['spec'], m.get(['spec']), VIRTUAL_SERVICE, draft);
  const hosts = m.get(['spec', 'hosts']);
  const host = Array.isArray(hosts) && typeof hosts[0] === 'string' ? hosts[0] : '';
  const service = hostService(host);
  if (!service) {
    draft.warn(m, ['spec', 'hosts', 0], `${WARN_PREFIX.later}: host ${host || '(none)'} is not a service of the mesh (an external host is a ServiceEntry's, whose policy meshproof reads through the egress gateway's route, or write it under mesh.<external>); not applied`);
    return;
  }
  if (Array.isArray(hosts) && hosts.length > 1) {
    draft.warn(m, ['spec', 'hosts', 1], `${WARN_PREFIX.never}: one VirtualService for several hosts; read for ${host} only`);
  }
  draft.setProfile('istio', m.source(['kind']), 'a VirtualService');
  draft.destination(service, m.source(['spec', 'hosts', 0]));
  const http = m.get(['spec', 'http']);
  if (!Array.isArray(http)) return;
  const known = subsets.get(service) ?? new Map();
  const v = new ValueReader(m, draft);
  let fallback: { index: number; policy: RoutePolicy } | null = null;
  const headerRoutes: { index: number; policy: RoutePolicy; routes: { headers: Record<string, string>; version: string }[] }[] = [];

  http.forEach((route, i) => {
    const at = ['spec', 'http', i];
    if (fallback) {
      draft.warn(m, at, `${WARN_PREFIX.never}: unreachable: the route at http[${fallback.index}] matches every request first; not applied`);
      return;
    }
    const match = (route as { match?: unknown }).match;
    const entries = Array.isArray(match) ? (match as Record<string, unknown>[]) : [];
    const catchAll = entries.length === 0 || entries.some((e) => isEveryRequest(e));
    const policy = routePolicy(m, at, route as Record<string, unknown>, v, draft);
    const dests = destinations(m, at, service, known, draft);
    if (catchAll) {
      fallback = { index: i, policy };
      if (dests === null) return;
      if (dests.versions.length > 0) {
        const sum = dests.versions.reduce((a, d) => a + d.weight, 0);
        if (sum <= 0) {
          draft.warn(m, [...at, 'route'], `${WARN_PREFIX.never}: every destination has weight 0, so Istio would send nothing; not applied`);
        } else {
          const weights = new Map<string, number>();
          for (const d of dests.versions) weights.set(d.version, (weights.get(d.version) ?? 0) + d.weight);
          const split = Object.fromEntries([...weights].map(([version, w]) => [version, percentText(w, sum)]));
          draft.set(m, service, ['split'], split, m.source([...at, 'route']));
        }
      }
      return;
    }
    const routes: { headers: Record<string, string>; version: string }[] = [];
    entries.forEach((e, j) => {
      const headers = headerMatch(m, [...at, 'match', j], e, draft);
      if (!headers) return;
      if (dests === null || dests.versions.length !== 1) {
        const why = dests === null ? 'its destinations cannot be imported' : 'it splits by weight; meshproof routes matched requests to one version';
        draft.warn(m, [...at, 'route'], `${WARN_PREFIX.never}: the route matching ${describeHeaders(headers)} is not imported: ${why}`);
        return;
      }
      routes.push({ headers, version: dests.versions[0].version });
    });
    if (routes.length > 0) headerRoutes.push({ index: i, policy, routes });
  });

  const main: RoutePolicy = fallback ? (fallback as { policy: RoutePolicy }).policy : {};
  const mainIndex = fallback ? (fallback as { index: number }).index : null;
  if (mainIndex === null && headerRoutes.length > 0) {
    draft.warn(m, ['spec', 'http'], `${WARN_PREFIX.never}: no route matches every request, so Istio answers the others 404; meshproof sends them to every instance`);
  }
  // meshproof has one timeout, retry policy and fault per destination: a matched route's own must agree.
  for (const h of headerRoutes) {
    for (const key of ['timeout', 'retries', 'fault'] as const) {
      if (JSON.stringify(h.policy[key]) !== JSON.stringify(main[key])) {
        draft.warn(m, ['spec', 'http', h.index, key], `${WARN_PREFIX.never}: this route's ${key} differs from ${mainIndex === null ? 'the default (none)' : `http[${mainIndex}]`}'s; meshproof has one ${key} per destination, for every route, so it is not applied`);
      }
    }
  }
  if (headerRoutes.length > 0) {
    const list = headerRoutes.flatMap((h) => h.routes.map((r) => ({ match: { headers: r.headers }, version: r.version })));
    draft.set(m, service, ['routes'], list, m.source(['spec', 'http', headerRoutes[0].index, 'match']));
  }
  if (mainIndex !== null) applyRoutePolicy(m, draft, service, ['spec', 'http', mainIndex], main);
}

/** A route's timeout, retries and fault as `mesh.<service>`'s, each with the position it came from. */
export function applyRoutePolicy(m: Manifest, draft: ImportDraft, service: string, at: FieldPath, main: RoutePolicy): void {
  {
    if (main.timeout !== undefined) draft.set(m, service, ['timeout'], main.timeout, m.source([...at, 'timeout']));
    const field: Record<string, string> = { attempts: 'attempts', perTryTimeout: 'perTryTimeout', backoff: 'backoff', retryOn: 'retryOn', retriableStatusCodes: 'retryOn', delay: 'delay', abort: 'abort' };
    const block = (key: 'retries' | 'fault', value: Record<string, unknown> | 'none') => {
      if (value === 'none') draft.set(m, service, [key], value, m.source([...at, key], true));
      else for (const [k, x] of Object.entries(value)) draft.set(m, service, [key, k], x, m.source([...at, key, field[k] ?? k], true));
    };
    if (main.retries !== undefined) block('retries', main.retries);
    if (main.fault !== undefined) {
      block('fault', main.fault);
      if (main.retries !== undefined || main.timeout !== undefined) {
        draft.warn(m, [...at, 'fault'], `${WARN_PREFIX.approx}: Istio turns off this route's timeout and retries because it has a fault; meshproof applies them to the requests the fault leaves alone`);
      }
    }
  }
}

function isEveryRequest(e: Record<string, unknown>): boolean {
  const keys = Object.keys(e).filter((k) => k !== 'name');
  if (keys.length === 0) return true;
  const uri = e.uri as Record<string, unknown> | undefined;
  return keys.length === 1 && keys[0] === 'uri' && uri?.prefix === '/';
}

function headerMatch(m: Manifest, at: FieldPath, e: Record<string, unknown>, draft: ImportDraft): Record<string, string> | null {
  const other = Object.keys(e).filter((k) => !['headers', 'name', 'statPrefix', 'port'].includes(k));
  if (other.length > 0) {
    draft.warn(m, [...at, other[0]], `${WARN_PREFIX.never}: requests are told apart by ${other.join(', ')}; meshproof routes on headers only, so this match is not imported`);
    return null;
  }
  const headers: Record<string, string> = {};
  for (const [name, match] of Object.entries((e.headers ?? {}) as Record<string, Record<string, unknown>>)) {
    if (typeof match?.exact !== 'string') {
      draft.warn(m, [...at, 'headers', name], `${WARN_PREFIX.never}: header ${name} is matched by ${Object.keys(match ?? {}).join(', ') || 'nothing'}; meshproof matches exact values only, so this match is not imported`);
      return null;
    }
    headers[name.toLowerCase()] = match.exact;
  }
  return Object.keys(headers).length > 0 ? headers : null;
}

function describeHeaders(headers: Record<string, string>): string {
  return Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(', ');
}

/** The versions a route's destinations are, with their weights; null when one cannot be imported (warned). */
function destinations(
  m: Manifest,
  at: FieldPath,
  service: string,
  known: Map<string, { version: string | null }>,
  draft: ImportDraft,
): { versions: { version: string; weight: number }[] } | null {
  const route = m.get([...at, 'route']);
  if (!Array.isArray(route) || route.length === 0) return { versions: [] };
  const out: { version: string; weight: number }[] = [];
  let bare = 0;
  for (let j = 0; j < route.length; j++) {
    const d = route[j] as { destination?: { host?: string; subset?: string }; weight?: number };
    const host = d.destination?.host ?? '';
    if (hostService(host) !== service) {
      draft.warn(m, [...at, 'route', j, 'destination', 'host'], `${WARN_PREFIX.never}: requests to ${service} sent on to ${host}; meshproof sends a destination's requests to its own instances, so this route is not imported`);
      return null;
    }
    const weight = route.length === 1 ? 100 : typeof d.weight === 'number' ? d.weight : 0;
    const subset = d.destination?.subset;
    if (subset === undefined) {
      bare++;
      continue;
    }
    const found = known.get(subset);
    if (!found) {
      draft.warn(m, [...at, 'route', j, 'destination', 'subset'], `${WARN_PREFIX.never}: no DestinationRule read defines subset ${subset} of ${service}, so its version is unknown; this route is not imported`);
      return null;
    }
    if (found.version === null) return null;
    out.push({ version: found.version, weight });
  }
  if (bare > 0 && out.length > 0) {
    draft.warn(m, [...at, 'route'], `${WARN_PREFIX.never}: some destinations name a subset and some do not; meshproof splits by version only, so this route is not imported`);
    return null;
  }
  return { versions: out };
}

function percentText(weight: number, sum: number): string {
  return `${Number(((weight / sum) * 100).toPrecision(12))}%`;
}

export function routePolicy(m: Manifest, at: FieldPath, route: Record<string, unknown>, v: ValueReader, draft: ImportDraft): RoutePolicy {
  const out: RoutePolicy = {};
  const timeout = v.duration([...at, 'timeout'], 'none');
  if (timeout !== undefined) out.timeout = timeout;
  if (route.retries !== undefined && route.retries !== null) out.retries = retries(m, [...at, 'retries'], v, draft);
  if (route.fault !== undefined && route.fault !== null) {
    const f = fault(m, [...at, 'fault'], v, draft);
    if (f) out.fault = f;
  }
  return out;
}

const GRPC = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];
const UNSUPPORTED = ['retriable-headers', 'envoy-ratelimited', 'http3-post-connect-failure', 'reset-before-request'];

function retries(m: Manifest, at: FieldPath, v: ValueReader, draft: ImportDraft): Record<string, unknown> | 'none' {
  const attempts = v.integer([...at, 'attempts']);
  if (!attempts) {
    const others = Object.keys((m.get(at) ?? {}) as object).filter((k) => k !== 'attempts');
    if (others.length > 0) draft.warn(m, at, `${WARN_PREFIX.never}: attempts is ${attempts === 0 ? '0' : 'not set'}, so Istio makes no retries and ${others.join(', ')} do nothing`);
    return 'none';
  }
  const out: Record<string, unknown> = { attempts };
  const perTry = v.duration([...at, 'perTryTimeout'], 'none');
  if (perTry !== undefined && perTry !== 'none') out.perTryTimeout = perTry;
  const backoff = v.duration([...at, 'backoff']);
  if (backoff !== undefined) out.backoff = { base: backoff };
  const retryOn = v.string([...at, 'retryOn']);
  if (retryOn !== undefined) {
    const on: RetryOn[] = [];
    const codes: number[] = [];
    for (const raw of retryOn.split(',')) {
      const token = raw.trim();
      if (token === '') continue;
      if (/^\d{3}$/.test(token)) codes.push(Number(token));
      else if (['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'].includes(token)) on.push(token as RetryOn);
      else if (token === 'refused-stream') {
        on.push('reset');
        draft.warn(m, [...at, 'retryOn'], `${WARN_PREFIX.approx}: refused-stream is read as reset (meshproof speaks HTTP/1.1, where a refused stream is a reset)`);
      } else if (token === 'retriable-4xx') codes.push(409);
      else if (GRPC.includes(token)) draft.warn(m, [...at, 'retryOn'], `${WARN_PREFIX.never}: gRPC condition ${token} (meshproof speaks HTTP/1.1); not applied`);
      else if (UNSUPPORTED.includes(token)) draft.warn(m, [...at, 'retryOn'], `${WARN_PREFIX.never}: retry condition ${token}; not applied`);
      else draft.error(m, [...at, 'retryOn'], `unknown retry condition "${token}" (Envoy's are 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, a status such as 503, and the gRPC ones)`);
    }
    if (codes.length > 0 && !on.includes('retriable-status-codes')) on.push('retriable-status-codes');
    const unique = [...new Set(on)];
    out.retryOn = unique;
    if (codes.length > 0) out.retriableStatusCodes = [...new Set(codes)];
    if (unique.length === 0) {
      draft.warn(m, [...at, 'retryOn'], `${WARN_PREFIX.never}: none of these conditions is one meshproof retries on, so nothing is retried`);
      return 'none';
    }
  }
  return out;
}

function fault(m: Manifest, at: FieldPath, v: ValueReader, draft: ImportDraft): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  const percentOf = (part: string): string | undefined => {
    const value = v.percent([...at, part, 'percentage', 'value']);
    if (value !== undefined) return value;
    return v.percent([...at, part, 'percent']);
  };
  if (m.get([...at, 'delay']) !== undefined) {
    const fixed = v.duration([...at, 'delay', 'fixedDelay']);
    const percent = percentOf('delay');
    if (fixed !== undefined && percent !== undefined) out.delay = { fixed, percent };
    else if (fixed !== undefined) draft.warn(m, [...at, 'delay'], `${WARN_PREFIX.never}: a delay without a percentage delays nothing in Istio; not applied`);
  }
  if (m.get([...at, 'abort']) !== undefined) {
    const status = v.integer([...at, 'abort', 'httpStatus'], 200);
    const percent = percentOf('abort');
    if (status !== undefined && percent !== undefined) out.abort = { status, percent };
    else if (status !== undefined) draft.warn(m, [...at, 'abort'], `${WARN_PREFIX.never}: an abort without a percentage aborts nothing in Istio; not applied`);
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** Istio kinds meshproof does not read yet, or cannot express, with the reason. */
export const ISTIO_OTHER_KINDS: Record<string, { warn: 'later' | 'never'; why: string }> = {
  RequestAuthentication: { warn: 'never', why: 'JWT authentication: meshproof proves workload identities with mutual TLS only' },
  EnvoyFilter: { warn: 'never', why: 'raw Envoy configuration' },
  WorkloadEntry: { warn: 'never', why: 'workloads outside Kubernetes' },
  WorkloadGroup: { warn: 'never', why: 'workloads outside Kubernetes' },
  Telemetry: { warn: 'never', why: 'meshproof always records every request' },
  ProxyConfig: { warn: 'never', why: 'proxy settings' },
  WasmPlugin: { warn: 'never', why: 'Wasm extensions' },
};
