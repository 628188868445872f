import type { OutlierDetection, RetryPolicy } from '../../../src/contract/mesh-policy.ts';
import type { ClusterConfig, Endpoint, SidecarConfig } from '../../../src/contract/sidecar-config.ts';
import { destinationPolicy, UNLIMITED } from '../../helpers/scenario.ts';
export { UNLIMITED };


export const policy = destinationPolicy;

/** Outlier detection with short times, for tests. */
export function outlier(overrides: Partial<OutlierDetection> = {}): OutlierDetection {
  return { consecutive5xx: 5, consecutiveGatewayErrors: null, intervalMs: 100, baseEjectionTimeMs: 1000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 1, ...overrides };
}

/** A retry policy with tiny back-offs (tests must not wait out real 25ms back-offs by the hundred). */
export function retries(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    attempts: 2,
    perTryTimeoutMs: null,
    retryOn: ['5xx', 'reset', 'connect-failure'],
    retriableStatusCodes: [],
    backoff: { baseMs: 1, maxMs: 2 },
    budget: null,
    ...overrides,
  };
}

export function endpoint(instance: string, port: number, healthy = true, extra: Partial<Endpoint> = {}): Endpoint {
  return { instance, host: '127.0.0.1', port, healthy, zone: null, version: 'v1', ...extra };
}

/** A cluster as tests write it: policy and endpoints, the rest optional. */
export type TestCluster = Pick<ClusterConfig, 'policy' | 'endpoints'> & Partial<ClusterConfig>;

export function sidecarConfig(overrides: Partial<Omit<SidecarConfig, 'clusters'>> & { clusters: Record<string, TestCluster> }): SidecarConfig {
  const clusters: Record<string, ClusterConfig> = {};
  for (const [name, c] of Object.entries(overrides.clusters)) clusters[name] = { fault: null, bulkhead: null, mtls: null, ...c };
  return {
    version: 1,
    service: 'checkout',
    instance: 'checkout-0',
    app: null,
    t0: Date.now(),
    seed: 7,
    zone: null,
    subset: 'v1',
    inbound: { rateLimit: null, fault: null, deadlines: 'off', globalRateLimit: null },
    security: { trustDomain: 'cluster.local', identity: null, trustBundle: [], trustBundleRoots: [], mtls: 'DISABLE', authorization: [], clockSkewMs: 0 },
    ...overrides,
    clusters,
  };
}
