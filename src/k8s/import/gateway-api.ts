import { readDuration } from '../../scenario/duration.ts';
import type { Manifest } from '../manifest.ts';
import { conditionsOf, retryOnFor } from '../retry-conditions.ts';
import { checkFields, never, none, to, WARN_PREFIX, type FieldTable } from './field-rules.ts';
import type { ImportDraft } from './import-draft.ts';
import type { Topology } from './topology.ts';
import { meshName, ValueReader } from './values.ts';

/** HTTPRoute (gateway.networking.k8s.io v1 and v1beta1, and Linkerd's policy.linkerd.io copy). */
export const HTTP_ROUTE: FieldTable = {
  parentRefs: to('mesh.<service>', {
    note: 'a Service parent (GAMMA, mesh traffic) names the destination; a Gateway parent: the route is one of that gateway\'s (gateways.<name>.routes)',
    items: { group: to('the parent'), kind: to('the parent'), name: to('the parent'), namespace: none('one namespace'), port: none('one port'), sectionName: none('one listener') },
  }),
  hostnames: to('gateways.<name>.routes[].host', { note: 'at a Gateway; a mesh route (Service parent) routes by destination' }),
  rules: to('timeout, retries, split, routes', {
    items: {
      name: none('a name'),
      matches: to('routes[].match.headers', {
        note: 'a PathPrefix / matches every request; Exact header matches become routes; anything else (paths, methods, query parameters, other header match types) is warned and its rule not imported',
      }),
      backendRefs: to('split, routes[].version', {
        items: {
          name: to('the version (a per-version Service) or the whole destination'),
          weight: to('split.<version>'),
          group: none('core Services'),
          kind: none('Services'),
          namespace: none('one namespace'),
          port: none('one port'),
          filters: never('per-backend filters'),
        },
      }),
      filters: never('request and response filters (header changes, mirrors, redirects, rewrites)'),
      timeouts: to('timeout, retries.perTryTimeout', { fields: { request: to('timeout'), backendRequest: to('retries.perTryTimeout (timeout without a retry)') } }),
      retry: to('retries', {
        fields: {
          attempts: to('retries.attempts'),
          codes: to('retries.retryOn, retries.retriableStatusCodes', { note: 'plus resets and connect failures, which implementations should retry when a retry is set' }),
          backoff: to('retries.backoff.base'),
        },
      }),
      sessionPersistence: never('session persistence'),
    },
  }),
};

/**
An HTTPRoute: with a Service as parent (the GAMMA pattern Istio and Linkerd follow for mesh
traffic) it is the policy toward that service; with a Gateway as parent its rules are that
gateway's routes (gatewayRoutes).
*/
export function importHttpRoute(m: Manifest, draft: ImportDraft, topology: Topology): string[] {
  checkFields(m, ['spec'], m.get(['spec']), HTTP_ROUTE, draft);
  const parents = m.get(['spec', 'parentRefs']);
  const destinations = new Set<string>();
  (Array.isArray(parents) ? parents : []).forEach((p: Record<string, unknown>, i: number) => {
    const kind = typeof p?.kind === 'string' ? p.kind : 'Gateway';
    const name = typeof p?.name === 'string' ? p.name : '';
    if (kind === 'Service') {
      destinations.add(topology.resolve(name).service);
      return;
    }
    if (kind !== 'Gateway') {
      draft.warn(m, ['spec', 'parentRefs', i], `${WARN_PREFIX.never}: a route at a ${kind}: meshproof reads routes at a Service (mesh traffic) or a Gateway; not applied`);
      return;
    }
    gatewayRoutes(m, draft, topology, meshName(name) ?? name, ['spec', 'parentRefs', i], i === 0 || !gatewayParentBefore(parents as unknown[], i));
  });
  for (const service of destinations) route(m, draft, topology, service);
  return [...destinations];
}

function gatewayParentBefore(parents: unknown[], i: number): boolean {
  return parents.slice(0, i).some((p) => ((p as { kind?: unknown })?.kind ?? 'Gateway') === 'Gateway');
}

/** Gateway (gateway.networking.k8s.io v1). */
export const GATEWAY: FieldTable = {
  gatewayClassName: none('the implementation: meshproof\'s gateway is a proxy of its own'),
  listeners: to('gateways.<name>.tls', {
    items: {
      name: none('a name'),
      port: none('a listener is where the load balancer in front sends'),
      protocol: to('gateways.<name>.tls', { note: 'HTTPS with tls.mode Terminate → tls: true; HTTP → plain; others are warned' }),
      hostname: none('the hosts a gateway serves are its routes\''),
      tls: to('gateways.<name>.tls', { fields: { mode: to('tls', { note: 'Terminate; Passthrough is warned' }), certificateRefs: none('the certificate: meshproof issues the gateway its own (from the mesh CA with security, else self-signed)'), options: none('implementation options'), frontendValidation: never('client certificates') } }),
      allowedRoutes: none('one namespace'),
    },
  }),
  addresses: none('meshproof\'s gateway listens on loopback'),
  infrastructure: none('how the implementation deploys the gateway'),
  tls: never('TLS settings of the whole gateway'),
  allowedListeners: none('one namespace'),
  defaultScope: none('a scope'),
};

/** A Gateway API Gateway: an ingress gateway, terminating TLS when an HTTPS listener does. */
export function importGateway(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), GATEWAY, draft);
  const name = meshName(m.name);
  if (!name) {
    draft.warn(m, ['metadata', 'name'], `${WARN_PREFIX.never}: a gateway named ${m.name} has no name meshproof can use; not applied`);
    return;
  }
  let tls = false;
  const listeners = m.get(['spec', 'listeners']);
  (Array.isArray(listeners) ? listeners : []).forEach((l: Record<string, unknown>, i: number) => {
    const protocol = String(l?.protocol ?? '');
    const mode = (l?.tls as { mode?: string } | undefined)?.mode ?? 'Terminate';
    if (protocol === 'HTTPS' && mode === 'Terminate') tls = true;
    else if (protocol !== 'HTTP') draft.warn(m, ['spec', 'listeners', i, 'protocol'], `${WARN_PREFIX.never}: a ${protocol}${protocol === 'TLS' || protocol === 'HTTPS' ? ` ${mode}` : ''} listener: meshproof's gateway speaks HTTP, or HTTPS it terminates; not applied`);
  });
  if (!draft.gateways.has(name)) draft.gateways.set(name, { name, kind: 'ingress', tls, routes: [], source: m.source(['metadata', 'name']) });
}

/** An HTTPRoute's rules as routes of the gateway its parent names: hostnames, path and header matches, weighted backends. */
function gatewayRoutes(m: Manifest, draft: ImportDraft, topology: Topology, gateway: string, parentAt: (string | number)[], warn: boolean): void {
  let g = draft.gateways.get(gateway);
  if (!g) {
    if (warn) draft.warn(m, parentAt, `${WARN_PREFIX.approx}: no Gateway ${gateway} was read; the gateway is declared with the defaults (plain HTTP, one replica)`);
    g = { name: gateway, kind: 'ingress', tls: false, routes: [], source: m.source(parentAt) };
    draft.gateways.set(gateway, g);
  }
  const say = (path: (string | number)[], message: string) => {
    if (warn) draft.warn(m, path, message);
  };
  const hostnames = (m.get(['spec', 'hostnames']) as unknown[] | undefined)?.map(String) ?? [];
  const rules = m.get(['spec', 'rules']);
  (Array.isArray(rules) ? rules : []).forEach((rule: Record<string, unknown>, i: number) => {
    const at = ['spec', 'rules', i];
    const blocks: Record<string, unknown>[] = [];
    const matches = Array.isArray(rule.matches) ? (rule.matches as Record<string, unknown>[]) : [];
    for (const [j, match] of matches.entries()) {
      const other = Object.keys(match).filter((k) => k !== 'path' && k !== 'headers');
      if (other.length > 0) return say([...at, 'matches', j, other[0]!], `${WARN_PREFIX.never}: requests are told apart by ${other.join(', ')}; meshproof's gateway routes on host, path and headers, so this rule is not imported`);
      const out: Record<string, unknown> = {};
      const path = match.path as { type?: string; value?: string } | undefined;
      if (path) {
        const kind = { Exact: 'exact', PathPrefix: 'prefix', RegularExpression: 'regex' }[path.type ?? 'PathPrefix'];
        if (!kind) return say([...at, 'matches', j, 'path', 'type'], `${WARN_PREFIX.never}: a path matched by ${path.type}; this rule is not imported`);
        if (!(kind === 'prefix' && (path.value ?? '/') === '/')) {
          out.path = { [kind]: path.value ?? '/' };
          if (kind === 'prefix' && !String(path.value).endsWith('/')) say([...at, 'matches', j, 'path'], `${WARN_PREFIX.approx}: the Gateway API's PathPrefix matches whole path segments, meshproof's (as Istio's) any string prefix: ${path.value} also takes ${path.value}s`);
        }
      }
      const headers: Record<string, unknown> = {};
      for (const [k, h] of ((match.headers ?? []) as { type?: string; name?: string; value?: string }[]).entries()) {
        const type = h.type ?? 'Exact';
        if (type !== 'Exact' && type !== 'RegularExpression') return say([...at, 'matches', j, 'headers', k, 'type'], `${WARN_PREFIX.never}: a header matched by ${type}; this rule is not imported`);
        headers[String(h.name).toLowerCase()] = type === 'Exact' ? String(h.value) : { regex: String(h.value) };
      }
      if (Object.keys(headers).length > 0) out.headers = headers;
      blocks.push(out);
    }
    const refs = Array.isArray(rule.backendRefs) ? (rule.backendRefs as { name?: string; weight?: number }[]) : [];
    const weights = new Map<string, number>();
    for (const b of refs) {
      const service = topology.resolve(String(b.name ?? '')).service;
      weights.set(service, (weights.get(service) ?? 0) + (refs.length === 1 ? 1 : (b.weight ?? 1)));
    }
    if (weights.size === 0) return say([...at, 'backendRefs'], `${WARN_PREFIX.never}: a rule with no backend; not imported`);
    for (const key of ['timeouts', 'retry'] as const) {
      if (rule[key] !== undefined) say([...at, key], `${WARN_PREFIX.approx}: meshproof's gateway applies its destinations' own policy (mesh.<service>), as a caller's sidecar does; this rule's ${key} is not applied`);
    }
    const sum = [...weights.values()].reduce((a, w) => a + w, 0);
    const route: Record<string, unknown> = {};
    if (hostnames.length > 0) route.host = hostnames.length === 1 ? hostnames[0] : hostnames;
    if (blocks.length > 0 && blocks.every((b) => Object.keys(b).length > 0)) route.match = blocks.length === 1 ? blocks[0] : blocks;
    route.to = weights.size === 1 ? [...weights.keys()][0] : Object.fromEntries([...weights].map(([svc, w]) => [svc, `${Number(((w / Math.max(1, sum)) * 100).toPrecision(12))}%`]));
    g!.routes.push(route);
  });
}

function route(m: Manifest, draft: ImportDraft, topology: Topology, service: string): void {
  const rules = m.get(['spec', 'rules']);
  if (!Array.isArray(rules)) return;
  const v = new ValueReader(m, draft);
  draft.destination(service, m.source(['spec', 'parentRefs']));
  let defaultRule: number | null = null;
  const routes: { match: { headers: Record<string, string> }; version: string }[] = [];
  rules.forEach((rule: Record<string, unknown>, i: number) => {
    const at = ['spec', 'rules', i];
    const matches = Array.isArray(rule.matches) ? (rule.matches as Record<string, unknown>[]) : [];
    const backends = versions(m, [...at, 'backendRefs'], rule.backendRefs, service, topology, draft);
    if (matches.length === 0 || matches.some(matchesEverything)) {
      if (defaultRule !== null) {
        draft.warn(m, at, `${WARN_PREFIX.never}: rules[${defaultRule}] already matches every request, and the first such rule wins; not applied`);
        return;
      }
      defaultRule = i;
      policy(m, at, rule, v, draft, service);
      if (backends && backends.some((b) => b.version !== null)) {
        if (backends.some((b) => b.version === null)) {
          draft.warn(m, [...at, 'backendRefs'], `${WARN_PREFIX.never}: some backends are a version of ${service} and some are all of it; meshproof splits by version only, so this split is not imported`);
        } else {
          const sum = backends.reduce((a, b) => a + b.weight, 0);
          const weights = new Map<string, number>();
          for (const b of backends) weights.set(b.version!, (weights.get(b.version!) ?? 0) + b.weight);
          if (sum > 0) draft.set(m, service, ['split'], Object.fromEntries([...weights].map(([ver, w]) => [ver, `${Number(((w / sum) * 100).toPrecision(12))}%`])), m.source([...at, 'backendRefs']));
        }
      }
      return;
    }
    matches.forEach((match, j) => {
      const headers = headerMatch(m, [...at, 'matches', j], match, draft);
      if (!headers) return;
      if (!backends || backends.length !== 1 || backends[0].version === null) {
        draft.warn(m, [...at, 'backendRefs'], `${WARN_PREFIX.never}: a matched rule must send to one version of ${service} (one backendRef to a per-version Service) for meshproof to route it; not imported`);
        return;
      }
      routes.push({ match: { headers }, version: backends[0].version });
    });
    for (const key of ['timeouts', 'retry'] as const) {
      if (rule[key] !== undefined) draft.warn(m, [...at, key], `${WARN_PREFIX.never}: a matched rule's own ${key}: meshproof has one per destination (the rule that matches every request sets it); not applied`);
    }
  });
  if (routes.length > 0) draft.set(m, service, ['routes'], routes, m.source(['spec', 'rules']));
}

function matchesEverything(match: Record<string, unknown>): boolean {
  const keys = Object.keys(match);
  const path = match.path as { type?: string; value?: string } | undefined;
  return keys.length === 0 || (keys.length === 1 && keys[0] === 'path' && (path?.type ?? 'PathPrefix') === 'PathPrefix' && (path?.value ?? '/') === '/');
}

function headerMatch(m: Manifest, at: (string | number)[], match: Record<string, unknown>, draft: ImportDraft): Record<string, string> | null {
  const other = Object.keys(match).filter((k) => k !== 'headers' && !(k === 'path' && matchesEverything({ path: match.path })));
  if (other.length > 0) {
    draft.warn(m, [...at, other[0]], `${WARN_PREFIX.never}: requests are told apart by ${other.join(', ')}; meshproof routes on headers only, so this match is not imported`);
    return null;
  }
  const headers: Record<string, string> = {};
  const list = Array.isArray(match.headers) ? (match.headers as { type?: string; name?: string; value?: string }[]) : [];
  for (let k = 0; k < list.length; k++) {
    const h = list[k];
    if ((h.type ?? 'Exact') !== 'Exact' || typeof h.name !== 'string' || typeof h.value !== 'string') {
      draft.warn(m, [...at, 'headers', k], `${WARN_PREFIX.never}: header ${h.name ?? '?'} is matched by ${h.type}; meshproof matches exact values only, so this match is not imported`);
      return null;
    }
    headers[h.name.toLowerCase()] = h.value;
  }
  return Object.keys(headers).length > 0 ? headers : null;
}

function versions(
  m: Manifest,
  at: (string | number)[],
  refs: unknown,
  service: string,
  topology: Topology,
  draft: ImportDraft,
): { version: string | null; weight: number }[] | null {
  if (!Array.isArray(refs)) return [];
  const out: { version: string | null; weight: number }[] = [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i] as { name?: string; kind?: string; weight?: number };
    if ((ref.kind ?? 'Service') !== 'Service' || typeof ref.name !== 'string') {
      draft.warn(m, [...at, i], `${WARN_PREFIX.never}: a backend that is not a Service; this rule's backends are not imported`);
      return null;
    }
    const r = topology.resolve(ref.name);
    if (r.service !== service) {
      draft.warn(m, [...at, i, 'name'], `${WARN_PREFIX.never}: requests to ${service} sent on to ${ref.name}, another service; meshproof sends a destination's requests to its own instances, so this rule's backends are not imported`);
      return null;
    }
    out.push({ version: r.version, weight: typeof ref.weight === 'number' ? ref.weight : 1 });
  }
  return out;
}

function policy(m: Manifest, at: (string | number)[], rule: Record<string, unknown>, v: ValueReader, draft: ImportDraft, service: string): void {
  const request = v.duration([...at, 'timeouts', 'request'], 'none');
  const backendRequest = v.duration([...at, 'timeouts', 'backendRequest'], 'none');
  const retry = rule.retry as Record<string, unknown> | undefined;
  if (retry === undefined || retry === null) {
    // Without a retry, the one try is bounded by both: the shorter one is the request's timeout.
    const shorter = [request, backendRequest].filter((d): d is string => d !== undefined && d !== 'none').sort((a, b) => readMs(a) - readMs(b))[0];
    if (shorter !== undefined) {
      const field = shorter === request ? 'request' : 'backendRequest';
      draft.set(m, service, ['timeout'], shorter, m.source([...at, 'timeouts', field]));
    } else if (request === 'none') draft.set(m, service, ['timeout'], 'none', m.source([...at, 'timeouts', 'request']));
    return;
  }
  if (request !== undefined) draft.set(m, service, ['timeout'], request, m.source([...at, 'timeouts', 'request']));
  const retryAt = [...at, 'retry'];
  const attempts = v.integer([...retryAt, 'attempts']);
  if (attempts !== undefined) draft.set(m, service, ['retries', 'attempts'], attempts, m.source([...retryAt, 'attempts']));
  if (attempts === 0) return;
  const codes = Array.isArray(retry.codes) ? (retry.codes as unknown[]).filter((c): c is number => typeof c === 'number') : [];
  const { retryOn, retriableStatusCodes } = retryOnFor({ ...conditionsOf([], []), statuses: [...new Set(codes)].sort((a, b) => a - b), noResponse: true, connectFailure: true });
  const codesAt = retry.codes !== undefined ? [...retryAt, 'codes'] : retryAt;
  draft.set(m, service, ['retries', 'retryOn'], retryOn, m.source(codesAt));
  if (retriableStatusCodes.length > 0) draft.set(m, service, ['retries', 'retriableStatusCodes'], retriableStatusCodes, m.source(codesAt));
  if (backendRequest !== undefined && backendRequest !== 'none') draft.set(m, service, ['retries', 'perTryTimeout'], backendRequest, m.source([...at, 'timeouts', 'backendRequest']));
  const backoff = v.duration([...retryAt, 'backoff']);
  if (backoff !== undefined) draft.set(m, service, ['retries', 'backoff', 'base'], backoff, m.source([...retryAt, 'backoff']));
}

function readMs(d: string): number {
  const r = readDuration(d);
  return r.ok ? r.value : Infinity;
}


/** Gateway API kinds meshproof does not read, with the reason. */
export const GATEWAY_API_OTHER_KINDS: Record<string, { warn: 'later' | 'never' | 'none'; why: string }> = {
  GatewayClass: { warn: 'none', why: 'the gateway implementation' },
  ListenerSet: { warn: 'never', why: 'listeners merged from other resources: declare them on the Gateway' },
  GRPCRoute: { warn: 'never', why: 'gRPC routes: meshproof speaks HTTP/1.1' },
  TCPRoute: { warn: 'never', why: 'TCP routes: meshproof routes HTTP' },
  TLSRoute: { warn: 'never', why: 'TLS routes: meshproof routes HTTP' },
  UDPRoute: { warn: 'never', why: 'UDP routes' },
  ReferenceGrant: { warn: 'none', why: 'one namespace' },
  BackendTLSPolicy: { warn: 'later', why: 'TLS to backends comes with meshproof\'s security policies (issue 13)' },
  XBackendTrafficPolicy: { warn: 'never', why: 'a retry budget over a time interval (GEP-3388); meshproof\'s budget limits retries in flight, as Envoy\'s does' },
};
