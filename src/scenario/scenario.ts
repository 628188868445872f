import type { MESH_PROFILES, RATE_LIMIT_FAILURE_MODES } from '../contract/defaults.ts';
import type { RateLimitUnit } from '../contract/rate-limit-service.ts';
import type { DestinationPolicy, HttpFault, RateLimit } from '../contract/mesh-policy.ts';
import type { AuthorizationPolicy, MtlsMode } from '../contract/security-policy.ts';
import type { InstanceState } from '../contract/state-change.ts';
import type { GatewayRoute, OutboundTrafficPolicy } from '../contract/gateway-route.ts';
import type { ScenarioIssue } from '../errors.ts';
import type { Unit } from '../util/format.ts';

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
  /** Whose defaults fill the policies: Envoy's, Istio's or Linkerd's (they differ a lot). Default envoy. */
  profile: MeshProfile;
  /** The fault schedule, in declaration order. Default none. */
  faults: Fault[];
  /** What applies wire faults (toxics, partitions). Default `{ engine: 'builtin', address: null }`. */
  chaos: ChaosEngine;
  /** Where instances run. Default local; the CLI's `--runtime` overrides it. */
  runtime: RuntimeKind;
  /** What must hold, in declaration order: measurements (`Expectation`) and event sentences (ejected, recovered, state). */
  expect: AnyExpectation[];
  /** Workload identities, mutual TLS and the certificate authority. Absent in results written before it existed: the defaults. */
  security?: SecuritySpec;
  /** Where the scenario came from, for messages. */
  source: { file: string };
  /** What `mesh.from` brought in from Kubernetes manifests; absent when the scenario has no `mesh.from`. */
  meshImport?: MeshImport;
  /**
  The rate-limit service (envoyproxy/ratelimit's model) that holds the services' global quotas:
  started for the run when any service has quotas, null (or absent, in a scenario built by hand or
  read from an older result) otherwise.
  */
  rateLimitService?: RateLimitServiceSpec | null;
  /**
  Gateways, in declaration order: ingress gateways the load may enter through, and at most one
  egress gateway (calls to registered externals then leave through it). Absent = none.
  */
  gateways?: GatewaySpec[];
  /** Services outside the mesh (third-party APIs), in declaration order: no sidecar, plain HTTP. Absent = none. */
  externals?: ExternalSpec[];
  /** What callers' sidecars do with a host the mesh does not know (Istio's outboundTrafficPolicy.mode). Absent = ALLOW_ANY (contract/defaults.ts). */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
}

/**
A gateway: an Envoy of its own per replica, not an app's sidecar. An ingress gateway routes what
enters the mesh (`routes`), and may terminate TLS; an egress gateway is where calls to registered
externals leave the mesh, so the policies and faults on the way out apply in one place.
*/
export interface GatewaySpec {
  name: string;
  kind: 'ingress' | 'egress';
  /** Instances, named `<name>-0` … Default 1 (contract/defaults.ts). */
  replicas: number;
  /** Ingress: the routes, in order (contract/gateway-route.ts). Egress: none (it routes by host to the externals). */
  routes: GatewayRoute[];
  /** Ingress: TLS termination (Istio's `tls.mode: SIMPLE`); null = plain HTTP. Default null. */
  tls: GatewayTls | null;
  /** Local rate limit at each replica (Envoy local_ratelimit: 429 + flag RL). Default none. */
  rateLimit: RateLimit | null;
}

export interface GatewayTls {
  /** SIMPLE: the gateway terminates TLS with its own certificate; clients present none. */
  mode: 'SIMPLE';
  /**
  Names the gateway's certificate is for: the hosts of its routes (a wildcard as written), or the
  gateway's own name when its routes name no host. Its issuer: the mesh's CA when the scenario has
  security, else a root made for the run (self-signed).
  */
  hosts: string[];
}

/**
A service outside the mesh, standing for a third-party API: the built-in service's behaviour, no
sidecar, reached over plain HTTP by name through the callers' sidecars. It calls nothing.
*/
export interface ExternalSpec extends ServiceSpec {
  /**
  Whether the mesh's registry knows it (Istio: a ServiceEntry). Unregistered, callers reach it only
  as an unknown host: sent on as it is under ALLOW_ANY (PassthroughCluster: no policy applies),
  refused under REGISTRY_ONLY (502, BlackHoleCluster). Default true.
  */
  registered: boolean;
}

/** The gateways of a scenario (none when it declares none). */
export function gatewaysOf(scenario: Pick<Scenario, 'gateways'>): readonly GatewaySpec[] {
  return scenario.gateways ?? [];
}

/** The externals of a scenario (none when it declares none). */
export function externalsOf(scenario: Pick<Scenario, 'externals'>): readonly ExternalSpec[] {
  return scenario.externals ?? [];
}

/** The scenario's egress gateway, if it declares one. */
export function egressGatewayOf(scenario: Pick<Scenario, 'gateways'>): GatewaySpec | undefined {
  return gatewaysOf(scenario).find((g) => g.kind === 'egress');
}

/**
Every named part of the mesh with instances, as the size of a run and the reach of the load see it:
the services (their calls), the gateways (an ingress gateway calls its routes' destinations; the
egress gateway the registered externals) and the externals (which call nothing).
*/
export function meshNodes(s: { services: readonly ServiceSpec[]; gateways?: readonly GatewaySpec[]; externals?: readonly ExternalSpec[] }): { name: string; replicas: number; calls: readonly string[] }[] {
  const registered = (s.externals ?? []).filter((e) => e.registered).map((e) => e.name);
  return [
    ...s.services,
    ...(s.gateways ?? []).map((g) => ({ name: g.name, replicas: g.replicas, calls: g.kind === 'egress' ? registered : gatewayDestinations(g) })),
    ...(s.externals ?? []).map((e) => ({ name: e.name, replicas: e.replicas, calls: [] })),
  ];
}

/**
A gateway as the mesh sees it, in the shape of a service: its name and replicas, its rate limit,
the destinations it sends to (an ingress gateway: its routes'; the egress gateway: the registered
externals); nothing of an app.
*/
export function gatewayAsService(g: GatewaySpec, scenario: Pick<Scenario, 'externals'>): ServiceSpec {
  const calls = g.kind === 'egress' ? externalsOf(scenario).filter((e) => e.registered).map((e) => e.name) : gatewayDestinations(g);
  return {
    name: g.name,
    replicas: g.replicas,
    latency: { kind: 'fixed', ms: 0 },
    errorRate: 0,
    errorStatus: 500,
    concurrency: null,
    queue: 0,
    calls,
    callMode: 'sequence',
    instances: {},
    zone: null,
    version: 'v1',
    rateLimit: g.rateLimit,
    bulkheads: {},
    responseBytes: 0,
    image: null,
    command: null,
    cwd: null,
    env: {},
    ready: null,
  };
}

/** The services an ingress gateway's routes send to, in the order they are first named. */
export function gatewayDestinations(gateway: Pick<GatewaySpec, 'routes'>): string[] {
  return [...new Set(gateway.routes.flatMap((r) => r.to.map((d) => d.service)))];
}

/** How the rate-limit service answers and what the sidecars do when it cannot. */
export interface RateLimitServiceSpec {
  /** The domain every quota lives in. Default: the scenario's name. */
  domain: string;
  /** When the service cannot answer in time (down, paused, slow): `allow` lets the request through, `deny` answers 500 with flag RLSE. Default allow. */
  failureMode: (typeof RATE_LIMIT_FAILURE_MODES)[number];
  /** How long a sidecar waits for its answer. Default 20ms (Envoy's). */
  timeoutMs: number;
}

/**
A global rate limit on requests to a service, counted by the rate-limit service for all its
instances together (fixed windows, as envoyproxy/ratelimit counts): a descriptor
`destination_cluster=<service>`, and, unless `by` is `service`, a second entry that splits it.
*/
export interface Quota {
  /** `service`: every request; `caller`: per calling service; `path`: per request path; `header`: per value of `header`. */
  by: 'service' | 'caller' | 'path' | 'header';
  /** The header counted by (`by: header`), lower case; null otherwise. */
  header: string | null;
  /** Only this caller, path or header value (a more specific rule beats one without a value); null = one counter per distinct value. */
  value: string | null;
  /** Requests per unit, in a fixed window of that unit. */
  limit: { requests: number; unit: RateLimitUnit };
  /** Counted and reported, never refused (envoyproxy/ratelimit's shadow_mode). Default false. */
  shadow: boolean;
  /** Its name in reports: `orders`, `orders/caller`, `orders/caller=checkout`, `orders/header:x-user`, `orders/path=/export`. */
  name: string;
}

/** A position in a Kubernetes manifest, and what is there: where an imported mesh value came from. */
export interface ManifestSource {
  file: string;
  /** 1-based. */
  line: number;
  col: number;
  /** Kind and name of the resource, e.g. `DestinationRule reviews`. */
  resource: string;
  /** Dotted path of the field in the resource, e.g. `spec.trafficPolicy.outlierDetection.interval`. */
  field: string;
}

/** What `mesh.from` read, what it applied, and what it could not. */
export interface MeshImport {
  /** The patterns as written in the scenario (relative to it). */
  from: string[];
  /** The manifest files they matched, in the order read. */
  files: string[];
  /**
  Where each imported value still in effect came from, by its key under `mesh`
  (`reviews.retries.attempts`, `profile`). Values the scenario writes itself win and are not listed.
  */
  sources: Record<string, ManifestSource>;
  /** What the manifests say that meshproof cannot express or did not apply, each at its position. */
  warnings: ScenarioIssue[];
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
  /** Locality of the instances (overridable per instance; `zones: [a, b]` in YAML spreads replicas over them in turn). Default null (no zone). */
  zone: string | null;
  /** Version label (a subset, for traffic splits; overridable per instance). Default "v1". */
  version: string;
  /** Local rate limit at each instance's inbound sidecar (Envoy local_ratelimit: token bucket, 429 + flag RL). Default none. */
  rateLimit: RateLimit | null;
  /** Global rate limits on requests to this service, counted across its instances by the rate-limit service (429 + flag RL). Default none (absent = none). */
  quotas?: Quota[];
  /**
  Bulkheads: most requests each instance's sidecar lets be in flight to a destination at once, by
  destination service; over it, calls fail fast with 503 + UO, so one slow dependency cannot hold
  all of this service's capacity. Default none.
  */
  bulkheads: Record<string, number>;
  /**
  Built-in service: bytes of the response body (overridable per instance), so bandwidth and
  limit_data toxics have something to act on. Default 0: the service's usual short body.
  */
  responseBytes: number;
  /** The user's own app as a locally present Docker image (Docker runtime only); null = the built-in service. Default null. */
  image: string | null;
  /**
  The user's own program (local runtime): a command line run by `sh -c`, or an argv list run as is
  (its items may hold `${...}` references, see `env`). null = the built-in service. Default null.
  */
  command: string | string[] | null;
  /** Absolute working folder of `command` (written relative to the scenario file's folder). null without a command. */
  cwd: string | null;
  /**
  Environment of the user's program (command or image) on top of what meshproof sets, as written:
  values may hold `${PORT}`, `${MESHPROOF_INSTANCE}`, `${MESHPROOF_SERVICE}`, `${MESHPROOF_SIDECAR}`
  and `${<NAME>_URL}` of each called service, filled per instance at start (`$$` is a literal `$`).
  Default {}.
  */
  env: Record<string, string>;
  /** When the user's program is ready for traffic; null for the built-in service. Default `{ probe: { kind: 'tcp' }, timeoutMs: 30000 }` for command and image services. */
  ready: ReadySpec | null;
  /**
  PeerAuthentication for this service's instances: what their inbound sidecars accept. null = the
  mesh-wide mode (`security.mtls`); the narrower setting wins, as in Istio. Default null.
  */
  mtls?: MtlsMode | null;
  /** Authorization policies on requests into this service's instances (Istio's AuthorizationPolicy, DENY before ALLOW). Default none. */
  authorization?: AuthorizationPolicy[];
}

/** A readiness check of a user's program, and how long it may take to pass. */
export interface ReadySpec {
  probe: ReadyProbe;
  timeoutMs: number;
}

export type ReadyProbe =
  /** 127.0.0.1:$PORT accepts a TCP connection. */
  | { kind: 'tcp' }
  /** GET `path` on 127.0.0.1:$PORT answers 2xx. */
  | { kind: 'http'; path: string }
  /** A line of the program's output (stdout or stderr) matches `pattern` (a JavaScript regular expression). */
  | { kind: 'log'; pattern: string };

/** Whether a service runs the user's own program (command or image) rather than the built-in service. */
export function runsOwnProgram(spec: Pick<ServiceSpec, 'command' | 'image'>): boolean {
  return (spec.command ?? null) !== null || (spec.image ?? null) !== null;
}

/** The mesh's security settings. */
export interface SecuritySpec {
  /** The mesh-wide PeerAuthentication mode. Default: the profile's (PERMISSIVE). */
  mtls: MtlsMode;
  /** Trust domain of every SPIFFE ID (`spiffe://<trustDomain>/ns/default/sa/<service>`). Default cluster.local. */
  trustDomain: string;
  /** Lifetime of a workload certificate. Default: the profile's (24h). */
  certTtlMs: number;
  /** When a certificate is renewed, as a fraction of its lifetime. Default: the profile's (half, as Istio). */
  renewAt: number;
  /**
  A root CA the user gives as PEM files (paths as written, and their text): the control plane signs
  workloads with an intermediate it makes under it. null = a self-signed root made for the run. Default null.
  */
  rootCA: { certFile: string; keyFile: string; cert: string; key: string } | null;
}

/**
The engine for wire faults. `builtin`: meshproof's own Toxiproxy-compatible engine. `toxiproxy`: a
real toxiproxy-server, at `address` when one is already running there (host:port of its API), or
started from PATH for the run when `address` is null. `address` is always null with `builtin`.
*/
export interface ChaosEngine {
  engine: 'builtin' | 'toxiproxy';
  address: string | null;
}

export type RuntimeKind = 'local' | 'docker';

/** What one instance of a built-in service may do differently from its siblings. */
export type InstanceOverride = Partial<Pick<ServiceSpec, 'latency' | 'errorRate' | 'errorStatus' | 'concurrency' | 'queue' | 'zone' | 'version' | 'responseBytes'>>;

/**
Whose defaults fill what a scenario does not write (contract/defaults.ts): `istio` follows current
Istio (1.24 and later), `istio-1.23` Istio up to 1.23 (or a later one with compatibilityVersion
1.23), whose default retries also retry 503; `linkerd` current Linkerd (2.16 and later).
*/
export type MeshProfile = (typeof MESH_PROFILES)[number];

/** The spec one instance runs: the service's, with that instance's overrides applied. */
export function instanceSpec(service: ServiceSpec, instance: string): ServiceSpec {
  const o = service.instances?.[instance];
  return o ? { ...service, ...o } : service;
}

export type LatencySpec =
  | { kind: 'fixed'; ms: number }
  /** Log-normal fitted through p50 and p99. */
  | { kind: 'distribution'; p50Ms: number; p99Ms: number };

// ---------------------------------------------------------------------------------------------
// Faults

/** What a fault hits. */
export type FaultTarget =
  | { kind: 'instance'; service: string; instance: string }
  | { kind: 'service'; service: string }
  /** The links from `from`'s instances to `to` (a service, or one instance when `toInstance` is set); `from` may be `client`. */
  | { kind: 'edge'; from: string; to: string; toInstance?: string }
  /** The whole mesh (a root rotation, a mesh-wide mTLS mode). */
  | { kind: 'mesh' };

export type FaultAction =
  /** L7 fault in the sidecar: at the callers' outbound (target edge or service) or at the target instance's inbound. */
  | { kind: 'http'; at: 'outbound' | 'inbound'; fault: HttpFault }
  /** kill: SIGKILL (restartAfterMs: start it again after that long); pause: SIGSTOP for the window, then SIGCONT; restart: kill + start at once. */
  | { kind: 'process'; action: 'kill' | 'pause' | 'restart'; restartAfterMs: number | null }
  /** A Toxiproxy toxic on the links of the target. */
  | { kind: 'toxic'; toxic: { type: string; stream: 'upstream' | 'downstream'; toxicity: number; attributes: Record<string, number> } }
  /** Every link between the two groups of instances is down for the window. */
  | { kind: 'partition'; groups: [string[], string[]] }
  /** PeerAuthentication switched for the window, as a config push: on the target service, or the whole mesh. */
  | { kind: 'security'; mtls: MtlsMode }
  /** The target instance's certificate is not renewed and runs out: it holds an expired one for the window. */
  | { kind: 'cert-expire' }
  /** A new root CA; every certificate reissued under it over the window, the old root trusted meanwhile (overlap) or dropped at once. */
  | { kind: 'root-rotation'; overlap: boolean }
  /** The target instance's clock is off by `offsetMs` (positive: ahead) for the window. */
  | { kind: 'clock-skew'; offsetMs: number };

export interface Fault {
  name: string;
  atMs: number;
  /** null: until the end of the run (process kill without restart: for good). */
  forMs: number | null;
  target: FaultTarget;
  action: FaultAction;
  line: number;
  col: number;
}

export interface LoadSpec {
  /**
  What the load generator sends to: a service, or an ingress gateway (then a load balancer in front,
  the `client` sidecar, spreads it over the gateway's replicas).
  */
  target: string;
  /** The Host header of the load's requests (what a gateway's routes match). Absent = the target's name. */
  host?: string;
  /**
  open: every request has an intended send time on an absolute schedule (`rate` or `phases`,
  spread by `arrivals`) and goes out whatever the responses do; closed: `connections` requests in
  flight, each sent as the previous one is answered (written as a load with no rate).
  */
  model: 'open' | 'closed';
  /** Requests per second when there are no phases (the first phase's rate when there are); null for closed loop. */
  rate: number | null;
  /** How an open-loop load spreads its requests. Default uniform. */
  arrivals: Arrivals;
  /** Most requests in flight (the cap of an open-loop load; the connections of a closed one). Default max(10, ceil(highest rate / 10)). */
  connections: number;
  /** Defaults to the scenario's duration. */
  durationMs: number;
  /** Optional piecewise-constant rate; when present, they cover the load from its start, in order. */
  phases: LoadPhase[];
  /** Request path. Default "/". */
  path: string;
  /**
  Whether the load generator is an outside client: it then reaches the target in plaintext with no
  identity (what a STRICT service refuses). Default false: it is inside the mesh, its ingress sidecar
  originates mutual TLS like any other.
  */
  plaintext?: boolean;
}

/** Evenly spaced intended send times, or a Poisson process (exponential gaps) seeded from the scenario's seed. */
export type Arrivals = 'uniform' | 'poisson';

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
  | 'retry_ratio'
  /** Requests refused by a circuit breaker or bulkhead (flag UO) on the scope. */
  | 'overflow'
  /** Requests refused by a rate limit, local or global (429, flag RL) on the scope. */
  | 'rate_limited'
  /** Requests per second let through the scope's rate limits (not answered 429). */
  | 'admitted_rps'
  /** Requests ended because a propagated deadline passed (flag DE). */
  | 'deadline_exceeded'
  /** Requests the built-in service worked on after a caller up the chain had given up (series `wasted:<instance>`). */
  | 'wasted'
  /** The time of that work, ms, summed. */
  | 'wasted_time'
  /** Requests the built-in service stopped or skipped because nobody waited any more (series `saved:<instance>`). */
  | 'saved'
  /** Requests no route took (404, flag NR): at a gateway, no rule for their host, path or headers. */
  | 'no_route'
  /** Share of a service's requests that reached one version (scope `version`). */
  | 'share'
  /** Most attempts (first try and retries) on an edge within any one request, from the run's traces: `attempts(front -> store) <= 3 per request`. */
  | 'attempts'
  /** Requests refused by an authorization policy (403 RBAC: access denied) on the scope. */
  | 'denied'
  /** Share of the scope's requests carried over mutual TLS. */
  | 'mtls'
  /** Mutual TLS handshakes that failed on the scope (connections, not requests): at its inbound, or at the caller's sidecars for an edge. */
  | 'handshake_errors';

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
  | { kind: 'edge'; from: string; to: string; toInstance?: string }
  /** The instances of one version of a service (`share(reviews v2)`). */
  | { kind: 'version'; service: string; version: string };

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/**
A time window over the run's timeline, in ms from the start of the load: the whole run, a fixed
span, or a span relative to a fault (placed on the times the run recorded for it).
*/
export type Window =
  | { kind: 'run' }
  | { kind: 'between'; fromMs: number; toMs: number }
  /** From the fault's start (+ fromOffsetMs) to its end (or the end of the run). `during f from +3s`. */
  | { kind: 'during'; fault: string; fromOffsetMs: number }
  /** From the start of the run to the fault's start. */
  | { kind: 'before'; fault: string }
  /** From the fault's start or end (+ offsetMs) to the end of the run. `after f.end`, `after f.start from +2s`. */
  | { kind: 'after'; fault: string; edge: 'start' | 'end'; offsetMs: number };

/** A point in the run: a fault's start or end plus an offset, or a time from the start of the load. */
export type Anchor = { kind: 'fault'; fault: string; edge: 'start' | 'end'; offsetMs: number } | { kind: 'time'; ms: number };

/** A metric's unit (declared with the formatters that print it). */
export type { Unit };

/**
An expectation is one of:
- a measurement over a window (`kind` absent or 'metric'): `p99(client) < 250ms during slow`;
- an event by a deadline (`ejected`): `ejected(payments-1) within 2s after p1.start`;
- a recovery by a deadline (`recovered`): `recovered(client, success_rate >= 99.9%) within 5s after crash.end`;
- a state at a moment (`state`): `state(payments-1) == ejected at p1.start from +3s`.
*/
export type AnyExpectation = Expectation | EjectedExpectation | RecoveredExpectation | StateExpectation;

interface ExpectationSite {
  /** The sentence as written. */
  text: string;
  line: number;
  col: number;
}

/** Held when some caller's sidecar ejected the instance within `withinMs` after the anchor. */
export interface EjectedExpectation extends ExpectationSite {
  kind: 'ejected';
  instance: string;
  service: string;
  withinMs: number;
  after: Anchor;
}

/** Held when, from some second at most `withinMs` after the anchor until the end of the run, every second meets the condition. */
export interface RecoveredExpectation extends ExpectationSite {
  kind: 'recovered';
  scope: Scope;
  condition: { metric: MetricName; op: Comparator; value: number; unit: Unit };
  withinMs: number;
  after: Anchor;
}

/** Held when the instance is in that state (as the mesh saw it) at the moment. */
export interface StateExpectation extends ExpectationSite {
  kind: 'state';
  instance: string;
  service: string;
  op: '==' | '!=';
  state: InstanceState;
  at: Anchor;
}

export interface Expectation {
  kind?: 'metric';
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

/** The instance names of a service (or of a gateway, or an external: anything with a name and replicas). */
export function instanceNames(service: Pick<ServiceSpec, 'name' | 'replicas'>): string[] {
  return Array.from({ length: service.replicas }, (_, i) => `${service.name}-${i}`);
}
