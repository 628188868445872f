import type { MetricName, Unit } from './scenario.ts';

export interface MetricSpec {
  name: MetricName;
  unit: Unit;
  /** One line for the language reference. */
  doc: string;
  /** Measured only at a caller's outbound sidecar, so only an edge scope (`a -> b`) makes sense. */
  edgeOnly?: boolean;
  /** Ratios that count extra attempts may pass 100%; success and error rates cannot. */
  maxRatio?: number;
  /** Only a version scope (`share(reviews v2)`). */
  versionOnly?: boolean;
  /** Read from the run's traces, one value per request: the sentence says so with `per request` after the value. */
  perRequest?: boolean;
  /** Scopes it may not take, with the reason. */
  notOn?: Partial<Record<'client' | 'service' | 'instance' | 'edge' | 'version', string>>;
  /** Counted by the built-in service itself (its work): not on a service that runs its own program. */
  builtinOnly?: boolean;
}

/** Why work metrics take no client or edge scope. */
const WORK_IS_AT_THE_CALLEE = {
  client: "the work is counted in the services' own processes, not at the load generator",
  edge: 'the work is counted in the callee\'s built-in service, whoever called it',
} as const;

/** Every metric an expectation may name, in the order the reference lists them. */
export const METRICS: readonly MetricSpec[] = [
  { name: 'success_rate', unit: 'ratio', doc: 'Share of requests answered with a status below 500.' },
  { name: 'error_rate', unit: 'ratio', doc: 'Share of requests answered 5xx or not answered at all (reset, refused, timed out): 1 − success_rate.' },
  { name: 'rps', unit: 'rps', doc: 'Requests completed per second over the window.' },
  { name: 'p50', unit: 'ms', doc: 'Median latency.' },
  { name: 'p90', unit: 'ms', doc: '90th percentile latency.' },
  { name: 'p99', unit: 'ms', doc: '99th percentile latency.' },
  { name: 'max', unit: 'ms', doc: 'Slowest request.' },
  { name: 'requests', unit: 'count', doc: 'Number of requests completed; on an edge to one instance, the tries sent to that instance.' },
  { name: 'retries', unit: 'count', doc: "Retries the caller's sidecars sent on the edge.", edgeOnly: true },
  {
    name: 'retry_ratio',
    unit: 'ratio',
    doc: "Retries per request on the edge, at the caller's sidecars; above 100% when requests are retried more than once.",
    edgeOnly: true,
    maxRatio: Infinity,
  },
  {
    name: 'overflow',
    unit: 'count',
    doc: "Requests a circuit breaker or bulkhead refused (503, flag UO), counted at the callers' sidecars: on a service, by all its callers; on an edge, by that caller.",
    notOn: {
      instance: "breakers are per destination service at the caller's sidecar, so no request overflows at one instance",
      version: "breakers are per destination service at the caller's sidecar, whatever version would have answered",
    },
  },
  { name: 'rate_limited', unit: 'count', doc: 'Requests refused by a rate limit, local or global (429, flag RL) on the scope.' },
  {
    name: 'admitted_rps',
    unit: 'rps',
    doc: 'Requests per second the scope let through its rate limits, local and global (requests not answered 429): on a service with a global quota, at most its limit whatever the replicas.',
  },
  {
    name: 'deadline_exceeded',
    unit: 'count',
    doc: "Requests ended because a propagated deadline passed (504, flags UT and DE; deadlines: propagate): on an edge at the caller's sidecar, on a service or instance at its inbound.",
  },
  {
    name: 'wasted',
    unit: 'count',
    doc: "Requests the built-in service worked on after a caller up the chain had given up on them (more than 10ms past the give-up time): work nobody waited for.",
    builtinOnly: true,
    notOn: WORK_IS_AT_THE_CALLEE,
  },
  {
    name: 'wasted_time',
    unit: 'ms',
    doc: 'Time the built-in service spent working on requests after a caller up the chain had given up on them, summed over those requests.',
    builtinOnly: true,
    notOn: WORK_IS_AT_THE_CALLEE,
  },
  {
    name: 'saved',
    unit: 'count',
    doc: 'Requests the built-in service stopped, or never started, because their deadline had passed or their caller had gone (deadlines: propagate).',
    builtinOnly: true,
    notOn: WORK_IS_AT_THE_CALLEE,
  },
  {
    name: 'no_route',
    unit: 'count',
    doc: "Requests no route took (404, flag NR): on a gateway (or one of its instances), those none of its routes matched by host, path or headers.",
  },
  {
    name: 'share',
    unit: 'ratio',
    doc: "Share of the service's requests (at its instances' inbound) that reached the instances of one version: share(reviews v2).",
    versionOnly: true,
  },
  {
    name: 'attempts',
    unit: 'count',
    doc: "Most attempts (the first try and its retries) the caller's sidecars sent on the edge within any one request, read from the run's traces: attempts(front -> store) <= 3 per request.",
    edgeOnly: true,
    perRequest: true,
  },
  {
    name: 'denied',
    unit: 'count',
    doc: "Requests an authorization policy refused (403 RBAC: access denied): on an edge, counted at the caller's sidecars; on a service or instance, at its inbound.",
    notOn: { client: 'the load generator cannot tell a refusal from any other 403; its sidecar can' },
  },
  {
    name: 'mtls',
    unit: 'ratio',
    doc: "Share of requests carried over mutual TLS: on an edge, as the caller's sidecars sent them; on a service or instance, as its inbound received them.",
    notOn: { client: 'the load generator speaks to its own sidecar in plaintext; the hop into the mesh is the edge from client' },
  },
  {
    name: 'handshake_errors',
    unit: 'count',
    doc: "Mutual TLS handshakes that failed (connections, not requests): on a service or instance, at its inbound (plaintext refused by STRICT included); on an edge, at the caller's sidecars.",
    notOn: { client: 'the load generator makes no handshake; its sidecar does, on the edge from client' },
  },
];

export const METRIC_NAMES: readonly string[] = METRICS.map((m) => m.name);

export function metricSpec(name: string): MetricSpec | undefined {
  return METRICS.find((m) => m.name === name);
}
