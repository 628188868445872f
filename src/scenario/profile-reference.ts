import { formatDuration, formatPercent } from '../util/format.ts';
import { DEFAULT_PROFILE, MESH_PROFILES, PROFILES, type ProfileDefaults } from '../contract/defaults.ts';
import type { MeshProfile } from './scenario.ts';

/**
The table of docs/profiles.md: every default each profile fills in, read from the table of defaults (src/contract/defaults.ts, so the
page cannot drift from what the normaliser does), with where each value is documented upstream.
`npm run schema` rewrites it between its markers; a test fails when the committed page is stale.
*/

const L = {
  envoyRoute: '[Envoy route timeout](https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts)',
  envoyRouter: '[Envoy router filter](https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter)',
  envoyCb: '[Envoy circuit_breaker.proto](https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto)',
  envoyOd: '[Envoy outlier_detection.proto](https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto)',
  envoyPanic: '[Envoy panic threshold](https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold)',
  envoyLb: '[Envoy load balancers](https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers)',
  envoyHc: '[Envoy health_check.proto](https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto)',
  envoyPriority: '[Envoy priority levels](https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/priority)',
  istioVs: '[Istio VirtualService](https://istio.io/latest/docs/reference/config/networking/virtual-service/)',
  istioRetry: '[Istio retry.go](https://github.com/istio/istio/blob/master/pilot/pkg/networking/core/route/retry/retry.go)',
  istioPilot: '[Istio pilot.go](https://github.com/istio/istio/blob/master/pilot/pkg/features/pilot.go) (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, true)',
  istio124: '[Istio 1.24 upgrade notes](https://istio.io/latest/news/releases/1.24.x/announcing-1.24/upgrade-notes/)',
  istioDr: '[Istio DestinationRule](https://istio.io/latest/docs/reference/config/networking/destination-rule/)',
  linkerdRetries: '[Linkerd retries](https://linkerd.io/2-edge/reference/retries/)',
  linkerdTimeouts: '[Linkerd timeouts](https://linkerd.io/2-edge/reference/timeouts/)',
  linkerdCb: '[Linkerd circuit breaking](https://linkerd.io/2-edge/reference/circuit-breaking/)',
  linkerdLb: '[Linkerd load balancing](https://linkerd.io/2-edge/reference/load-balancing/)',
  envoyRouterProto: '[Envoy router.proto](https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/router/v3/router.proto)',
  k8sProbe: '[Kubernetes probe defaults](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#configure-probes)',
};

interface Row {
  key: string;
  value: (p: ProfileDefaults) => string;
  sources: string;
}

const limit = (n: number | null) => (n === null ? 'unlimited' : String(n));
const list = (xs: readonly (string | number)[]) => (xs.length ? xs.join(', ') : '—');

const ROWS: Row[] = [
  { key: '`timeout`', value: (p) => (p.timeoutMs === null ? 'none' : formatDuration(p.timeoutMs)), sources: `${L.envoyRoute} (15s); ${L.istioVs} (disabled); ${L.linkerdTimeouts} (none on routes)` },
  {
    key: '`retries` (not written)',
    value: (p) => (p.retries ? `${p.retries.attempts} on ${list([...p.retries.retryOn.filter((c) => c !== 'retriable-status-codes'), ...p.retries.retriableStatusCodes])}` : 'none'),
    sources: `${L.envoyRouter} (no policy, no retries); ${L.istioRetry} (attempts 2; connect-failure, refused-stream, unavailable, cancelled — refused-stream is a reset here, the gRPC ones have no HTTP/1 form), and 503 only up to 1.23: ${L.istioPilot}, ${L.istio124}; ${L.linkerdRetries} (off)`,
  },
  { key: '`retries.attempts`', value: (p) => String(p.retriesBlock.attempts), sources: `${L.envoyRouter} (num_retries 1); ${L.istioRetry}; ${L.linkerdRetries} (limit 1)` },
  { key: '`retries.retryOn`', value: (p) => list(p.retriesBlock.retryOn), sources: `meshproof's choice for Envoy and Linkerd (5xx, Linkerd's example condition); ${L.istioRetry} (a written retries block keeps the default conditions)` },
  { key: '`retries.retriableStatusCodes`', value: (p) => list(p.retriesBlock.retriableStatusCodes), sources: `${L.istioRetry}; 503 up to 1.23 only (${L.istioPilot})` },
  {
    key: '`retries.backoff`',
    value: ({ retriesBlock: { backoff: b } }) => `${formatDuration(b.baseMs)}, max ${b.maxTimesBase} × base (${formatDuration(b.baseMs * b.maxTimesBase)})`,
    sources: `${L.envoyRouter} (base 25ms, max 10 × base); Istio sets only the base (25ms); Linkerd does not document one`,
  },
  {
    key: '`retries.budget` (percent, minRetryConcurrency), when written',
    value: ({ retriesBlock: { budget: b } }) => `${formatPercent(b.percent)}, ${b.minRetryConcurrency}`,
    sources: `${L.envoyCb} (RetryBudget: budget_percent 20%, min_retry_concurrency 3)`,
  },
  { key: '`loadBalancer`', value: (p) => p.loadBalancer, sources: `${L.envoyLb}; ${L.istioDr} (LEAST_REQUEST); ${L.linkerdLb} (peak EWMA with P2C, nearest: least_request)` },
  { key: '`connectionPool.maxConnections`', value: (p) => limit(p.connectionPool.maxConnections), sources: `${L.envoyCb} (1024); ${L.istioDr} (2^32−1); Linkerd has no breaker` },
  { key: '`connectionPool.maxPendingRequests`', value: (p) => limit(p.connectionPool.maxPendingRequests), sources: `${L.envoyCb} (1024); ${L.istioDr} (http1MaxPendingRequests 2^32−1)` },
  { key: '`connectionPool.maxRequests`', value: (p) => limit(p.connectionPool.maxRequests), sources: `${L.envoyCb} (1024); ${L.istioDr} (http2MaxRequests 2^32−1)` },
  { key: '`connectionPool.maxRetries`', value: (p) => limit(p.connectionPool.maxRetries), sources: `${L.envoyCb} (3; a retry budget replaces it); ${L.istioDr} (2^32−1)` },
  { key: '`panicThreshold`', value: (p) => formatPercent(p.panicThreshold), sources: `${L.envoyPanic} (50%); ${L.istioDr} (minHealthPercent 0); Linkerd answers 503 when every endpoint is tripped (${L.linkerdCb})` },
  { key: '`outlierDetection.consecutive5xx`', value: (p) => String(p.outlierDetection.consecutive5xx), sources: `${L.envoyOd} (5); ${L.istioDr} (consecutive5xxErrors 5); ${L.linkerdCb} (max-failures 7)` },
  { key: '`outlierDetection.consecutiveGatewayErrors`', value: (p) => (p.outlierDetection.consecutiveGatewayErrors === null ? 'none' : String(p.outlierDetection.consecutiveGatewayErrors)), sources: `${L.envoyOd} (detected, enforcing 0%); ${L.istioDr} (off)` },
  {
    key: '`outlierDetection.interval`',
    value: (p) => formatDuration(p.outlierDetection.intervalMs),
    sources: `${L.envoyOd} (10s); ${L.istioDr} (10s); Linkerd has no sweep: probation starts when the penalty ends, which a 1s sweep approximates`,
  },
  { key: '`outlierDetection.baseEjectionTime`', value: (p) => formatDuration(p.outlierDetection.baseEjectionTimeMs), sources: `${L.envoyOd} (30s); ${L.istioDr} (30s); ${L.linkerdCb} (min-penalty 1s)` },
  { key: '`outlierDetection.maxEjectionTime`', value: (p) => formatDuration(p.outlierDetection.maxEjectionTimeMs), sources: `${L.envoyOd} (300s); Istio inherits Envoy's; ${L.linkerdCb} (max-penalty 1m)` },
  { key: '`outlierDetection.maxEjectionPercent`', value: (p) => formatPercent(p.outlierDetection.maxEjectionPercent), sources: `${L.envoyOd} (10%, enforced strictly); ${L.istioDr} (10%); Linkerd trips any endpoint` },
  {
    key: '`healthCheck` (interval, timeout, unhealthy, healthy, path)',
    value: (p) => `${formatDuration(p.healthCheck.intervalMs)}, ${formatDuration(p.healthCheck.timeoutMs)}, ${p.healthCheck.unhealthyThreshold}, ${p.healthCheck.healthyThreshold}, ${p.healthCheck.path}`,
    sources: `${L.envoyHc} requires all four (no defaults); Istio and Linkerd rely on readiness probes, so all three use the ${L.k8sProbe} (period 10s, timeout 1s, failure 3, success 1)`,
  },
  {
    key: '`locality.enabled`',
    value: (p) => (p.locality === 'off' ? 'off' : 'on when outlierDetection is set'),
    sources: `Envoy needs priorities or zone-aware routing configured; ${L.istioDr} (locality LB on by default, failover needs outlier detection); Linkerd uses Kubernetes topology hints only when the Service opts in`,
  },
  { key: '`locality.overprovisioningFactor`', value: (p) => String(p.overprovisioningFactor), sources: `${L.envoyPriority} (1.4)` },
  {
    key: '`deadlines`',
    value: (p) => p.deadlines,
    sources: `${L.envoyRouterProto} (respect_expected_rq_timeout false: a receiving Envoy ignores x-envoy-expected-rq-timeout-ms); Istio does not set it; Linkerd carries no deadline between proxies`,
  },
];

/** The versions each profile follows, for the table's head. */
const VERSIONS: Readonly<Partial<Record<MeshProfile, string>>> = { istio: '≥ 1.24', linkerd: '≥ 2.16' };

export const PROFILES_DOC_START = '<!-- profiles:start (generated from src/contract/defaults.ts by npm run schema; do not edit) -->';
export const PROFILES_DOC_END = '<!-- profiles:end -->';

/** The defaults table: a row per knob, a column per profile, and the sources. */
export function profileReference(): string {
  const head = MESH_PROFILES.map((p) => {
    const notes = [VERSIONS[p], p === DEFAULT_PROFILE ? 'default' : undefined].filter(Boolean);
    return notes.length ? `${p} (${notes.join(', ')})` : p;
  });
  const rows = [`| key | ${head.join(' | ')} | documented in |`, `|---|${MESH_PROFILES.map(() => '---|').join('')}---|`];
  for (const r of ROWS) rows.push(`| ${r.key} | ${MESH_PROFILES.map((p) => r.value(PROFILES[p]).replace(/\|/g, '\\|')).join(' | ')} | ${r.sources} |`);
  return rows.join('\n');
}

/** Replaces the generated table of docs/profiles.md with the current one. */
export function withProfileReference(markdown: string): string {
  const start = markdown.indexOf(PROFILES_DOC_START);
  const end = markdown.indexOf(PROFILES_DOC_END);
  if (start < 0 || end < start) throw new Error(`the document has no ${PROFILES_DOC_START} … ${PROFILES_DOC_END} block`);
  return `${markdown.slice(0, start)}${PROFILES_DOC_START}\n${profileReference()}\n${markdown.slice(end)}`;
}
