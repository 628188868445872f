import type { Server } from 'node:http';
import type { DownstreamRequest, DownstreamResponse } from '../http1/downstream.ts';
import { Http1Server } from '../http1/http1-server.ts';
import type { RequestHandler } from '../http1/server-connection.ts';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { seriesKey, type Recorder, type SparseSeries } from '../../contract/series.ts';
import { AuthorizationEvaluator } from '../../security/authorization.ts';
import { classifyHandshakeError, type HandshakeFailure } from '../../security/handshake-failure.ts';
import type { UpstreamTls } from '../../contract/sidecar-config.ts';
import { authorizationFilter } from './authorization-filter.ts';
import { InboundListener } from './inbound-listener.ts';
import { TlsCredentials } from './tls-credentials.ts';
import type { EndpointState } from './cluster.ts';
import type { UpstreamTlsOptions } from './upstream-pool.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { deriveSeed, seededRandom, type Random } from '../../util/random.ts';
import type { HttpFault } from '../../contract/mesh-policy.ts';
import { describeMeshEvent, type Describer } from '../../contract/describe-mesh-event.ts';
import type { MeshEvent } from '../../contract/mesh-event.ts';
import type { ClusterConfig, SidecarConfig } from '../../contract/sidecar-config.ts';
import type { SidecarPorts } from '../../contract/child-message.ts';
import { isInert } from '../policy/fault-injector.ts';
import { TokenBucket } from '../policy/token-bucket.ts';
import { accessLogLine } from './access-log.ts';
import { AppWorkReader } from './app-work.ts';
import { newRunCredential } from '../../auth/run-credential.ts';
import { guardControl } from '../../auth/control-guard.ts';
import { adminHandler, type AdminTarget } from './admin.ts';
import { bulkheadFilter } from './bulkhead-filter.ts';
import { ClusterState, type ClusterChanges, type ClusterEnv } from './cluster.ts';
import { withDefaults } from './config-defaults.ts';
import { CoalescingReporter, EventLog } from './event-log.ts';
import { faultFilter } from './fault-filter.ts';
import { rateLimitFilter } from './rate-limit-filter.ts';
import { globalRateLimitFilter } from './global-rate-limit-filter.ts';
import { RlsClient } from './rls-client.ts';
import { Exchange, type Direction } from './exchange.ts';
import { compose, type Filter, type Handler } from './filter.ts';
import { Flag, flagsToList } from './flags.ts';
import { requestIdentity } from './identity.ts';
import { forwardToApp, type AppTarget, type InboundContext } from './inbound.ts';
import { routerHandler, type RoutedRequest, type RouterContext } from './router.ts';
import { loopDelayGauges, type LoopDelay } from '../../contract/run-health.ts';
import { ClusterStats, ListenerStats, statsJson, statsPrometheus, type ConfigStats, type StatsSnapshot, type StatsSources } from './stats.ts';
import type { SpanSink } from '../../contract/span-sink.ts';
import { recordExchangeSpans, spanFilter, startAppSpan } from './spans.ts';
import { createUpstreamPool, type UpstreamPool } from './upstream-pool.ts';
import { validateSidecarConfig } from './validate-config.ts';
import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from '../../contract/gateway-route.ts';
import { PASSTHROUGH_POLICY } from '../../contract/defaults.ts';
import { RouteTable } from '../policy/route-table.ts';
import { gatewayListener } from './gateway-listener.ts';
import { gatewayRouteFilter } from './gateway-route-filter.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { Agent, createServer } = process.getBuiltinModule('node:http');
const { Agent: TlsAgent } = process.getBuiltinModule('node:https');

export interface SidecarOptions {
  /** This pod's instance name, e.g. `payments-1`. */
  instance: string;
  /** This pod's service; `client` for the ingress. */
  service: string;
  /**
  Monotonic time for timeouts, back-off and latencies.
  @default systemClock (performance.now and real timers)
  */
  clock?: Clock;
  /**
  Source of every random choice (load balancing, jitter, trace and request ids).
  @default seeded from the pushed config's `seed` (and from `seed` below until then)
  */
  random?: Random;
  /** Seed used before the first config arrives. @default derived from the instance name */
  seed?: number;
  /**
  Wall-clock epoch ms, for the per-second stats buckets and event timestamps.
  @default Date.now
  */
  now?: () => number;
  /**
  Where the per-second stats go, which the admin endpoint serves (`GET /timeline`) and a config
  push re-bases on the run's `t0`. The harness's is observe/timeline.ts's SeriesRecorder, on the
  same wall clock as `now`.
  */
  recorder: Recorder;
  /**
  Receives one Envoy-style access-log line per request, when set.
  @default off
  */
  accessLog?: (line: string) => void;
  /**
  Where spans go (inbound, outbound, every try, the app call); the sidecar's share of tracing.
  @default none: no spans, nothing on the request path but a check of an empty string
  */
  spans?: SpanSink | null;
  /**
  Turns an event into the words `GET /events` serves beside it.
  @default describeMeshEvent
  */
  describe?: Describer;
  /**
  Destination services that get a dedicated outbound listener each (Consul Connect's upstreams): a
  request to it goes to that service whatever its Host header says, through the same filters and
  router as the Host-routed outbound, so every policy applies alike. Its port is in
  `SidecarPorts.upstreams`; it is what a user's program is given as `<NAME>_URL`.
  @default none
  */
  upstreams?: readonly string[];
  /**
  How the admin listener is locked (docs/security-model.md): `credential` is the run's, which every
  write (a config push) must carry as `Authorization: Bearer <credential>`; `hostPort: 'any'` lets
  the Host header name any port after a loopback name, for an admin port Docker publishes under
  another number. Reads need no credential.
  @default a credential made here (read it back from `sidecar.credential`), the listener's own port
  */
  admin?: { credential?: string; hostPort?: 'listener' | 'any' };
  /**
  What this proxy is. `gateway`: an Envoy of its own with no app (Istio's ingress or egress
  gateway): its inbound listener routes every request it receives by the config's `gateway.routes`,
  through the rate limit, the inbound fault, and then the same filters, router and policies as an
  app's outbound; it terminates TLS when the config gives it a certificate.
  @default 'sidecar'
  */
  role?: 'sidecar' | 'gateway';
  /**
  Ports to bind instead of ones the OS picks: a proxy started again after a kill keeps its address,
  as a restarted container keeps its pod's.
  @default every port picked by the OS
  */
  ports?: Partial<Pick<SidecarPorts, 'inbound' | 'outbound' | 'admin'>>;
  /**
  This process's event-loop delay (src/util/loop-delay-monitor.ts), when the sidecar has a process
  of its own: restarted at each new second 0 and served in `GET /stats` as the
  `server.event_loop_delay.*` gauges, which the harness reads to check its promises. Absent (several
  sidecars in one process, as in tests): no such gauges.
  @default none
  */
  loopDelay?: { reset(): void; read(): LoopDelay };
}

/**
A sidecar proxy: an outbound listener the app calls through (routing, load balancing, timeouts,
retries), an inbound listener in front of the app, and an admin listener the control plane pushes
config to and the harness reads stats and events from. Embeddable: tests and benchmarks run it in
process; `main.ts` runs it as its own process.
*/
export class Sidecar implements AdminTarget, RouterContext {
  readonly instance: string;
  readonly service: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly recorder: Recorder;
  readonly inFlight = new Set<RoutedRequest>();
  readonly spans: SpanSink | null;
  /** The credential a write to the admin listener must carry. */
  readonly credential: string;
  private readonly adminHostPort: 'listener' | 'any';
  private rng: Random;
  private readonly fixedRandom: boolean;
  readonly now: () => number;
  private readonly log: EventLog;
  private readonly accessLog: ((line: string) => void) | null;
  private readonly describe: Describer;
  private running: SidecarConfig | null = null;
  private readonly clusterMap = new Map<string, ClusterState>();
  /** Kept by name across pushes, so a destination that leaves and comes back keeps counting. */
  private readonly clusterStats = new Map<string, ClusterStats>();
  /** Coalesced events (at most one per second each), by `<kind>:<cluster>`. */
  private readonly reporters = new Map<string, CoalescingReporter>();
  /** The inbound local rate limit, when the pod has one. */
  private bucket: TokenBucket | null = null;
  /** The L7 fault at this pod's inbound, when one is in force. */
  private inboundFault: HttpFault | null = null;
  private readonly clusterEnv: ClusterEnv;
  /** Keep-alive pool of active health check probes (apart from the endpoints' pools). */
  private readonly hcAgent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  private readonly hcTlsAgent = new TlsAgent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  /** This pod's certificate, trust bundle and inbound mode (Envoy's SDS secrets and PeerAuthentication). */
  private readonly credentials = new TlsCredentials();
  /** The inbound listener with its plaintext and mutual TLS filter chains. */
  private inboundListener: InboundListener | null = null;
  /** The pod's authorization policies, compiled; null when it has none. */
  private authz: AuthorizationEvaluator | null = null;
  private authzKey = '';
  /** The last handshake failure of each coalesced report, by its key (the event carries the last one's reason). */
  private readonly lastHandshakeFailure = new Map<string, { failure: HandshakeFailure; endpoint: string | null }>();
  private readonly lastDenied = new Map<string, { method: string; path: string }>();
  private readonly inboundStats = new ListenerStats();
  private readonly outboundStats = new ListenerStats();
  private readonly configStats: ConfigStats = { update_success: 0, update_rejected: 0, update_stale: 0, version: 0 };
  private readonly instanceKey: string;
  /** Where the app listens and the keep-alive pool to it; replaced when a push moves the app. */
  private appTarget: AppTarget | null = null;
  private servers: (Server | NetServer)[] = [];
  private ports: SidecarPorts | null = null;
  private isClosing = false;
  private readonly upstreams: readonly string[];
  /** Reads the built-in service's wasted and saved work into the timeline, when the config says the app reports it. */
  private readonly appWork: AppWorkReader;
  /** Calls the rate-limit service, when the pod's service has quotas. */
  private readonly rls: RlsClient;
  private appWorkTimer: ReturnType<typeof setInterval> | null = null;
  readonly role: 'sidecar' | 'gateway';
  private readonly fixedPorts: Partial<Pick<SidecarPorts, 'inbound' | 'outbound' | 'admin'>>;
  /** A gateway's listener stats (`http.gateway.*`), apart from the app-facing listeners'. */
  private readonly gatewayStats = new ListenerStats();
  /** A gateway's routes, compiled at each push that changes them. */
  private routeTable: RouteTable | null = null;
  /** A gateway's TLS credentials, as a context each new connection takes; null = plain HTTP. */
  private gatewayTls: { pem: string; context: SecureContext } | null = null;
  /** Hosts the registry does not know that still resolve (ALLOW_ANY's PassthroughCluster), by host. */
  private readonly passthroughMap = new Map<string, ClusterState>();
  /** The TCP front of a gateway's listener (TLS termination), closed with the rest. */
  private netServers: NetServer[] = [];
  private readonly loopDelay: SidecarOptions['loopDelay'] | null;
  private loopReset: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SidecarOptions) {
    this.instance = options.instance;
    this.service = options.service;
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? Date.now;
    this.fixedRandom = options.random !== undefined;
    this.rng = options.random ?? seededRandom(options.seed ?? deriveSeed(0, options.instance));
    // Load balancers and policies hold this function; a re-seed swaps what it calls.
    this.random = () => this.rng();
    this.recorder = options.recorder;
    this.log = new EventLog({ instance: this.instance, now: this.now });
    this.accessLog = options.accessLog ?? null;
    this.spans = options.spans ?? null;
    this.describe = options.describe ?? describeMeshEvent;
    this.upstreams = [...new Set(options.upstreams ?? [])];
    this.role = options.role ?? 'sidecar';
    this.fixedPorts = options.ports ?? {};
    this.credential = options.admin?.credential ?? newRunCredential();
    this.adminHostPort = options.admin?.hostPort ?? 'listener';
    this.instanceKey = seriesKey.instance(this.instance);
    this.appWork = new AppWorkReader({ instance: this.instance, recorder: this.recorder });
    this.rls = new RlsClient(this.credential);
    this.loopDelay = options.loopDelay ?? null;
    this.clusterEnv = {
      fromService: this.service,
      random: this.random,
      clock: this.clock,
      now: this.now,
      emit: (body) => void this.log.emit(body),
      hcAgent: this.hcAgent,
      hcTlsAgent: this.hcTlsAgent,
      upstreamTls: (cluster, mtls, endpoint) => this.upstreamTls(cluster, mtls, endpoint),
      credentialsGeneration: () => this.credentials.generation,
    };
  }

  get closing(): boolean {
    return this.isClosing;
  }

  get config(): SidecarConfig | null {
    return this.running;
  }

  /** Binds the inbound, outbound, admin and upstream listeners on 127.0.0.1, ports picked by the OS. */
  async start(): Promise<SidecarPorts> {
    if (this.ports) return this.ports;
    const routed = compose(routerHandler(this), this.outboundFilters());
    let inbound: Server | NetServer;
    // A gateway's listener is a TCP front that terminates TLS (when it has a certificate) before
    // HTTP, with no PeerAuthentication: what enters through it comes from outside the mesh.
    let front: NetServer | null = null;
    if (this.role === 'gateway') {
      const http = this.listener('inbound', compose(routerHandler(this), this.gatewayFilters()), { stats: this.gatewayStats, exchange: 'outbound' });
      front = gatewayListener(http, () => this.gatewayTls?.context ?? null);
      this.netServers.push(front);
      inbound = http;
    } else {
      this.inboundListener = new InboundListener(this.requestListener('inbound', compose(forwardToApp(this.inboundContext()), this.inboundFilters())), this.credentials, {
        onHandshake: () => void this.inboundStats.ssl.handshake++,
        onHandshakeFailure: (f) => this.onInboundHandshakeFailure(f),
      });
      inbound = this.inboundListener.server;
    }
    const outbound = this.listener('outbound', routed);
    const admin = createServer(guardControl(adminHandler(this, this.describe), { token: this.credential, hostPort: this.adminHostPort }));
    // One handler for all: a dedicated listener only names the destination, then the request takes
    // the Host-routed outbound's path (filters, route, policies, stats) unchanged.
    const upstreams = this.upstreams.map((service) =>
      this.listener('outbound', (ex) => {
        ex.authority = service;
        routed(ex);
      }),
    );
    this.servers = [inbound, outbound, admin, ...upstreams];
    const fixed = [this.fixedPorts.inbound, this.fixedPorts.outbound, this.fixedPorts.admin];
    const [i, o, a, ...u] = await Promise.all(this.servers.map((s, k) => listen(k === 0 && front ? front : s, fixed[k] ?? 0)));
    this.ports = { inbound: i, outbound: o, admin: a };
    if (this.upstreams.length > 0) this.ports.upstreams = Object.fromEntries(this.upstreams.map((service, k) => [service, u[k]]));
    return this.ports;
  }

  /**
  Inbound policy, in order, before the request is forwarded to the app: the local rate limit
  (429 RL; a refused request never meets the fault), the global rate limit (a call to the rate-limit
  service: 429 RL, or 500 RLSE when it cannot answer and failureMode is deny), then the callee-side
  L7 fault (DI/FI), whose failures look real to callers. Authorization goes before them (Envoy's RBAC
  filter comes first in Istio's inbound chain); mutual TLS is the listener's (inbound-listener.ts),
  before any filter.
  */
  private inboundFilters(): Filter[] {
    return [
      requestIdentity(this.random),
      ...this.spanFilters(),
      authorizationFilter({ stats: this.inboundStats, evaluator: () => this.authz, onDenied: (ex, policy) => this.onDenied(ex, policy) }),
      rateLimitFilter({ clock: this.clock, stats: this.inboundStats, bucket: () => this.bucket, onRateLimited: () => this.onRateLimited() }),
      globalRateLimitFilter({
        stats: this.inboundStats,
        client: this.rls,
        config: () => this.running?.inbound.globalRateLimit ?? null,
        onOverLimit: () => this.onQuotaLimited(),
        onServiceError: (why) => this.onRlsError(why),
      }),
      faultFilter({ clock: this.clock, random: this.random, stats: this.inboundStats, fault: () => this.inboundFault }),
    ];
  }

  /**
  Outbound policy, in order, before the router. Filters after `resolveRoute` see `ex.cluster`: the
  caller-side L7 fault (applied before routing, so its outcomes are neither retried nor timed by the
  route), then the bulkhead. Circuit breakers are per try, so they live in the router's connection
  pool step, not here.
  */
  private outboundFilters(): Filter[] {
    return [
      requestIdentity(this.random),
      ...this.spanFilters(),
      this.resolveRoute(),
      faultFilter({ clock: this.clock, random: this.random, stats: this.outboundStats, fault: (ex) => ex.cluster!.fault }),
      bulkheadFilter((c) => this.onBulkheadOverflow(c)),
    ];
  }

  /**
  A gateway's policy, in order: what an app's inbound does to a request arriving (the gateway's local
  rate limit, an L7 fault at the gateway instance), then route resolution by the gateway's routes,
  then what an app's outbound does (the fault toward the destination, the bulkhead) before the
  router applies the destination's policy: a gateway is a caller like any sidecar.
  */
  private gatewayFilters(): Filter[] {
    const stats = this.gatewayStats;
    return [
      requestIdentity(this.random),
      ...this.spanFilters(),
      rateLimitFilter({ clock: this.clock, stats, bucket: () => this.bucket, onRateLimited: () => this.onRateLimited() }),
      faultFilter({ clock: this.clock, random: this.random, stats, fault: () => this.inboundFault }),
      gatewayRouteFilter({ service: this.service, random: this.random, stats, routes: () => this.routeTable, cluster: (name) => this.clusterMap.get(name) }),
      faultFilter({ clock: this.clock, random: this.random, stats, fault: (ex) => ex.cluster!.fault }),
      bulkheadFilter((c) => this.onBulkheadOverflow(c)),
    ];
  }

  /** Right after the request's identity: whether it gets a span (only with tracing on). */
  private spanFilters(): Filter[] {
    return this.spans ? [spanFilter(this.spans)] : [];
  }

  /** Resolves the Host header to a destination cluster: 503 NC before any config, 404 NR for an unknown one. */
  private resolveRoute(): Filter {
    return (next) => (ex) => {
      const stats = this.outboundStats;
      if (!this.running) {
        stats.no_config++;
        ex.seriesKey = seriesKey.edge(this.service, ex.authority || '-');
        ex.sendLocalReply(503, Flag.NC, 'no config from the control plane yet: the sidecar knows no destination');
        return;
      }
      const cluster = this.clusterMap.get(ex.authority) ?? this.unregistered(ex);
      if (cluster === null) return;
      if (!cluster) {
        stats.no_route++;
        ex.seriesKey = seriesKey.edge(this.service, ex.authority || '-');
        const known = [...this.clusterMap.keys()].join(', ') || 'none';
        ex.sendLocalReply(404, Flag.NR, ex.authority ? `no route: ${this.service} has no destination "${ex.authority}" (known: ${known})` : 'no route: the request has no Host header naming a destination');
        return;
      }
      ex.cluster = cluster;
      ex.seriesKey = cluster.edgeKey;
      next(ex);
    };
  }

  /**
  A host that names no cluster, under the outbound traffic policy: REGISTRY_ONLY answers 502 at once,
  as Istio's `block_all` route does (no flag; recorded on the edge to BlackHoleCluster) and returns
  null; ALLOW_ANY gives the PassthroughCluster for a host the mesh's DNS resolves; undefined when
  neither applies (404 NR follows).
  */
  private unregistered(ex: Exchange): ClusterState | null | undefined {
    if (this.running?.outboundTrafficPolicy === 'REGISTRY_ONLY' && ex.authority !== '') {
      this.outboundStats.blackhole++;
      // On the edge to the host asked for, and to Istio's BlackHoleCluster (where its telemetry counts it).
      ex.seriesKey = seriesKey.edge(this.service, ex.authority);
      ex.edgeSeriesKey = seriesKey.edge(this.service, BLACKHOLE_CLUSTER);
      ex.sendLocalReply(
        502,
        0,
        `blocked: "${ex.authority}" is not in the mesh's registry and outboundTrafficPolicy is REGISTRY_ONLY (Istio's BlackHoleCluster, route block_all); declare it as an external service (registered) to reach it`,
      );
      return null;
    }
    const passthrough = this.passthroughMap.get(ex.authority);
    if (passthrough) ex.edgeSeriesKey = seriesKey.edge(this.service, PASSTHROUGH_CLUSTER);
    return passthrough;
  }

  private inboundContext(): InboundContext {
    const spans = this.spans;
    return {
      app: () => this.appTarget,
      hasConfig: () => this.running !== null,
      identity: () => this.credentials.identity?.spiffeId ?? null,
      traceApp: spans ? (ex) => startAppSpan(ex, spans, this.clock.now()) : null,
      deadlines: () => this.running?.inbound.deadlines ?? 'off',
      clock: this.clock,
      now: this.now,
      stats: this.inboundStats,
    };
  }

  /**
  An HTTP listener. `as`: a gateway's, which counts in its own stats and whose exchanges take the
  outbound's identity and spans (a trace continues through a gateway as through a caller's sidecar).
  */
  private listener(direction: Direction, handler: Handler, as?: { stats: ListenerStats; exchange: Direction }): Http1Server {
    return new Http1Server(this.requestListener(direction, handler, as));
  }

  private requestListener(direction: Direction, handler: Handler, as?: { stats: ListenerStats; exchange: Direction }): RequestHandler & ((req: DownstreamRequest, res: DownstreamResponse) => void) {
    const stats = as?.stats ?? (direction === 'inbound' ? this.inboundStats : this.outboundStats);
    const exchangeDirection = as?.exchange ?? direction;
    return (req: DownstreamRequest, res: DownstreamResponse) => {
      const ex = new Exchange(req, res, exchangeDirection, this.clock.now());
      if (direction === 'inbound') {
        // Health check probes are counted, but kept out of the instance's timeline: they are not traffic.
        if (ex.healthCheck) stats.health_check++;
        else ex.seriesKey = this.instanceKey;
        const peer = InboundListener.peerOf(req);
        if (peer !== null) {
          ex.mtls = true;
          ex.peer = peer;
        }
        // Made under credentials or a mode no longer in force: this response closes it.
        if (InboundListener.stale(req, this.credentials.generation)) res.shouldKeepAlive = false;
      }
      stats.downstream_rq_total++;
      stats.downstream_rq_active++;
      // 'close' is emitted once; `on` spares the wrapper `once` makes per request.
      res.on('close', () => this.complete(ex, stats));
      handler(ex);
    };
  }

  /** Accounts for a finished exchange: listener stats, its timeline series, the access log. */
  private complete(ex: Exchange, stats: ListenerStats): void {
    const status = ex.closed();
    const end = this.clock.now();
    const latencyMs = end - ex.start;
    if (ex.spanId !== '') recordExchangeSpans(this.spans!, ex, status, end, this.instance);
    stats.downstream_rq_active--;
    if (ex.bulkhead !== null) {
      ex.bulkhead.bulkheadActive--;
      ex.bulkhead = null;
    }
    if (status === 'error' || ex.abandoned) stats.downstream_rq_rx_reset++;
    if (status !== 'error') stats.countStatus(status);
    if (ex.seriesKey) {
      this.recorder.add(ex.seriesKey, status, latencyMs, ex.flags === 0 ? null : flagsToList(ex.flags));
      if (ex.mtls) this.recorder.count(ex.seriesKey, 'mtls');
      if (ex.denied) this.recorder.count(ex.seriesKey, 'denied');
    }
    if (ex.edgeSeriesKey) {
      this.recorder.add(ex.edgeSeriesKey, status, latencyMs, ex.flags === 0 ? null : flagsToList(ex.flags));
      if (ex.mtls) this.recorder.count(ex.edgeSeriesKey, 'mtls');
      if (ex.denied) this.recorder.count(ex.edgeSeriesKey, 'denied');
    }
    if (this.accessLog) this.accessLog(accessLogLine(ex, status, latencyMs, this.now() - latencyMs));
  }

  // ------------------------------------------------------------------------------------------
  // Config

  validate(cfg: unknown): string[] {
    return validateSidecarConfig(cfg);
  }

  /**
  Applies a pushed config without restarting: a version not newer than the running one is ignored
  (`applied: false`). Requests in flight finish on the endpoints they were sent to; their next try
  uses the new endpoints. Throws when the config is invalid or meant for another instance.
  */
  applyConfig(pushed: SidecarConfig): { version: number; applied: boolean } {
    const problems = validateSidecarConfig(pushed);
    const cfg = problems.length === 0 ? withDefaults(pushed) : pushed;
    if (cfg && typeof cfg === 'object' && problems.length === 0 && (cfg.instance !== this.instance || cfg.service !== this.service)) {
      problems.push(`instance: this sidecar is ${this.instance} of ${this.service}, the config is for ${cfg.instance} of ${cfg.service}`);
    }
    if (problems.length > 0) {
      this.configStats.update_rejected++;
      throw new Error(`config rejected: ${problems.join('; ')}`);
    }
    const prev = this.running;
    if (prev && cfg.version <= prev.version) {
      this.configStats.update_stale++;
      return { version: prev.version, applied: false };
    }
    const changed: string[] = [];
    if (!prev || prev.seed !== cfg.seed) {
      if (!this.fixedRandom) this.rng = seededRandom(cfg.seed);
      if (prev) changed.push('seed');
    }
    if (!prev || prev.t0 !== cfg.t0) {
      // A new second 0 starts a new timeline: what was recorded before belongs to no run second.
      this.recorder.t0 = cfg.t0;
      this.recorder.clear();
      this.resetLoopDelayAt(cfg.t0);
      if (prev) changed.push('t0');
    }
    if (prev && JSON.stringify(prev.app) !== JSON.stringify(cfg.app)) changed.push('app');
    if (prev && prev.zone !== cfg.zone) changed.push('zone');
    if (prev && JSON.stringify(prev.inbound) !== JSON.stringify(cfg.inbound)) changed.push('inbound');
    this.running = cfg;
    this.applyInbound(cfg);
    this.applyApp(cfg);
    // Before the clusters: their pools are made with the credentials now in force.
    if (this.applySecurity(cfg, prev)) changed.push('security');
    this.applyAppWork(cfg);

    for (const [name, cc] of Object.entries(cfg.clusters)) {
      const existing = this.clusterMap.get(name);
      if (existing) {
        const c = existing.update(cc, cfg.zone);
        if (this.reportClusterChanges(name, c)) changed.push(`clusters.${name}`);
      } else {
        this.addCluster(name, cc);
        changed.push(`clusters.${name}`);
      }
    }
    for (const [name, c] of this.clusterMap) {
      if (cfg.clusters[name]) continue;
      c.retire();
      this.clusterMap.delete(name);
      for (const [key, r] of this.reporters) {
        if (!key.endsWith(`:${name}`)) continue;
        r.flush();
        r.dispose();
        this.reporters.delete(key);
      }
      this.log.emit({ type: 'cluster-removed', data: { cluster: name } });
      changed.push(`clusters.${name}`);
    }
    if (this.applyGateway(cfg, prev)) changed.push('gateway');
    if (this.applyPassthrough(cfg)) changed.push('passthrough');
    this.configStats.update_success++;
    this.configStats.version = cfg.version;
    this.log.emit({
      type: 'config-applied',
      data: { version: cfg.version, previousVersion: prev?.version ?? null, changed, destinations: Object.keys(cfg.clusters).length },
    });
    return { version: cfg.version, applied: true };
  }

  /** A gateway's routes and certificate: recompiled when they change. True when anything did. */
  private applyGateway(cfg: SidecarConfig, prev: SidecarConfig | null): boolean {
    const g = cfg.gateway ?? null;
    const before = prev?.gateway ?? null;
    if (this.role !== 'gateway') return JSON.stringify(g) !== JSON.stringify(before) && prev !== null;
    const routesChanged = this.routeTable === null || JSON.stringify(g?.routes ?? []) !== JSON.stringify(before?.routes ?? []);
    if (routesChanged) this.routeTable = new RouteTable(g?.routes ?? []);
    const pem = g?.tls ? g.tls.certChain + g.tls.key : null;
    const tlsChanged = pem !== (this.gatewayTls?.pem ?? null);
    if (tlsChanged) this.gatewayTls = g?.tls && pem ? { pem, context: createSecureContext({ cert: g.tls.certChain, key: g.tls.key }) } : null;
    return prev !== null && (routesChanged || tlsChanged);
  }

  /**
  The hosts ALLOW_ANY passes through (PassthroughCluster): one cluster each, with no policy, their
  requests recorded on the edge to the host and on the edge to PassthroughCluster, and counted in
  PassthroughCluster's stats. True when they changed.
  */
  private applyPassthrough(cfg: SidecarConfig): boolean {
    const wanted = cfg.passthrough ?? {};
    let changed = false;
    let stats = this.clusterStats.get(PASSTHROUGH_CLUSTER);
    for (const [host, endpoints] of Object.entries(wanted)) {
      const config: ClusterConfig = { policy: PASSTHROUGH_POLICY, endpoints, fault: null, bulkhead: null };
      const existing = this.passthroughMap.get(host);
      if (existing) {
        const c = existing.update(config, cfg.zone);
        if (c.added.length + c.removed.length + c.moved.length + c.health.length > 0) changed = true;
        continue;
      }
      if (!stats) this.clusterStats.set(PASSTHROUGH_CLUSTER, (stats = new ClusterStats()));
      this.passthroughMap.set(host, new ClusterState({ name: host, stats, env: this.clusterEnv, config, localZone: cfg.zone }));
      changed = true;
    }
    for (const [host, c] of this.passthroughMap) {
      if (wanted[host]) continue;
      c.retire();
      this.passthroughMap.delete(host);
      changed = true;
    }
    return changed;
  }

  private addCluster(name: string, cc: ClusterConfig): void {
    let stats = this.clusterStats.get(name);
    if (!stats) this.clusterStats.set(name, (stats = new ClusterStats()));
    const zone = this.running?.zone ?? null;
    const empty: ClusterConfig = { policy: cc.policy, endpoints: [], fault: cc.fault, bulkhead: cc.bulkhead };
    const cluster = new ClusterState({ name, stats, env: this.clusterEnv, config: empty, localZone: zone });
    this.clusterMap.set(name, cluster);
    this.log.emit({ type: 'cluster-added', data: { cluster: name, endpoints: cc.endpoints.length, loadBalancer: cc.policy.loadBalancer } });
    this.reportClusterChanges(name, cluster.update(cc, zone));
  }

  /** The app's address: a new one gets a new pool; the old one closes once its requests in flight are answered. */
  private applyApp(cfg: SidecarConfig): void {
    const app = cfg.app;
    const cur = this.appTarget;
    if (cur && app && cur.host === app.host && cur.port === app.port) return;
    this.appTarget = app ? { host: app.host, port: app.port, address: `${app.host}:${app.port}`, pool: createUpstreamPool(app.host, app.port) } : null;
    if (cur) closePool(cur.pool);
  }

  /** Reads the app's work log once a second while the config says it keeps one (the built-in service). */
  private applyAppWork(cfg: SidecarConfig): void {
    const on = cfg.app?.work === true;
    if (on && this.appWorkTimer === null) {
      this.appWorkTimer = setInterval(() => void this.readAppWork(), 1000);
      this.appWorkTimer.unref();
    } else if (!on && this.appWorkTimer !== null) {
      clearInterval(this.appWorkTimer);
      this.appWorkTimer = null;
    }
  }

  private readAppWork(): Promise<void> {
    const app = this.running?.app;
    return app?.work ? this.appWork.read(app) : Promise.resolve();
  }

  /** The pod's inbound policies: the token bucket keeps its tokens across pushes that change its rate. */
  private applyInbound(cfg: SidecarConfig): void {
    const rl = cfg.inbound.rateLimit;
    if (rl === null) this.bucket = null;
    else if (this.bucket === null) this.bucket = new TokenBucket(rl, this.clock.now());
    else this.bucket.reconfigure(rl, this.clock.now());
    const fault = isInert(cfg.inbound.fault) ? null : cfg.inbound.fault;
    const changed = JSON.stringify(fault) !== JSON.stringify(this.inboundFault);
    this.inboundFault = fault;
    if (changed) this.emitFault(null, fault);
  }

  /**
  The pod's identity, trust bundle, inbound mode and authorization policies. A new certificate or
  trust bundle is used by every connection from now on: the inbound listener takes it and drains
  what was accepted before, and every cluster replaces its pools (in its update). True when anything changed.
  */
  private applySecurity(cfg: SidecarConfig, prev: SidecarConfig | null): boolean {
    const sec = cfg.security!;
    const before = prev?.security;
    const c = this.credentials.apply(sec);
    if (c.identity && sec.identity) {
      const id = sec.identity;
      const data = { spiffeId: id.spiffeId, serial: id.serial, notBefore: id.notBefore, notAfter: id.notAfter, root: id.root };
      const previousSerial = before?.identity?.serial ?? null;
      this.log.emit(previousSerial === null ? { type: 'certificate-issued', data } : { type: 'certificate-rotated', data: { ...data, previousSerial } });
    }
    if (c.trust && before) this.log.emit({ type: 'trust-bundle-changed', data: { roots: sec.trustBundleRoots, previous: before.trustBundleRoots } });
    if (c.mode && before) this.log.emit({ type: 'mtls-mode-changed', data: { mode: sec.mtls, previous: before.mtls } });
    if (c.identity || c.trust || c.mode || c.skew) this.inboundListener?.reconfigure();
    const key = JSON.stringify(sec.authorization) + sec.trustDomain;
    const authzChanged = key !== this.authzKey;
    if (authzChanged) {
      this.authzKey = key;
      this.authz = sec.authorization.length === 0 ? null : new AuthorizationEvaluator(sec.authorization, sec.trustDomain);
    }
    return prev !== null && (c.identity || c.trust || c.mode || c.skew || authzChanged);
  }

  /** The mutual TLS of one endpoint's pool toward `cluster`; null = plaintext (none asked for, or this pod cannot). */
  private upstreamTls(cluster: string, mtls: UpstreamTls | null, endpoint: () => EndpointState): UpstreamTlsOptions | null {
    if (!mtls) return null;
    const options = this.credentials.clientOptions(mtls.spiffeId, cluster);
    if (!options) return null;
    return { options: options as unknown as Record<string, unknown>, onHandshake: (err) => this.onUpstreamHandshake(cluster, endpoint(), err) };
  }

  private onUpstreamHandshake(cluster: string, ep: EndpointState, err: Error | null): void {
    const stats = this.clusterStats.get(cluster);
    if (!stats) return;
    if (err === null) {
      stats.ssl.handshake++;
      return;
    }
    const failure = classifyHandshakeError(err);
    // A connection refused or reset carries no TLS failure of its own: the other side counts what it refused.
    if (failure === null) return;
    stats.ssl.fail(failure.kind);
    const edge = this.clusterMap.get(cluster)?.edgeKey;
    if (edge) this.recorder.count(edge, 'handshakeErrors');
    this.recorder.count(ep.upstreamKey, 'handshakeErrors');
    const key = `handshake:${failure.kind}:${cluster}`;
    this.lastHandshakeFailure.set(key, { failure, endpoint: ep.instance });
    this.coalesced(key, (count, intervalMs) => {
      const last = this.lastHandshakeFailure.get(key)!;
      this.log.emit({ type: 'handshake-failed', data: { cluster, endpoint: last.endpoint, count, intervalMs, kind: last.failure.kind, reason: last.failure.reason, detail: last.failure.detail } });
    }).hit();
  }

  private onInboundHandshakeFailure(failure: HandshakeFailure): void {
    this.inboundStats.ssl.fail(failure.kind);
    this.recorder.count(this.instanceKey, 'handshakeErrors');
    const key = `handshake-in-${failure.kind}:`;
    this.lastHandshakeFailure.set(key, { failure, endpoint: null });
    this.coalesced(key, (count, intervalMs) => {
      const last = this.lastHandshakeFailure.get(key)!;
      this.log.emit({ type: 'handshake-failed', data: { cluster: null, endpoint: null, count, intervalMs, kind: last.failure.kind, reason: last.failure.reason, detail: last.failure.detail } });
    }).hit();
  }

  private onDenied(ex: Exchange, policy: string): void {
    const source = ex.peer;
    const key = `rbac:${policy}|${source ?? '-'}:`;
    this.lastDenied.set(key, { method: ex.req.method ?? 'GET', path: ex.req.url ?? '/' });
    this.coalesced(key, (count, intervalMs) => {
      const last = this.lastDenied.get(key)!;
      this.log.emit({ type: 'authorization-denied', data: { policy, source, count, intervalMs, method: last.method, path: last.path } });
    }).hit();
  }

  /** Emits an event per endpoint change; true when anything changed. */
  private reportClusterChanges(name: string, c: ClusterChanges): boolean {
    for (const e of c.added) {
      this.log.emit({ type: 'endpoint-added', data: { cluster: name, endpoint: e.instance, address: e.address, healthy: e.edsHealthy } });
    }
    for (const e of c.removed) {
      this.log.emit({ type: 'endpoint-removed', data: { cluster: name, endpoint: e.instance, address: e.address } });
    }
    for (const { from, to } of c.moved) {
      this.log.emit({ type: 'endpoint-address-changed', data: { cluster: name, endpoint: to.instance, from: from.address, address: to.address, healthy: to.edsHealthy } });
    }
    for (const e of c.health) {
      this.log.emit({ type: 'endpoint-health-changed', data: { cluster: name, endpoint: e.instance, healthy: e.edsHealthy } });
    }
    const cl = this.clusterMap.get(name)!;
    if (c.policyChanged) this.log.emit({ type: 'policy-changed', data: { cluster: name, policy: cl.policy, bulkhead: cl.bulkhead } });
    if (c.faultChanged) this.emitFault(name, cl.fault);
    return c.added.length + c.removed.length + c.moved.length + c.health.length > 0 || c.policyChanged || c.faultChanged;
  }

  /** A fault came into force at this sidecar or ended: at its inbound (cluster null) or toward a destination. */
  private emitFault(cluster: string | null, fault: HttpFault | null): void {
    this.log.emit(fault ? { type: 'fault-applied', data: { cluster, fault } } : { type: 'fault-cleared', data: { cluster } });
  }

  /** One reporter per kind and cluster: the first hit is reported at once, the rest once per second with a count. */
  private coalesced(key: string, report: (count: number, intervalMs: number) => void): CoalescingReporter {
    let r = this.reporters.get(key);
    if (!r) {
      r = new CoalescingReporter({ clock: this.clock, intervalMs: 1000, report });
      this.reporters.set(key, r);
    }
    return r;
  }

  onRetryOverflow(cluster: ClusterState): void {
    const name = cluster.name;
    this.coalesced(`retry:${name}`, (count, intervalMs) => {
      const c = this.clusterMap.get(name);
      const b = c?.budget;
      if (b || !c) {
        this.log.emit({ type: 'retry-budget-overflow', data: { cluster: name, count, intervalMs, percent: b?.percent ?? null, minRetryConcurrency: b?.minRetryConcurrency ?? null } });
      } else {
        this.log.emit({ type: 'retry-overflow', data: { cluster: name, count, intervalMs, maxRetries: c.breaker.limits.maxRetries } });
      }
    }).hit();
  }

  onBreakerOverflow(cluster: ClusterState): void {
    const name = cluster.name;
    this.coalesced(`breaker:${name}`, (count, intervalMs) => {
      const limits = this.clusterMap.get(name)?.breaker.limits ?? null;
      this.log.emit({ type: 'circuit-breaker-overflow', data: { cluster: name, count, intervalMs, limits: limits && { ...limits } } });
    }).hit();
  }

  private onBulkheadOverflow(cluster: ClusterState): void {
    const name = cluster.name;
    this.coalesced(`bulkhead:${name}`, (count, intervalMs) => {
      const limit = this.clusterMap.get(name)?.bulkhead ?? null;
      this.log.emit({ type: 'bulkhead-overflow', data: { cluster: name, count, intervalMs, limit } });
    }).hit();
  }

  private onRateLimited(): void {
    this.coalesced('rate-limit:', (count, intervalMs) => {
      const rl = this.running?.inbound.rateLimit ?? null;
      this.log.emit({ type: 'rate-limited', data: { count, intervalMs, requestsPerSecond: rl?.requestsPerSecond ?? null, burst: rl?.burst ?? null } });
    }).hit();
  }

  private onQuotaLimited(): void {
    this.coalesced('quota:', (count, intervalMs) => {
      this.log.emit({ type: 'quota-limited', data: { count, intervalMs, domain: this.running?.inbound.globalRateLimit?.domain ?? '' } });
    }).hit();
  }

  private lastRlsError = '';

  private onRlsError(why: string): void {
    this.lastRlsError = why;
    this.coalesced('rls-error:', (count, intervalMs) => {
      const g = this.running?.inbound.globalRateLimit;
      this.log.emit({ type: 'rate-limit-service-error', data: { count, intervalMs, failureMode: g?.failureMode ?? 'allow', reason: this.lastRlsError, timeoutMs: g?.timeoutMs ?? 0 } });
    }).hit();
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  private sources(): StatsSources {
    const clusters: [string, ClusterStats, Record<string, number>][] = [];
    for (const [name, stats] of [...this.clusterStats].sort((a, b) => a[0].localeCompare(b[0]))) {
      const c = this.clusterMap.get(name);
      const gauges: Record<string, number> = { membership_healthy: c?.healthy.length ?? 0, membership_total: c?.endpoints.length ?? 0 };
      if (c) {
        gauges.upstream_rq_pending_active = c.breaker.pending;
        gauges.bulkhead_active = c.bulkheadActive;
        gauges['outlier_detection.ejections_active'] = c.outlier.active;
        gauges['health_check.healthy'] = c.endpoints.filter((e) => e.hc !== null && !e.hc.state.failed).length;
        gauges.lb_panic = c.inPanic ? 1 : 0;
        for (const [k, v] of Object.entries(c.breaker.open(stats.rq_retry_active))) gauges[`circuit_breakers.default.${k}`] = v;
      }
      clusters.push([name, stats, gauges]);
    }
    return {
      clusters,
      listeners: [
        ['inbound', this.inboundStats],
        ['outbound', this.outboundStats],
        ...(this.role === 'gateway' ? ([['gateway', this.gatewayStats]] as [string, ListenerStats][]) : []),
      ],
      config: this.configStats,
      tracing: this.spans ? { ...this.spans.stats() } : null,
      server: this.loopDelay ? loopDelayGauges(this.loopDelay.read()) : null,
    };
  }

  /** The loop delay is measured from second 0: start-up, compiling and the warm-up are not the run's. */
  private resetLoopDelayAt(t0: number): void {
    const loop = this.loopDelay;
    if (!loop) return;
    if (this.loopReset) clearTimeout(this.loopReset);
    this.loopReset = setTimeout(() => loop.reset(), Math.max(0, t0 - this.now()));
    this.loopReset.unref();
  }

  stats(): StatsSnapshot {
    return statsJson(this.instance, this.service, this.sources());
  }

  prometheus(): string {
    return statsPrometheus(this.sources());
  }

  events(since = 0): MeshEvent[] {
    return this.log.since(since);
  }

  timeline(since = -Infinity): { t0: number; series: SparseSeries } {
    return { t0: this.recorder.t0, series: this.recorder.toJSON(since) };
  }

  /** Brings the timeline up to date with what only a read can bring: the app's latest work records, when it keeps them. */
  refreshTimeline(): Promise<void> {
    return this.readAppWork();
  }

  clusters(): unknown {
    const out: Record<string, unknown> = {};
    for (const [name, c] of this.clusterMap) out[name] = c.describe();
    return out;
  }

  /** Closes the listeners and every connection pool; requests still routed are cut (flag LR). */
  async close(): Promise<void> {
    if (this.isClosing) return;
    this.isClosing = true;
    if (this.appWorkTimer !== null) clearInterval(this.appWorkTimer);
    if (this.loopReset) clearTimeout(this.loopReset);
    for (const r of [...this.inFlight]) r.cancel();
    for (const r of this.reporters.values()) {
      r.flush();
      r.dispose();
    }
    await Promise.all([
      ...this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            if ('closeAllConnections' in s) s.closeAllConnections();
          }),
      ),
      ...this.netServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ]);
    this.inboundListener?.closeAllConnections();
    for (const c of this.clusterMap.values()) c.retire();
    for (const c of this.passthroughMap.values()) c.retire();
    if (this.appTarget) this.appTarget.pool.destroy().catch(() => {});
    this.hcAgent.destroy();
    this.hcTlsAgent.destroy();
    this.rls.close();
    // Last: the spans of the requests cut above are queued too.
    await this.spans?.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Closes a pool once its requests in flight have their answers (new ones are refused). */
function closePool(pool: UpstreamPool): void {
  pool.close().catch(() => {});
}

function listen(server: Server | NetServer, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
