/**
The mesh policies a destination runs under, as the normalised scenario states them and the control
plane hands them to every caller's sidecar (contract/sidecar-config.ts): timeouts, retries, load
balancing, circuit breaking, outlier detection, health checks, L7 faults, locality, traffic splits
and the inbound rate limit. Durations are milliseconds, percentages fractions in [0, 1]. What a
scenario leaves out comes from its profile's column in contract/defaults.ts.
*/

/** The load balancers a destination may use. */
export const LOAD_BALANCERS = ['round_robin', 'least_request', 'random'] as const;

export type LoadBalancer = (typeof LOAD_BALANCERS)[number];

/** The retry conditions, as Envoy names them. */
export const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes'] as const;

export type RetryOn = (typeof RETRY_ON)[number];

/**
Whether a hop honours the deadline a request carries (`x-envoy-expected-rq-timeout-ms`):
`propagate` — the callee's sidecar ends the request when the caller's time is up, the built-in
service stops working on it and passes what is left on its own calls, and a caller's sidecar takes
the lesser of its timeout and that; `off` — each hop keeps its own timeouts only.
*/
export const DEADLINE_MODES = ['propagate', 'off'] as const;

/** `propagate` or `off`. */
export type DeadlineMode = (typeof DEADLINE_MODES)[number];

export interface RateLimit {
  /** Tokens added per second. */
  requestsPerSecond: number;
  /** Bucket size (max tokens). Default = requestsPerSecond. */
  burst: number;
}

export interface DestinationPolicy {
  /** Whole-request timeout, retries included; 504 + UT on expiry. null = none. Default: the profile's (contract/defaults.ts). */
  timeoutMs: number | null;
  /** null = no retries (Envoy's default when no policy is present). */
  retries: RetryPolicy | null;
  /** Default round_robin (envoy), least_request (istio, linkerd: as close to its EWMA as we get). */
  loadBalancer: LoadBalancer;
  /** Circuit breaking: limits per caller sidecar (Envoy thresholds; null = unlimited). */
  connectionPool: ConnectionPool;
  /** Passive health: eject endpoints that fail in a row. null = off. */
  outlierDetection: OutlierDetection | null;
  /**
  Below this healthy share, the load balancer ignores health and uses every endpoint (Envoy's
  panic threshold; 0 = never panic: answer 503 UH when none is healthy, as Istio does). Fraction. Default 0.5 (envoy), 0 (istio, linkerd).
  */
  panicThreshold: number;
  /** Active health checks from each caller sidecar. null = off. */
  healthCheck: HealthCheck | null;
  /** A standing L7 fault at every caller's outbound (Istio VirtualService fault); retries and timeouts do not apply to its outcomes, as in Istio. null = none. */
  fault: HttpFault | null;
  /** Prefer endpoints in the caller's zone, failing over as its healthy share drops (Envoy priorities and their overprovisioning factor). */
  locality: { enabled: boolean; overprovisioningFactor: number };
  /** Traffic split over the destination's versions. null = all versions alike. */
  split: TrafficSplit | null;
  /**
  Whether requests to this destination carry the caller's deadline and have it honoured: the
  caller's sidecar takes the lesser of `timeoutMs` and the deadline its app passes on, the
  destination's sidecar ends a request whose deadline has passed (504, flags UT and DE), and the
  destination's built-in service stops working on it and passes what is left on its own calls.
  Default: `mesh.deadlines`, else the profile's (off).
  */
  deadlines: DeadlineMode;
}

export interface ConnectionPool {
  /** Connections to the whole cluster (Envoy max_connections). Over it: requests wait for a connection (pending). */
  maxConnections: number | null;
  /** Requests waiting for a connection (Envoy max_pending_requests); over it: 503 UO, counter upstream_rq_pending_overflow. */
  maxPendingRequests: number | null;
  /** Requests in flight (Envoy max_requests); over it: 503 UO, counter upstream_rq_pending_overflow. */
  maxRequests: number | null;
  /** Retries in flight (Envoy max_retries, used when no budget is set); over it the retry is not made: upstream_rq_retry_overflow. */
  maxRetries: number | null;
}

export interface OutlierDetection {
  /** Consecutive 5xx (incl. locally originated: reset, connect failure, timeout) before ejection. null = not checked. Default 5. */
  consecutive5xx: number | null;
  /** Consecutive 502/503/504 before ejection. null = not checked. Default null. */
  consecutiveGatewayErrors: number | null;
  /** Sweep interval: ejections end at sweeps, and the ejection multiplier decays by one per interval while healthy. */
  intervalMs: number;
  /** Ejection time = base × times ejected, capped at maxEjectionTimeMs. */
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  /** Most of the cluster that may be ejected at once (fraction). */
  maxEjectionPercent: number;
}

export interface HealthCheck {
  intervalMs: number;
  timeoutMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  /** Path probed on the callee (the built-in service answers its health path without taking a slot). Default: the profile's. */
  path: string;
}

/** Istio's HTTPFaultInjection: each part applies to `percent` of requests (fraction), independently. */
export interface HttpFault {
  delay: { ms: number; percent: number } | null;
  abort: { status: number; percent: number } | null;
}

export interface TrafficSplit {
  /** Version → share (fractions summing to 1), for requests no route matches. */
  weights: Record<string, number>;
  /** Header-matched routes, first match wins. */
  routes: { headers: Record<string, string>; version: string }[];
}

export interface RetryPolicy {
  /** Retries after the first try (so at most 1 + attempts requests). */
  attempts: number;
  /** Per-try timeout; null = only the whole-request timeout applies. */
  perTryTimeoutMs: number | null;
  /** Outcomes that are retried (5xx, as in Envoy, also covers resets, connect failures and per-try timeouts). Default: the profile's. */
  retryOn: RetryOn[];
  /** Used when retryOn contains retriable-status-codes. */
  retriableStatusCodes: number[];
  /** Full-jitter exponential back-off: retry N waits U[0, min(max, base·(2^N − 1))). Default: the profile's. */
  backoff: { baseMs: number; maxMs: number };
  /** Envoy's retry budget; null = unbudgeted. */
  budget: RetryBudget | null;
}

export interface RetryBudget {
  /** Active retries allowed as a fraction of active requests (+ pending). Default: the profile's. */
  percent: number;
  /** Active retries always allowed. Default: the profile's. */
  minRetryConcurrency: number;
}
