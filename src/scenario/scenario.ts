/**
The normalised scenario: what `parseScenario` returns once a YAML file has been parsed, validated
and filled with defaults. Every other part of meshproof (planner, runtime, sidecars, verdicts,
reports) reads only this shape, never the YAML. All durations are milliseconds, all percentages are
fractions in [0, 1], all rates are per second.
*/
export interface Scenario {
  version: 1;
  name: string;
  description: string;
  /** Root of every random choice in the run (latency draws, error rolls, jitter, load balancing). */
  seed: number;
  /** Length of the run's timeline, in ms; the load lasts `load.durationMs` (at most this). */
  durationMs: number;
  /** Services in declaration order. */
  services: ServiceSpec[];
  /** Effective policy for every service as a destination (defaults filled in for services not listed under `mesh`). */
  mesh: Record<string, DestinationPolicy>;
  load: LoadSpec;
  expect: Expectation[];
  /** Where the scenario came from, for messages. */
  source: { file: string };
}

export interface ServiceSpec {
  name: string;
  /** Number of instances, named `<name>-0` … `<name>-(n-1)`. Default 1. */
  replicas: number;
  /** Built-in service: time spent per request before downstream calls. Default fixed 1ms. */
  latency: LatencySpec;
  /** Built-in service: fraction of requests answered with `errorStatus` without doing the work. Default 0. */
  errorRate: number;
  /** Default 500. */
  errorStatus: number;
  /** Built-in service: requests worked on at once; null = unlimited. Default null. */
  concurrency: number | null;
  /** Built-in service: requests waiting for a slot beyond `concurrency`; more are answered 503. Default 100. Ignored when concurrency is null. */
  queue: number;
  /** Downstream services called once per request. */
  calls: string[];
  /** Whether `calls` run one after another or all at once. Default sequence. */
  callMode: 'sequence' | 'parallel';
  /** Per-instance differences from the above, by instance name (e.g. one slower replica). Default none. */
  instances: Record<string, InstanceOverride>;
}

/** What one instance of a built-in service may do differently from its siblings. */
export type InstanceOverride = Partial<Pick<ServiceSpec, 'latency' | 'errorRate' | 'errorStatus' | 'concurrency' | 'queue'>>;

/** The spec one instance runs: the service's, with that instance's overrides applied. */
export function instanceSpec(service: ServiceSpec, instance: string): ServiceSpec {
  const o = service.instances?.[instance];
  return o ? { ...service, ...o } : service;
}

export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  /** Log-normal fitted through p50 and p99. */
  | { kind: 'distribution'; p50Ms: number; p99Ms: number };

export type LoadBalancer = 'round_robin' | 'least_request' | 'random';

export type RetryOn = '5xx' | 'gateway-error' | 'reset' | 'connect-failure' | 'retriable-status-codes';

export interface DestinationPolicy {
  /** Whole-request timeout, retries included; 504 + UT on expiry. null = none. Default null (Istio's; Envoy's route default is 15s). */
  timeoutMs: number | null;
  /** null = no retries (Envoy's default when no policy is present). */
  retries: RetryPolicy | null;
  /** Default round_robin. */
  loadBalancer: LoadBalancer;
}

export interface RetryPolicy {
  /** Retries after the first try (so at most 1 + attempts requests). */
  attempts: number;
  /** Per-try timeout; null = only the whole-request timeout applies. */
  perTryTimeoutMs: number | null;
  /** Outcomes that are retried. Default [5xx] (which, as in Envoy, also covers resets, connect failures and per-try timeouts). */
  retryOn: RetryOn[];
  /** Used when retryOn contains retriable-status-codes. */
  retriableStatusCodes: number[];
  /** Full-jitter exponential back-off: retry N waits U[0, min(max, base·(2^N − 1))). Default 25ms / 250ms. */
  backoff: { baseMs: number; maxMs: number };
  /** Envoy's retry budget; null = unbudgeted. */
  budget: RetryBudget | null;
}

export interface RetryBudget {
  /** Active retries allowed as a fraction of active requests (+ pending). Default 0.2. */
  percent: number;
  /** Active retries always allowed. Default 3. */
  minRetryConcurrency: number;
}

export interface LoadSpec {
  /** Entry service the load generator sends to (through the ingress sidecar). */
  target: string;
  /** Requests per second when there are no phases. */
  rate: number;
  /** Concurrent connections (= most requests in flight). Default max(10, ceil(highest rate / 10)). */
  connections: number;
  /** Defaults to the scenario's duration. */
  durationMs: number;
  /** Optional piecewise-constant rate; when present, they cover the load from its start, in order. */
  phases: LoadPhase[];
  /** Request path. Default "/". */
  path: string;
}

export interface LoadPhase {
  durationMs: number;
  rate: number;
}

// ---------------------------------------------------------------------------------------------
// Expectations

export type MetricName =
  | 'success_rate'
  | 'error_rate'
  | 'rps'
  | 'p50'
  | 'p90'
  | 'p99'
  | 'max'
  | 'requests'
  | 'retries'
  | 'retry_ratio';

export type Scope =
  /** What the load generator saw. */
  | { kind: 'client' }
  /** All instances of a service, at their inbound sidecars. */
  | { kind: 'service'; service: string }
  /** One instance, at its inbound sidecar. */
  | { kind: 'instance'; service: string; instance: string }
  /**
  Calls from one service to another as the caller's outbound sidecars saw them. `to` is a service,
  or an instance (`toInstance` set): then only the attempts sent to that instance count.
  `from` may be `client` for the load generator's ingress.
  */
  | { kind: 'edge'; from: string; to: string; toInstance?: string };

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/**
A time window over the run's timeline, in ms from the start of the load.
Only `run` and `between` exist in v1; fault-relative windows (`during f`, `within 2s after f.start`)
are added as new kinds without changing these.
*/
export type Window = { kind: 'run' } | { kind: 'between'; fromMs: number; toMs: number };

export type Unit = 'ratio' | 'ms' | 'rps' | 'count';

export interface Expectation {
  /** The sentence as written. */
  text: string;
  metric: MetricName;
  scope: Scope;
  op: Comparator;
  /** In the metric's unit: ratio in [0,1] for rates and ratios, ms for latency, per second for rps, a count otherwise. */
  value: number;
  unit: Unit;
  window: Window;
  /** Where the sentence is in the YAML file. */
  line: number;
  col: number;
}

/** The instance names of a service. */
export function instanceNames(service: ServiceSpec): string[] {
  return Array.from({ length: service.replicas }, (_, i) => `${service.name}-${i}`);
}
