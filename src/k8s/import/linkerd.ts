import { formatDuration } from '../../util/format.ts';
import { readDuration } from '../../scenario/duration.ts';
import type { Manifest } from '../manifest.ts';
import { ALL_5XX, GATEWAY_ERRORS, retryOnFor } from '../retry-conditions.ts';
import { WARN_PREFIX, type FieldRule, type FieldTable } from './field-rules.ts';
import type { ImportDraft } from './import-draft.ts';

/**
Linkerd's policy annotations (Linkerd 2.16 and later: on a Service, or on an HTTPRoute whose parent
is a Service). The table generates the docs; the importer below reads them.
*/
export const LINKERD_ANNOTATIONS: FieldTable = {
  'retry.linkerd.io/http': { to: 'retries.retryOn, retries.retriableStatusCodes', note: '5xx → 5xx, gateway-error → gateway-error, codes and ranges → retriableStatusCodes (with reset: Linkerd retries timed-out tries)' },
  'retry.linkerd.io/limit': { to: 'retries.attempts', note: 'default 1' },
  'retry.linkerd.io/timeout': { to: 'retries.perTryTimeout' },
  'retry.linkerd.io/grpc': { warn: 'never', why: 'gRPC retry conditions: meshproof speaks HTTP/1.1' },
  'timeout.linkerd.io/request': { to: 'timeout' },
  'timeout.linkerd.io/response': { to: 'timeout (when no request timeout is set)', note: 'warned: it ends when the response headers arrive' },
  'timeout.linkerd.io/idle': { warn: 'never', why: 'idle timeouts' },
  'balancer.linkerd.io/failure-accrual': { to: 'outlierDetection', note: 'consecutive; unified is read for its consecutive part' },
  'balancer.linkerd.io/failure-accrual-consecutive-max-failures': { to: 'outlierDetection.consecutive5xx' },
  'balancer.linkerd.io/failure-accrual-consecutive-min-penalty': { to: 'outlierDetection.baseEjectionTime' },
  'balancer.linkerd.io/failure-accrual-consecutive-max-penalty': { to: 'outlierDetection.maxEjectionTime' },
  'balancer.linkerd.io/failure-accrual-consecutive-jitter-ratio': { warn: 'approx', why: 'meshproof\'s ejections have no jitter' },
};

const POLICY_PREFIXES = ['retry.linkerd.io/', 'timeout.linkerd.io/', 'balancer.linkerd.io/', 'balancer.alpha.linkerd.io/'];

/** The policy annotations of a resource, by key, with where each is. */
function policyAnnotations(m: Manifest): [string, string][] {
  return Object.entries(m.annotations).filter(([k]) => POLICY_PREFIXES.some((p) => k.startsWith(p)));
}

/**
Reads the Linkerd annotations of a Service or an HTTPRoute toward `service`. Linkerd's precedence:
any retry annotation on a route replaces every retry annotation of the Service, and likewise for
timeouts; so routes are read first (`fromRoute`), and a Service's group is skipped when a route set it.
*/
export function importLinkerdAnnotations(m: Manifest, service: string, draft: ImportDraft, fromRoute: boolean, routeGroups: Set<string>): void {
  const annotations = policyAnnotations(m);
  if (annotations.length === 0) return;
  const at = (key: string) => ['metadata', 'annotations', key];
  const source = (key: string) => m.source(at(key));
  draft.setProfile('linkerd', source(annotations[0][0]), `Linkerd's ${annotations[0][0]} annotation`);
  draft.destination(service, source(annotations[0][0]));
  const a = Object.fromEntries(annotations);
  const groups = new Set(annotations.map(([k]) => k.split('/')[0]));
  for (const [key] of annotations) {
    const rule: FieldRule | undefined = LINKERD_ANNOTATIONS[key];
    if (!rule) draft.warn(m, at(key), `${WARN_PREFIX.never}: annotation ${key} (meshproof reads ${Object.keys(LINKERD_ANNOTATIONS).join(', ')}); not applied`);
    else if ('warn' in rule) draft.warn(m, at(key), `${WARN_PREFIX[rule.warn]}: ${rule.why}`);
  }
  const duration = (key: string): string | undefined => {
    if (a[key] === undefined) return undefined;
    const r = readDuration(a[key]);
    if (!r.ok) {
      draft.error(m, at(key), r.message);
      return undefined;
    }
    return formatDuration(r.value);
  };
  const skip = (group: string) => {
    if (fromRoute || !routeGroups.has(group)) return false;
    const key = annotations.find(([k]) => k.startsWith(`${group}/`))![0];
    draft.warn(m, at(key), `not applied: an HTTPRoute toward ${service} has ${group} annotations, and Linkerd then ignores every ${group} annotation of the Service`);
    return true;
  };
  if (groups.has('retry.linkerd.io') && !skip('retry.linkerd.io')) {
    if (fromRoute) routeGroups.add('retry.linkerd.io');
    retries(m, service, a, draft, duration, at);
  }
  if (groups.has('timeout.linkerd.io') && !skip('timeout.linkerd.io')) {
    if (fromRoute) routeGroups.add('timeout.linkerd.io');
    const request = duration('timeout.linkerd.io/request');
    const response = duration('timeout.linkerd.io/response');
    if (request !== undefined) draft.set(m, service, ['timeout'], request, source('timeout.linkerd.io/request'));
    if (response !== undefined) {
      if (request === undefined) {
        draft.set(m, service, ['timeout'], response, source('timeout.linkerd.io/response'));
        draft.warn(m, at('timeout.linkerd.io/response'), `${WARN_PREFIX.approx}: Linkerd's response timeout ends when the response headers arrive; meshproof's timeout covers the whole request`);
      } else {
        draft.warn(m, at('timeout.linkerd.io/response'), `${WARN_PREFIX.never}: a response timeout beside a request timeout; meshproof has one whole-request timeout (the request timeout is applied)`);
      }
    }
  }
  const accrual = a['balancer.linkerd.io/failure-accrual'];
  if (accrual !== undefined && !fromRoute) {
    if (accrual !== 'consecutive' && accrual !== 'unified') {
      draft.error(m, at('balancer.linkerd.io/failure-accrual'), `found "${accrual}"; expected consecutive or unified`);
      return;
    }
    if (accrual === 'unified') draft.warn(m, at('balancer.linkerd.io/failure-accrual'), `${WARN_PREFIX.approx}: unified failure accrual also trips on a low success rate; meshproof applies its consecutive-failures part`);
    const od = ['outlierDetection'];
    const s = source('balancer.linkerd.io/failure-accrual');
    const max = a['balancer.linkerd.io/failure-accrual-consecutive-max-failures'];
    const failures = max === undefined ? 7 : Number(max);
    if (!Number.isInteger(failures) || failures < 0) draft.error(m, at('balancer.linkerd.io/failure-accrual-consecutive-max-failures'), `found "${max}"; expected a whole number`);
    draft.set(m, service, [...od, 'consecutive5xx'], failures === 0 ? 'none' : failures, max === undefined ? s : source('balancer.linkerd.io/failure-accrual-consecutive-max-failures'));
    draft.set(m, service, [...od, 'baseEjectionTime'], duration('balancer.linkerd.io/failure-accrual-consecutive-min-penalty') ?? '1s', a['balancer.linkerd.io/failure-accrual-consecutive-min-penalty'] === undefined ? s : source('balancer.linkerd.io/failure-accrual-consecutive-min-penalty'));
    draft.set(m, service, [...od, 'maxEjectionTime'], duration('balancer.linkerd.io/failure-accrual-consecutive-max-penalty') ?? '1m', a['balancer.linkerd.io/failure-accrual-consecutive-max-penalty'] === undefined ? s : source('balancer.linkerd.io/failure-accrual-consecutive-max-penalty'));
    // Linkerd trips any endpoint and has no sweep: the values meshproof's linkerd profile models it with.
    draft.set(m, service, [...od, 'interval'], '1s', s);
    draft.set(m, service, [...od, 'maxEjectionPercent'], '100%', s);
  }
}

function retries(
  m: Manifest,
  service: string,
  a: Record<string, string>,
  draft: ImportDraft,
  duration: (key: string) => string | undefined,
  at: (key: string) => (string | number)[],
): void {
  const source = (key: string) => m.source(at(key));
  const http = a['retry.linkerd.io/http'];
  const statuses = new Set<number>();
  if (http !== undefined) {
    for (const raw of http.split(',')) {
      const token = raw.trim();
      const range = /^(\d{3})-(\d{3})$/.exec(token);
      if (token === '5xx') ALL_5XX.forEach((s) => statuses.add(s));
      else if (token === 'gateway-error') GATEWAY_ERRORS.forEach((s) => statuses.add(s));
      else if (/^\d{3}$/.test(token)) statuses.add(Number(token));
      else if (range && Number(range[1]) <= Number(range[2])) for (let s = Number(range[1]); s <= Number(range[2]); s++) statuses.add(s);
      else if (token !== '') draft.error(m, at('retry.linkerd.io/http'), `found "${token}"; expected 5xx, gateway-error, a status such as 503 or a range such as 500-504`);
    }
  } else {
    draft.warn(m, at(Object.keys(a).find((k) => k.startsWith('retry.linkerd.io/'))!), `${WARN_PREFIX.approx}: no retry.linkerd.io/http, so no status is retried; meshproof retries only tries that get no response (timed out, reset)`);
  }
  // Linkerd retries a try that timed out (retry.linkerd.io/timeout): meshproof's "reset" covers it.
  const { retryOn, retriableStatusCodes } = retryOnFor({ statuses: [...statuses].sort((x, y) => x - y), noResponse: true, connectFailure: true });
  const s = source(http !== undefined ? 'retry.linkerd.io/http' : Object.keys(a).find((k) => k.startsWith('retry.linkerd.io/'))!);
  const limit = a['retry.linkerd.io/limit'];
  const attempts = limit === undefined ? 1 : Number(limit);
  if (!Number.isInteger(attempts) || attempts < 0) {
    draft.error(m, at('retry.linkerd.io/limit'), `found "${limit}"; expected a whole number`);
    return;
  }
  if (attempts === 0) {
    draft.set(m, service, ['retries'], 'none', source('retry.linkerd.io/limit'));
    return;
  }
  draft.set(m, service, ['retries', 'attempts'], attempts, limit === undefined ? s : source('retry.linkerd.io/limit'));
  draft.set(m, service, ['retries', 'retryOn'], retryOn, s);
  if (retriableStatusCodes.length > 0) draft.set(m, service, ['retries', 'retriableStatusCodes'], retriableStatusCodes, s);
  const perTry = duration('retry.linkerd.io/timeout');
  if (perTry !== undefined) draft.set(m, service, ['retries', 'perTryTimeout'], perTry, source('retry.linkerd.io/timeout'));
}

/** Linkerd kinds meshproof does not read, with the reason. */
export const LINKERD_OTHER_KINDS: Record<string, { warn: 'later' | 'never'; why: string }> = {
  ServiceProfile: { warn: 'never', why: 'ServiceProfiles are Linkerd\'s legacy retry and timeout configuration; write the retry.linkerd.io and timeout.linkerd.io annotations (Linkerd 2.16 and later)' },
  Server: { warn: 'later', why: 'server policies come with meshproof\'s security policies (issue 13)' },
  ServerAuthorization: { warn: 'later', why: 'authorization comes with meshproof\'s security policies (issue 13)' },
  AuthorizationPolicy: { warn: 'later', why: 'authorization comes with meshproof\'s security policies (issue 13)' },
  MeshTLSAuthentication: { warn: 'later', why: 'mTLS identities come with meshproof\'s security policies (issue 13)' },
  NetworkAuthentication: { warn: 'later', why: 'authorization comes with meshproof\'s security policies (issue 13)' },
  HTTPLocalRateLimitPolicy: { warn: 'never', why: 'write the rate limit as services.<name>.rateLimit' },
  EgressNetwork: { warn: 'later', why: 'an EgressNetwork is not read yet: its trafficPolicy Deny is mesh.outboundTrafficPolicy REGISTRY_ONLY, Allow ALLOW_ANY; write it in the scenario' },
  ExternalWorkload: { warn: 'never', why: 'workloads outside Kubernetes' },
};
