import type { ConnectionPool, HealthCheck, LoadBalancer, MeshProfile, OutlierDetection, RetryOn, RetryPolicy } from './scenario.ts';

/**
What a mesh does when a policy value is not written: the documented defaults of Envoy, Istio and
Linkerd (../shared/reference/mesh-semantics.md §1, with the upstream sources listed in
docs/profiles.md, which is generated from this file). `mesh.profile` picks one; the normaliser fills
every value the scenario leaves out from it, so the normalised scenario (and the report) carries the
effective values.
*/
export interface ProfileDefaults {
  /** Whole-request timeout when `timeout` is not written; null = none. */
  timeoutMs: number | null;
  /** The retry policy when `retries` is not written; null = no retries. */
  retries: RetryPolicy | null;
  /** What a written `retries` block leaves out. */
  retriesBlock: { attempts: number; retryOn: RetryOn[]; retriableStatusCodes: number[] };
  loadBalancer: LoadBalancer;
  connectionPool: ConnectionPool;
  /** Fraction. */
  panicThreshold: number;
  /** What a written `outlierDetection` block leaves out. */
  outlierDetection: OutlierDetection;
  /** What a written `healthCheck` block leaves out. */
  healthCheck: HealthCheck;
  /** Whether locality-aware balancing is on when `locality` is not written: off, or on as soon as outlier detection is (Istio). */
  locality: 'off' | 'with-outlier-detection';
  overprovisioningFactor: number;
}

const BACKOFF = { baseMs: 25, maxMs: 250 };

/**
Active health checks: Envoy requires all four fields (it has no defaults) and Istio and Linkerd have
none of their own (they rely on Kubernetes readiness probes), so a written `healthCheck: {}` takes
the Kubernetes readiness-probe defaults: every 10s, 1s timeout, 3 failures, 1 success.
*/
const HEALTH_CHECK: HealthCheck = { intervalMs: 10_000, timeoutMs: 1000, unhealthyThreshold: 3, healthyThreshold: 1, path: '/healthz' };

/** Envoy's outlier detection defaults; Istio's DestinationRule keeps them unchanged. */
const ENVOY_OUTLIER_DETECTION: OutlierDetection = {
  consecutive5xx: 5,
  consecutiveGatewayErrors: null,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 0.1,
};

const UNLIMITED: ConnectionPool = { maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null };

/** What every Istio version shares: no route timeout, least request, no breakers, no panic, Envoy's outlier values, locality with outlier detection. */
const ISTIO_COMMON = {
  timeoutMs: null,
  loadBalancer: 'least_request',
  connectionPool: UNLIMITED,
  panicThreshold: 0,
  outlierDetection: ENVOY_OUTLIER_DETECTION,
  healthCheck: HEALTH_CHECK,
  locality: 'with-outlier-detection',
  overprovisioningFactor: 1.4,
} as const satisfies Omit<ProfileDefaults, 'retries' | 'retriesBlock'>;

export const PROFILES: Record<MeshProfile, ProfileDefaults> = {
  envoy: {
    timeoutMs: 15_000,
    retries: null,
    retriesBlock: { attempts: 1, retryOn: ['5xx'], retriableStatusCodes: [] },
    loadBalancer: 'round_robin',
    connectionPool: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
    panicThreshold: 0.5,
    outlierDetection: ENVOY_OUTLIER_DETECTION,
    healthCheck: HEALTH_CHECK,
    locality: 'off',
    overprovisioningFactor: 1.4,
  },
  // Istio 1.24 and later: the default route retry policy (retry.go) is 2 attempts on connect-failure,
  // refused-stream, unavailable and cancelled; 503 is no longer retried by default
  // (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, on since 1.24). refused-stream is a reset here; the gRPC
  // conditions have no HTTP/1 equivalent.
  istio: {
    ...ISTIO_COMMON,
    retries: { attempts: 2, perTryTimeoutMs: null, retryOn: ['connect-failure', 'reset'], retriableStatusCodes: [], backoff: BACKOFF, budget: null },
    retriesBlock: { attempts: 2, retryOn: ['connect-failure', 'reset'], retriableStatusCodes: [] },
  },
  // Istio up to 1.23 (or compatibilityVersion 1.23): the same, and retriable-status-codes 503.
  'istio-1.23': {
    ...ISTIO_COMMON,
    retries: {
      attempts: 2,
      perTryTimeoutMs: null,
      retryOn: ['connect-failure', 'reset', 'retriable-status-codes'],
      retriableStatusCodes: [503],
      backoff: BACKOFF,
      budget: null,
    },
    retriesBlock: { attempts: 2, retryOn: ['connect-failure', 'reset', 'retriable-status-codes'], retriableStatusCodes: [503] },
  },
  linkerd: {
    timeoutMs: null,
    retries: null,
    retriesBlock: { attempts: 1, retryOn: ['5xx'], retriableStatusCodes: [] },
    // Linkerd balances on peak EWMA latency with power of two choices; least_request is the nearest.
    loadBalancer: 'least_request',
    connectionPool: UNLIMITED,
    panicThreshold: 0,
    // Failure accrual, consecutive mode: 7 failures, penalty from 1s (min-penalty) doubling to 1m
    // (max-penalty), any share of endpoints. Linkerd has no sweep; probation starts when the penalty
    // ends, which a 1s interval approximates.
    outlierDetection: {
      consecutive5xx: 7,
      consecutiveGatewayErrors: null,
      intervalMs: 1000,
      baseEjectionTimeMs: 1000,
      maxEjectionTimeMs: 60_000,
      maxEjectionPercent: 1,
    },
    healthCheck: HEALTH_CHECK,
    locality: 'off',
    overprovisioningFactor: 1.4,
  },
};

/** The profile used when `mesh.profile` is not written. */
export const DEFAULT_PROFILE: MeshProfile = 'envoy';
