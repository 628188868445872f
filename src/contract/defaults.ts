import type { ConnectionPool, DeadlineMode, DestinationPolicy, HealthCheck, LoadBalancer, OutlierDetection, RetryBudget, RetryOn, RetryPolicy } from './mesh-policy.ts';
import type { OutboundTrafficPolicy } from './gateway-route.ts';
import type { MtlsMode } from './security-policy.ts';

/**
Every default of the mesh, written once, per profile: what a policy value is when a scenario does
not write it — the documented defaults of Envoy, Istio and Linkerd
(../shared/reference/mesh-semantics.md §1; the upstream sources are listed in docs/profiles.md,
which is generated from this table). Everything else reads it: the normaliser fills what a scenario
leaves out from `mesh.profile`'s column, the scenario checker, the JSON Schema and the key reference
say the defaults from it, docs/profiles.md is generated from it, and a sidecar given a config
without some value falls back on the default profile's.
*/

/** The trust domain of every identity when `security.trustDomain` is not written (Istio's and Linkerd's default). */
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/**
The port a workload listens on as far as policies and manifests are concerned: Kubernetes' container
port in the export (behind a Service on 80), the app's port in a Docker pod, and what authorization
policies' `ports` match (the local runtime's apps listen on ports the OS picks).
*/
export const WORKLOAD_PORT = 8080;

/** Lifetime of a self-signed root: 10 years, as istiod's (SelfSignedCACertTTL, 3650 days). */
export const ROOT_CA_TTL_MS = 3650 * 24 * 3600_000;

/**
Whose defaults a scenario's mesh takes. `istio` follows current Istio (1.24 and later), `istio-1.23`
Istio up to 1.23 (or a later one with compatibilityVersion 1.23), whose default retries also retry
503; `linkerd` current Linkerd (2.16 and later).
*/
export const MESH_PROFILES = ['envoy', 'istio', 'istio-1.23', 'linkerd'] as const;

export interface ProfileDefaults {
  /** Whole-request timeout when `timeout` is not written; null = none. */
  timeoutMs: number | null;
  /** The retry policy when `retries` is not written; null = no retries. */
  retries: RetryPolicy | null;
  /** What a written `retries` block leaves out. The back-off's max is `maxTimesBase` × its base unless written. */
  retriesBlock: {
    attempts: number;
    retryOn: RetryOn[];
    retriableStatusCodes: number[];
    backoff: { baseMs: number; maxTimesBase: number };
    /** What a written `budget` block leaves out. */
    budget: RetryBudget;
  };
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
  /** Envoy's overprovisioning factor, when `locality` does not write one. */
  overprovisioningFactor: number;
  /** Workload identity and mutual TLS when `security` does not say. */
  security: SecurityDefaults;
  /**
  Whether deadlines propagate when `deadlines` is not written. Envoy's router ignores the header it
  receives unless `respect_expected_rq_timeout` is set (off by default), Istio does not set it, and
  Linkerd carries no deadline between proxies: off in every profile.
  */
  deadlines: DeadlineMode;
}

export interface SecurityDefaults {
  /** The mesh-wide PeerAuthentication mode. */
  mtls: MtlsMode;
  /** Lifetime of a workload certificate. */
  certTtlMs: number;
  /** When a workload certificate is renewed, as a fraction of its lifetime. */
  renewAt: number;
}

/**
Istio: PERMISSIVE out of the box (a mesh-wide policy with no mode), workload certificates of 24h
(istio-agent's SECRET_TTL) renewed at half their life (SECRET_GRACE_PERIOD_RATIO 0.5). Envoy has no
certificate authority of its own; meshproof's control plane is istiod's, so the Envoy profile takes these too.
*/
const ISTIO_SECURITY: SecurityDefaults = { mtls: 'PERMISSIVE', certTtlMs: 24 * 3600_000, renewAt: 0.5 };

/** Envoy's router: a 25ms base interval, and a max of 10 × base (250ms) unless written. */
const BACKOFF = { baseMs: 25, maxTimesBase: 10 };

/** Envoy's retry budget defaults (RetryBudget: budget_percent 20%, min_retry_concurrency 3). */
const BUDGET: RetryBudget = { percent: 0.2, minRetryConcurrency: 3 };

/**
Active health checks: Envoy requires all four fields (it has no defaults) and Istio and Linkerd have
none of their own (they rely on Kubernetes readiness probes), so a written `healthCheck: {}` takes
the Kubernetes readiness-probe defaults: every 10s, 1s timeout, 3 failures, 1 success; on the path
the built-in service answers without taking a concurrency slot.
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

/** Envoy's priority load: a priority keeps all traffic while its healthy share × 1.4 >= 100%. */
const OVERPROVISIONING_FACTOR = 1.4;

const UNLIMITED: ConnectionPool = { maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null };

/** The back-off of a default retry policy: the base, and its max when not written. */
const BACKOFF_POLICY = { baseMs: BACKOFF.baseMs, maxMs: BACKOFF.baseMs * BACKOFF.maxTimesBase };

/** What every Istio version shares: no route timeout, least request, no breakers, no panic, Envoy's outlier values, locality with outlier detection. */
const ISTIO_COMMON = {
  timeoutMs: null,
  loadBalancer: 'least_request',
  connectionPool: UNLIMITED,
  panicThreshold: 0,
  outlierDetection: ENVOY_OUTLIER_DETECTION,
  healthCheck: HEALTH_CHECK,
  locality: 'with-outlier-detection',
  overprovisioningFactor: OVERPROVISIONING_FACTOR,
  security: ISTIO_SECURITY,
  deadlines: 'off',
} as const satisfies Omit<ProfileDefaults, 'retries' | 'retriesBlock'>;

export const PROFILES: Readonly<Record<(typeof MESH_PROFILES)[number], ProfileDefaults>> = {
  envoy: {
    timeoutMs: 15_000,
    retries: null,
    retriesBlock: { attempts: 1, retryOn: ['5xx'], retriableStatusCodes: [], backoff: BACKOFF, budget: BUDGET },
    loadBalancer: 'round_robin',
    connectionPool: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
    panicThreshold: 0.5,
    outlierDetection: ENVOY_OUTLIER_DETECTION,
    healthCheck: HEALTH_CHECK,
    locality: 'off',
    overprovisioningFactor: OVERPROVISIONING_FACTOR,
    security: ISTIO_SECURITY,
    deadlines: 'off',
  },
  // Istio 1.24 and later: the default route retry policy (retry.go) is 2 attempts on connect-failure,
  // refused-stream, unavailable and cancelled; 503 is no longer retried by default
  // (EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY, on since 1.24). refused-stream is a reset here; the gRPC
  // conditions have no HTTP/1 equivalent. Istio sets only the back-off's base (25ms).
  istio: {
    ...ISTIO_COMMON,
    retries: { attempts: 2, perTryTimeoutMs: null, retryOn: ['connect-failure', 'reset'], retriableStatusCodes: [], backoff: BACKOFF_POLICY, budget: null },
    retriesBlock: { attempts: 2, retryOn: ['connect-failure', 'reset'], retriableStatusCodes: [], backoff: BACKOFF, budget: BUDGET },
  },
  // Istio up to 1.23 (or compatibilityVersion 1.23): the same, and retriable-status-codes 503.
  'istio-1.23': {
    ...ISTIO_COMMON,
    retries: {
      attempts: 2,
      perTryTimeoutMs: null,
      retryOn: ['connect-failure', 'reset', 'retriable-status-codes'],
      retriableStatusCodes: [503],
      backoff: BACKOFF_POLICY,
      budget: null,
    },
    retriesBlock: { attempts: 2, retryOn: ['connect-failure', 'reset', 'retriable-status-codes'], retriableStatusCodes: [503], backoff: BACKOFF, budget: BUDGET },
  },
  linkerd: {
    timeoutMs: null,
    retries: null,
    retriesBlock: { attempts: 1, retryOn: ['5xx'], retriableStatusCodes: [], backoff: BACKOFF, budget: BUDGET },
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
    overprovisioningFactor: OVERPROVISIONING_FACTOR,
    // Meshed-to-meshed traffic is always mutual TLS and plaintext from outside is accepted
    // (default-inbound-policy all-unauthenticated: PERMISSIVE); 24h certificates, renewed at 70% of
    // their life (the proxy's refresh at 70% of what is left, from issue).
    security: { mtls: 'PERMISSIVE', certTtlMs: 24 * 3600_000, renewAt: 0.7 },
    deadlines: 'off',
  },
};

/** The version label (subset) of an instance that names none. */
export const DEFAULT_VERSION = 'v1';

/**
How long a user's program (command or image) may take to be ready when `ready.timeout` is not
written: most programs are up within a second; a JVM, a first compile or a cold cache take longer.
*/
export const READY_TIMEOUT_DEFAULT = '30s';

/**
The rate-limit service when `rateLimitService` leaves them out: Envoy's ratelimit filter gives up on
it after 20ms and then lets the request through (failure_mode_deny false). Its domain is the
scenario's name unless written.
*/
export const RATE_LIMIT_SERVICE_DEFAULTS = { timeout: '20ms', failureMode: 'allow' } as const;

/** What a sidecar does when the rate-limit service cannot answer in time: let the request through, or refuse it (500, flag RLSE). */
export const RATE_LIMIT_FAILURE_MODES = ['allow', 'deny'] as const;

/**
What a caller's sidecar does with a host the mesh does not know when `mesh.outboundTrafficPolicy` is
not written: Istio's documented default (meshConfig.outboundTrafficPolicy.mode), though REGISTRY_ONLY
is value 0 of its enum.
*/
export const OUTBOUND_TRAFFIC_POLICY_DEFAULT: OutboundTrafficPolicy = 'ALLOW_ANY';

/** Replicas of a gateway when `gateways.<name>.replicas` is not written: one, as Istio's default ingress gateway deployment (a single point of failure). */
export const GATEWAY_REPLICAS_DEFAULT = 1;

/** Replicas of an external service (its instances behind one name, as a ServiceEntry's endpoints) when not written. */
export const EXTERNAL_REPLICAS_DEFAULT = 1;

/**
The policy of Istio's PassthroughCluster (ALLOW_ANY: a host the mesh does not know, sent on to
where it resolves): no DestinationRule or route applies to an unregistered host, so no timeout, no
retries, no circuit breakers, no outlier detection; the connection goes where the caller pointed it.
*/
export const PASSTHROUGH_POLICY: DestinationPolicy = {
  timeoutMs: null,
  retries: null,
  loadBalancer: 'round_robin',
  connectionPool: UNLIMITED,
  outlierDetection: null,
  panicThreshold: 0,
  healthCheck: null,
  fault: null,
  locality: { enabled: false, overprovisioningFactor: OVERPROVISIONING_FACTOR },
  split: null,
  // No route, so no timeout to derive a deadline from, and none propagated.
  deadlines: 'off',
};

/** The profile used when `mesh.profile` is not written. */
export const DEFAULT_PROFILE: (typeof MESH_PROFILES)[number] = 'envoy';

/**
A default every profile shares (the health check's, the back-off's…), for places that hold one value:
the scenario checker filling a written block, a sidecar given a config without it. Throws when the
profiles disagree: such a default must be read from the scenario's own profile instead.
*/
export function sharedDefault<T>(pick: (p: ProfileDefaults) => T): T {
  const values = MESH_PROFILES.map((name) => pick(PROFILES[name]));
  const first = JSON.stringify(values[0]);
  const other = MESH_PROFILES.find((_, i) => JSON.stringify(values[i]) !== first);
  if (other) throw new Error(`profiles disagree on this default (${first} for ${MESH_PROFILES[0]}, ${JSON.stringify(values[MESH_PROFILES.indexOf(other)])} for ${other}): read it from the scenario's profile`);
  return values[0];
}

/**
A default in words by profile, profiles with the same value grouped, in table order: "1 (envoy,
linkerd), 2 (istio)", or with semicolons between values that hold commas; one value for all when
they agree. For the scenario language's reference.
*/
export function byProfile(pick: (p: ProfileDefaults) => string): string {
  const groups = new Map<string, string[]>();
  for (const name of MESH_PROFILES) {
    const v = pick(PROFILES[name]);
    groups.set(v, [...(groups.get(v) ?? []), name]);
  }
  if (groups.size === 1) return [...groups.keys()][0];
  const separator = [...groups.keys()].some((v) => v.includes(',')) ? '; ' : ', ';
  return [...groups].map(([v, names]) => `${v} (${names.join(', ')})`).join(separator);
}

/**
How long the serving certificate of a gateway that terminates TLS is valid when the mesh's CA issues
it: issued once per run for the gateway's hosts and never renewed (a run lasts hours at most).
*/
export const GATEWAY_CERTIFICATE_VALIDITY_MS = 24 * 3600_000;

/**
The harness's promises (src/verdict/promises.ts): how far each may be broken before an expectation
that depends on it is reported inconclusive instead of held or failed. Written once here; the
reports and docs/verdicts-on-a-busy-machine.md say them from this table.
*/
export interface PromiseThresholds {
  /**
  A fault edge (start or end) that took effect more than this late: fault windows (`during`,
  `after`) and fixed windows it overlaps are judged over a span the scenario did not declare. The
  verdicts place windows on the recorded times and read whole seconds (a second counts when at
  least half of it is inside), so a quarter of a second late already moves a judged second's
  content by a quarter; a quiet machine is late by a few ms.
  */
  faultLateMs: number;
  /**
  p99 event-loop delay (beyond the timer's resolution) of the harness, the load generator or any sidecar above which
  a latency bound, a deadline (`ejected within`, `recovered within`) or a state at a moment cannot be
  judged: every hop of a request through a late sidecar waits that long. A quiet machine shows 1–5 ms.
  */
  loopDelayP99Ms: number;
  /**
  The same check for the sidecars and the load generator (each on every request's path), relative to what is judged: a delay above this share of a latency
  bound or of a deadline is inconclusive even under `loopDelayP99Ms` (a 60 ms bound cannot absorb
  20 ms per hop). The harness is on no request's path, so its delay is held to `loopDelayP99Ms` only.
  */
  loopDelayShareOfBound: number;
  /**
  The sidecars' relative limit never goes below this (ms): a bound no mesh of Node processes can meet
  (`p99 < 1ms`, `< 1us`) fails on any machine, and a quiet machine's sidecars show 1–5 ms at p99;
  below this delay, starvation is not what failed it.
  */
  loopDelayFloorMs: number;
  /**
  Mean CPU busy share (all cores, steal included) over the load above which latency bounds and
  deadlines cannot be judged: processes wait for a core, so latencies include the machine's queue.
  */
  cpuBusy: number;
  /** Mean share of CPU time stolen by the hypervisor above which the same holds. */
  cpuSteal: number;
  /**
  Share of the declared requests the load did not send (fell behind, dropped late; not those the
  mesh held back at the cap) above which every verdict that depends on the load cannot be judged:
  rates and counts directly, latencies, ratios and the mesh's reactions because a lighter load is
  not the one the scenario describes (fewer overlapping retries, emptier pools). A closed-loop
  runner, which counts only completed requests, is held to it only while the machine is starved.
  */
  loadShortfall: number;
  /** p99 lateness of the load's sends (open loop) above which the same holds. */
  loadLatenessP99Ms: number;
}

export const PROMISE_THRESHOLDS: Readonly<PromiseThresholds> = {
  faultLateMs: 250,
  loopDelayP99Ms: 50,
  loopDelayShareOfBound: 0.25,
  loopDelayFloorMs: 5,
  cpuBusy: 0.97,
  cpuSteal: 0.1,
  loadShortfall: 0.05,
  loadLatenessP99Ms: 50,
};

/**
Pod hosting on the local runtime (src/runtime/local/pod-hosts.ts): off by default, every pod its own
two processes (its sidecar and its app). On, the pods that no process fault targets run in a few
host processes, each holding many sidecars and built-in apps in one event loop; `POD_HOSTS_DEFAULT`
is how many hosts when the option does not say (0: one per core).
*/
export const HOST_PODS_DEFAULT = false;
export const POD_HOSTS_DEFAULT = 0;
/**
From this many pods a local run that did not say whether to host them suggests pod hosting: each pod
is two Node processes of ~70-140 MB, and 30 services × 3 replicas took 16-21 s and ~13 GiB to start
one process each against under 1 s and 0.5 GiB hosted (docs/benchmarks.md).
*/
export const HOST_PODS_SUGGESTED_FROM = 30;
