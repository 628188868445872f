import { PROFILES } from '../../src/contract/defaults.ts';
import type { ServiceSpec } from '../../src/scenario/scenario.ts';
import type { ConnectionPool, DestinationPolicy } from '../../src/contract/mesh-policy.ts';

/** No circuit breaker limits (Istio's default: 2^32−1 everywhere). */
export const UNLIMITED: ConnectionPool = { maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null };

/** A built-in service as the normaliser would produce it: 1 replica, 1ms, no errors, no limits, unless overridden. */
export function serviceSpec(name: string, overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    replicas: 1,
    latency: { kind: 'fixed', ms: 1 },
    errorRate: 0,
    errorStatus: 500,
    concurrency: null,
    queue: 100,
    calls: [],
    callMode: 'sequence',
    instances: {},
    zone: null,
    version: 'v1',
    rateLimit: null,
    quotas: [],
    bulkheads: {},
    responseBytes: 0,
    image: null,
    command: null,
    cwd: null,
    env: {},
    ready: null,
    mtls: null,
    authorization: [],
    ...overrides,
  };
}

/** A destination policy: no timeout, no retries, round robin, no limits and none of the issue-3 policies, unless overridden. */
export function destinationPolicy(overrides: Partial<DestinationPolicy> = {}): DestinationPolicy {
  return {
    timeoutMs: null,
    retries: null,
    loadBalancer: 'round_robin',
    connectionPool: UNLIMITED,
    outlierDetection: null,
    panicThreshold: 0,
    healthCheck: null,
    fault: null,
    locality: { enabled: false, overprovisioningFactor: PROFILES.envoy.overprovisioningFactor },
    split: null,
    deadlines: 'off',
    ...overrides,
  };
}
