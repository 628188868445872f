// Each profile default is pinned to the upstream source docs/profiles.md cites for it: changing a
// default means changing this table, and the page must still cite the source next to the value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { PROFILES } from '../../src/contract/defaults.ts';
import type { MeshProfile } from '../../src/scenario/scenario.ts';
import { PROFILES_DOC } from '../../src/scenario/write-schema.ts';

const ENVOY_ROUTE = 'https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts';
const ENVOY_ROUTER = 'https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter';
const ENVOY_CB = 'https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto';
const ENVOY_OD = 'https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/outlier_detection.proto';
const ENVOY_PANIC = 'https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold';
const ISTIO_RETRY = 'https://github.com/istio/istio/blob/master/pilot/pkg/networking/core/route/retry/retry.go';
const ISTIO_PILOT = 'https://github.com/istio/istio/blob/master/pilot/pkg/features/pilot.go';
const ISTIO_DR = 'https://istio.io/latest/docs/reference/config/networking/destination-rule/';
const ISTIO_VS = 'https://istio.io/latest/docs/reference/config/networking/virtual-service/';
const LINKERD_RETRIES = 'https://linkerd.io/2-edge/reference/retries/';
const LINKERD_CB = 'https://linkerd.io/2-edge/reference/circuit-breaking/';

/** [profile, the table's key, the value, read from PROFILES, the source cited for it]. */
const PINS: [MeshProfile, string, (p: (typeof PROFILES)[MeshProfile]) => unknown, unknown, string][] = [
  ['envoy', '`timeout`', (p) => p.timeoutMs, 15_000, ENVOY_ROUTE],
  ['istio', '`timeout`', (p) => p.timeoutMs, null, ISTIO_VS],
  ['envoy', '`retries` (not written)', (p) => p.retries, null, ENVOY_ROUTER],
  // Istio ≥ 1.24: EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY is true, so no 503.
  ['istio', '`retries` (not written)', (p) => [p.retries?.attempts, p.retries?.retryOn, p.retries?.retriableStatusCodes], [2, ['connect-failure', 'reset'], []], ISTIO_PILOT],
  ['istio-1.23', '`retries` (not written)', (p) => [p.retries?.attempts, p.retries?.retryOn, p.retries?.retriableStatusCodes], [2, ['connect-failure', 'reset', 'retriable-status-codes'], [503]], ISTIO_RETRY],
  ['istio', '`retries.retriableStatusCodes`', (p) => p.retriesBlock.retriableStatusCodes, [], ISTIO_PILOT],
  ['istio-1.23', '`retries.retriableStatusCodes`', (p) => p.retriesBlock.retriableStatusCodes, [503], ISTIO_RETRY],
  ['linkerd', '`retries.attempts`', (p) => p.retriesBlock.attempts, 1, LINKERD_RETRIES],
  ['envoy', '`retries.attempts`', (p) => p.retriesBlock.attempts, 1, ENVOY_ROUTER],
  ['istio', '`loadBalancer`', (p) => p.loadBalancer, 'least_request', ISTIO_DR],
  ['envoy', '`connectionPool.maxConnections`', (p) => p.connectionPool.maxConnections, 1024, ENVOY_CB],
  ['envoy', '`connectionPool.maxRetries`', (p) => p.connectionPool.maxRetries, 3, ENVOY_CB],
  ['istio', '`connectionPool.maxConnections`', (p) => p.connectionPool.maxConnections, null, ISTIO_DR],
  ['envoy', '`panicThreshold`', (p) => p.panicThreshold, 0.5, ENVOY_PANIC],
  ['istio', '`panicThreshold`', (p) => p.panicThreshold, 0, ISTIO_DR],
  ['envoy', '`outlierDetection.consecutive5xx`', (p) => p.outlierDetection.consecutive5xx, 5, ENVOY_OD],
  ['linkerd', '`outlierDetection.consecutive5xx`', (p) => p.outlierDetection.consecutive5xx, 7, LINKERD_CB],
  ['istio', '`outlierDetection.baseEjectionTime`', (p) => p.outlierDetection.baseEjectionTimeMs, 30_000, ISTIO_DR],
  ['linkerd', '`outlierDetection.baseEjectionTime`', (p) => p.outlierDetection.baseEjectionTimeMs, 1000, LINKERD_CB],
  ['linkerd', '`outlierDetection.maxEjectionTime`', (p) => p.outlierDetection.maxEjectionTimeMs, 60_000, LINKERD_CB],
  ['envoy', '`outlierDetection.maxEjectionPercent`', (p) => p.outlierDetection.maxEjectionPercent, 0.1, ENVOY_OD],
];

const doc = readFileSync(PROFILES_DOC, 'utf8');

test.each(PINS)('%s %s is pinned to its cited source', (profile, key, read, value, source) => {
  assert.deepEqual(read(PROFILES[profile]), value);
  const row = doc.split('\n').find((l) => l.startsWith(`| ${key} |`));
  assert.ok(row, `docs/profiles.md has a row for ${key}`);
  assert.ok(row.includes(`(${source})`), `the ${key} row cites ${source}`);
});

test('every profile is pinned at least once, and the version table names each', () => {
  for (const p of Object.keys(PROFILES) as MeshProfile[]) {
    assert.ok(PINS.some(([x]) => x === p), `${p} is pinned`);
    assert.match(doc, new RegExp(`\\| \`${p.replace('.', '\\.')}\` \\|`), `docs/profiles.md's version table names ${p}`);
  }
});
