import type { Agent } from 'node:http';
import type { Agent as TlsAgent } from 'node:https';
import type { DestinationPolicy, HealthCheck, HttpFault } from '../../contract/mesh-policy.ts';
import type { Clock } from '../../util/clock.ts';
import type { Random } from '../../util/random.ts';
import { seriesKey } from '../../contract/series.ts';
import { probeFailureText } from '../../contract/describe-mesh-event.ts';
import type { Ejection, EjectionReason, MeshEventBody, UnejectReason } from '../../contract/mesh-event.ts';
import type { ClusterConfig, Endpoint } from '../../contract/sidecar-config.ts';
import { ConnectionPoolBreaker } from '../policy/circuit-breaker.ts';
import { isInert } from '../policy/fault-injector.ts';
import { ActiveHealthCheck, type ProbeResult } from '../policy/health-checker.ts';
import { createLoadBalancer, type LbHost, type LoadBalancer } from '../policy/load-balancer.ts';
import { planPriorities, type PriorityPlan } from '../policy/locality.ts';
import { OutlierDetector, OutlierHostState } from '../policy/outlier-detector.ts';
import { RetryBudget } from '../policy/retry-budget.ts';
import { compileRetryOn, type RetryConditions } from '../policy/retry-policy.ts';
import { CompiledSplit } from '../policy/traffic-split.ts';
import { httpProbe } from './health-probe.ts';
import { createUpstreamPool, destroyPool, type UpstreamPool, type UpstreamTlsOptions } from './upstream-pool.ts';
import type { UpstreamTls } from '../../contract/sidecar-config.ts';
import type { ClusterStats } from './stats.ts';

/** What a cluster needs from the sidecar around it. */
export interface ClusterEnv {
  readonly fromService: string;
  readonly random: Random;
  readonly clock: Clock;
  /** Wall-clock epoch ms, for `/clusters`. */
  readonly now: () => number;
  /** Emits a mesh event (ejections, health checks, panic). */
  emit(body: MeshEventBody): void;
  /** Keep-alive pools for active health check probes, plaintext and mutual TLS. */
  readonly hcAgent: Agent;
  readonly hcTlsAgent: TlsAgent;
  /**
  The mutual TLS an endpoint's pool is made with toward `cluster` (whose endpoints must present
  `mtls.spiffeId`), with its handshakes reported; null = plaintext (no mTLS asked, or this pod has no identity).
  */
  upstreamTls(cluster: string, mtls: UpstreamTls | null, endpoint: () => EndpointState): UpstreamTlsOptions | null;
  /** Changes whenever the pod's credentials do: pools made before are replaced. */
  credentialsGeneration(): number;
}

/**
One upstream host of a cluster: where to dial, its zone and version, its three health signals
(the control plane's, outlier detection's and active health checking's), how many tries it has in
flight (for least_request), and its own keep-alive connection pool.
*/
export class EndpointState implements LbHost {
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  /** `host:port`, for messages and the access log. */
  readonly address: string;
  /** Timeline series of the tries sent to this instance. */
  readonly upstreamKey: string;
  /** Its keep-alive connection pool (replaced, the old one drained, when the pod's credentials or the destination's mTLS change). */
  pool: UpstreamPool;
  /** Whether the pool originates mutual TLS. */
  tls = false;
  /** The TLS options its connections are made with (health check probes use them too); null = plaintext. */
  tlsConnect: Record<string, unknown> | null = null;
  zone: string | null;
  version: string;
  /** The control plane's view (Envoy: EDS health); false = gone or not ready. */
  edsHealthy: boolean;
  readonly outlier = new OutlierHostState();
  hc: ActiveHealthCheck | null = null;
  active = 0;
  private retired = false;

  private readonly onNewConnection: () => void;

  constructor(ep: Endpoint, fromService: string, onNewConnection: () => void, tls: UpstreamTlsOptions | null = null) {
    this.instance = ep.instance;
    this.host = ep.host;
    this.port = ep.port;
    this.edsHealthy = ep.healthy;
    this.zone = ep.zone ?? null;
    this.version = ep.version;
    this.address = `${ep.host}:${ep.port}`;
    this.upstreamKey = seriesKey.upstream(fromService, ep.instance);
    // Counting connections where they are made keeps the per-request path free of it.
    this.onNewConnection = onNewConnection;
    this.pool = createUpstreamPool(ep.host, ep.port, onNewConnection, tls);
    this.tls = tls !== null;
    this.tlsConnect = tls?.options ?? null;
  }

  /** A new pool with other TLS settings; the old one closes once its tries in flight are answered. */
  replacePool(tls: UpstreamTlsOptions | null): void {
    const old = this.pool;
    this.pool = createUpstreamPool(this.host, this.port, this.onNewConnection, tls);
    this.tls = tls !== null;
    this.tlsConnect = tls?.options ?? null;
    old.close().catch(() => {});
  }

  /** Failed by active health checking (Envoy's FAILED_ACTIVE_HC). */
  get hcFailed(): boolean {
    return this.hc !== null && this.hc.state.failed;
  }

  /** May be picked outside panic: healthy for the control plane, not ejected, not failing health checks. */
  get healthy(): boolean {
    return this.edsHealthy && !this.outlier.ejected && !this.hcFailed;
  }

  /** Envoy's `/clusters` health flags. */
  healthFlags(): string[] {
    const f: string[] = [];
    if (!this.edsHealthy) f.push('failed_eds_health');
    if (this.outlier.ejected) f.push('failed_outlier_check');
    if (this.hcFailed) f.push('failed_active_hc');
    return f;
  }

  get isRetired(): boolean {
    return this.retired;
  }

  acquire(): void {
    this.active++;
  }

  release(): void {
    this.active--;
    if (this.retired && this.active === 0) destroyPool(this.pool);
  }

  /** The endpoint left the config: its checks stop, its pool closes once its last try has finished, not before. */
  retire(): void {
    this.retired = true;
    this.hc?.stop();
    this.hc = null;
    if (this.active === 0) destroyPool(this.pool);
  }
}

function noHandshakeReport(): void {}

/** What changed in one cluster at a config push, for the event log. */
export interface ClusterChanges {
  added: EndpointState[];
  removed: EndpointState[];
  moved: { from: EndpointState; to: EndpointState }[];
  health: EndpointState[];
  /** The policy or the bulkhead changed. */
  policyChanged: boolean;
  /** The L7 fault at this outbound changed. */
  faultChanged: boolean;
}

/**
The endpoints one request may go to (all of the cluster's, or one version's under a traffic
split), split into Envoy priorities by locality (P0: the caller's zone; P1: the rest; everything
in P0 without locality), with the load plan over them. Rebuilt whenever membership or health
changes, so picking a host allocates nothing.
*/
export class HostSet {
  readonly version: string | null;
  p0All: EndpointState[] = [];
  p0Healthy: EndpointState[] = [];
  p1All: EndpointState[] = [];
  p1Healthy: EndpointState[] = [];
  plan: PriorityPlan = { p0Load: 100, panic0: false, panic1: false, health0: 0, health1: 0, normalizedTotal: 0 };
  /** Whether some priority that gets traffic has a host to pick. */
  available = false;
  /** Whether this set has any endpoint at all (a version with none gets a 503 saying so). */
  hasEndpoints = false;
  /** Its own load balancer (a subset is its own cluster in Envoy), kept across rebuilds. */
  readonly lb: LoadBalancer;

  constructor(version: string | null, lb: LoadBalancer) {
    this.version = version;
    this.lb = lb;
  }

  /** True when a priority that gets traffic balances over all of its hosts. */
  get inPanic(): boolean {
    const p = this.plan;
    return (p.panic0 && p.p0Load > 0 && this.p0All.length > 0) || (p.panic1 && p.p0Load < 100 && this.p1All.length > 0);
  }
}

/**
A destination service as this sidecar routes to it: its endpoints, its policy compiled for the
request path (load balancer, retry conditions, budget, circuit breakers, outlier detection, active
health checks, locality, traffic split, fault, bulkhead) and its counters. Updated in place by a
config push, so requests in flight keep going and see the new endpoints at their next try, and
endpoints that stay (same instance, same address) keep their outlier and health-check state.
*/
export class ClusterState {
  readonly name: string;
  readonly stats: ClusterStats;
  /** Timeline series of what the app saw calling this destination. */
  readonly edgeKey: string;
  policy!: DestinationPolicy;
  /** Load balancers by version ('' without a split), so each subset keeps its own rotation. */
  private readonly lbs = new Map<string, LoadBalancer>();
  retryConditions: RetryConditions | null = null;
  budget: RetryBudget | null = null;
  readonly breaker: ConnectionPoolBreaker;
  readonly outlier: OutlierDetector<EndpointState>;
  split: CompiledSplit | null = null;
  /** The L7 fault at this caller's outbound; null when none (or inert). */
  fault: HttpFault | null = null;
  /** Most requests in flight from this sidecar to this destination; null = no bulkhead. */
  bulkhead: number | null = null;
  /** Requests holding a bulkhead slot now. */
  bulkheadActive = 0;
  /** Mutual TLS toward this destination (null: plaintext), and the credentials generation the pools were made under. */
  mtls: UpstreamTls | null = null;
  private tlsKey = '';
  endpoints: EndpointState[] = [];
  /** The endpoints that may be picked outside panic (for stats). */
  healthy: EndpointState[] = [];
  /** The host set without a split. */
  allHosts!: HostSet;
  /** One host set per version, when a split is configured. */
  private readonly byVersion = new Map<string, HostSet>();
  inPanic = false;
  private localZone: string | null = null;
  /** TLS toward the endpoints (a gateway terminating TLS); a change replaces their pools, as a credentials change does. */
  private tls: ClusterConfig['tls'] = null;
  private hcConfig: HealthCheck | null = null;
  private updating = false;
  private readonly env: ClusterEnv;

  /**
  `edgeKey`: the timeline series of what the app saw, when it is not the edge to the cluster's name
  (a passthrough host is recorded on the edge to Istio's PassthroughCluster).
  */
  constructor(options: { name: string; stats: ClusterStats; env: ClusterEnv; config: ClusterConfig; localZone: string | null; edgeKey?: string }) {
    this.name = options.name;
    this.env = options.env;
    this.stats = options.stats;
    this.edgeKey = options.edgeKey ?? seriesKey.edge(options.env.fromService, options.name);
    this.breaker = new ConnectionPoolBreaker(options.config.policy.connectionPool ?? NO_LIMITS);
    this.outlier = new OutlierDetector<EndpointState>({
      clock: options.env.clock,
      hosts: () => this.endpoints,
      counters: this.stats,
      onEject: (h, e) => this.onEject(h, e),
      onUneject: (h, reason, ms) => this.onUneject(h, reason, ms),
      onOverflow: (h, reason, consecutive, ejected, total) => this.onEjectionOverflow(h, reason, consecutive, ejected, total),
    });
    this.update(options.config, options.localZone);
  }

  /** The host set a request for `version` uses (null: no split); undefined when the version is unknown. */
  hostSet(version: string | null): HostSet | undefined {
    return version === null ? this.allHosts : this.byVersion.get(version);
  }

  /** The version one request goes to, decided once per request (its retries stay in it); null without a split. */
  chooseVersion(rawHeaders: readonly string[]): string | null {
    return this.split === null ? null : this.split.pickVersion(rawHeaders, this.env.random);
  }

  /**
  Picks a host from a set: a priority by the plan's load (a draw only when both get some), then
  the load balancer over that priority's healthy hosts, or over all of them when it panics.
  */
  pick(set: HostSet): EndpointState | undefined {
    const plan = set.plan;
    let p0: boolean;
    if (plan.p0Load >= 100) p0 = true;
    else if (plan.p0Load <= 0) p0 = false;
    else p0 = this.env.random() * 100 < plan.p0Load;
    const panic = p0 ? plan.panic0 : plan.panic1;
    const list = p0 ? (panic ? set.p0All : set.p0Healthy) : panic ? set.p1All : set.p1Healthy;
    if (panic && list.length > 0) this.stats.lb_healthy_panic++;
    return set.lb.pick(list);
  }

  update(config: ClusterConfig, localZone: string | null): ClusterChanges {
    this.updating = true;
    try {
      return this.apply(config, localZone);
    } finally {
      this.updating = false;
      this.rebuild();
    }
  }

  private apply(config: ClusterConfig, localZone: string | null): ClusterChanges {
    const changes: ClusterChanges = { added: [], removed: [], moved: [], health: [], policyChanged: false, faultChanged: false };
    const policy = config.policy;
    const fault = isInert(config.fault ?? null) ? null : config.fault;
    const bulkhead = config.bulkhead ?? null;
    const first = this.policy === undefined;
    if (!this.policy || JSON.stringify(this.policy) !== JSON.stringify(policy)) {
      changes.policyChanged = this.policy !== undefined;
      if (this.policy?.loadBalancer !== policy.loadBalancer) this.lbs.clear();
      this.retryConditions = policy.retries ? compileRetryOn(policy.retries) : null;
      this.budget = policy.retries?.budget ? new RetryBudget(policy.retries.budget) : null;
      this.split = policy.split ? new CompiledSplit(policy.split) : null;
      this.breaker.configure(policy.connectionPool ?? NO_LIMITS);
      this.policy = policy;
    }
    if (JSON.stringify(fault) !== JSON.stringify(this.fault)) {
      if (!first) changes.faultChanged = true;
      this.fault = fault;
    }
    if (bulkhead !== this.bulkhead) {
      if (!first) changes.policyChanged = true;
      this.bulkhead = bulkhead;
    }
    this.localZone = localZone;
    const mtls = config.mtls ?? null;
    // TLS toward a gateway that terminates it (the load balancer in front's), when no mutual TLS is asked.
    const serverTls = config.tls ?? null;
    const tlsKey = `${mtls?.spiffeId ?? ''}|${mtls ? this.env.credentialsGeneration() : 0}|${serverTls ? `${serverTls.serverName}|${serverTls.ca}` : ''}`;
    const tlsChanged = tlsKey !== this.tlsKey;
    if (tlsChanged && !first && (JSON.stringify(mtls) !== JSON.stringify(this.mtls) || JSON.stringify(serverTls) !== JSON.stringify(this.tls))) changes.policyChanged = true;
    this.mtls = mtls;
    this.tls = serverTls;
    this.tlsKey = tlsKey;
    const tlsFor = (e: () => EndpointState): UpstreamTlsOptions | null =>
      mtls ? this.env.upstreamTls(this.name, mtls, e) : serverTls ? { options: { ca: serverTls.ca }, servername: serverTls.serverName, onHandshake: noHandshakeReport } : null;
    const previous = new Map(this.endpoints.map((e) => [e.instance, e]));
    const next: EndpointState[] = [];
    const onNewConnection = () => void this.stats.upstream_cx_total++;
    const create = (ep: Endpoint): EndpointState => {
      let made: EndpointState | null = null;
      made = new EndpointState(ep, this.env.fromService, onNewConnection, tlsFor(() => made!));
      return made;
    };
    const gone: { e: EndpointState; why: 'endpoint-removed' | 'endpoint-replaced' }[] = [];
    for (const ep of config.endpoints) {
      const old = previous.get(ep.instance);
      previous.delete(ep.instance);
      if (!old) {
        const e = create(ep);
        changes.added.push(e);
        next.push(e);
      } else if (old.host !== ep.host || old.port !== ep.port) {
        // A new address is a new host (Envoy keys hosts by address): fresh outlier and health state.
        const e = create(ep);
        gone.push({ e: old, why: 'endpoint-replaced' });
        changes.moved.push({ from: old, to: e });
        next.push(e);
      } else {
        if (old.edsHealthy !== ep.healthy) {
          old.edsHealthy = ep.healthy;
          changes.health.push(old);
        }
        old.zone = ep.zone ?? null;
        old.version = ep.version;
        if (tlsChanged) old.replacePool(tlsFor(() => old));
        next.push(old);
      }
    }
    for (const e of previous.values()) {
      gone.push({ e, why: 'endpoint-removed' });
      changes.removed.push(e);
    }
    for (const { e, why } of gone) {
      this.outlier.forget(e, why);
      e.retire();
    }
    this.endpoints = next;
    // After the membership is known, so a detector turned off returns the hosts that stay.
    this.outlier.configure(policy.outlierDetection ?? null);
    this.configureHealthChecks(policy.healthCheck ?? null);
    return changes;
  }

  private configureHealthChecks(hc: HealthCheck | null): void {
    this.hcConfig = hc;
    for (const e of this.endpoints) {
      if (hc === null) {
        if (e.hc) {
          const failed = e.hc.state.failed;
          e.hc.stop();
          e.hc = null;
          if (failed) this.env.emit({ type: 'health-check-passed', data: { cluster: this.name, endpoint: e.instance, reason: 'checks-off', healthyThreshold: null } });
        }
        continue;
      }
      if (e.hc) {
        e.hc.configure(hc);
        continue;
      }
      e.hc = new ActiveHealthCheck({
        config: hc,
        clock: this.env.clock,
        counters: this.stats,
        probe: httpProbe({ plain: this.env.hcAgent, tls: this.env.hcTlsAgent }, e, () => (this.hcConfig ?? hc).path, this.name),
        onCheck: (r, changed) => this.onHealthCheck(e, r, changed),
      });
      e.hc.start();
    }
  }

  private onHealthCheck(e: EndpointState, r: ProbeResult, changed: boolean): void {
    if (e.hc === null) return;
    if (changed) {
      const hc = e.hc.settings;
      // A host only fails on a failed probe, so `r` is one when it has failed.
      if (e.hc.state.failed && !r.ok) {
        this.env.emit({ type: 'health-check-failed', data: { cluster: this.name, endpoint: e.instance, path: hc.path, failure: r.failure, unhealthyThreshold: hc.unhealthyThreshold } });
      } else if (!e.hc.state.failed) {
        this.env.emit({ type: 'health-check-passed', data: { cluster: this.name, endpoint: e.instance, reason: 'checks-passed', healthyThreshold: hc.healthyThreshold } });
      }
      this.rebuild();
    }
    // Envoy's successful_active_health_check_uneject_host (default true).
    if (r.ok && !e.hcFailed && e.outlier.ejected) this.outlier.uneject(e, 'health-check-passed');
  }

  private onEject(h: EndpointState, e: Ejection): void {
    const od = this.outlier.settings!;
    this.env.emit({
      type: 'ejected',
      data: { cluster: this.name, endpoint: h.instance, ...e, capped: e.ejectionMs < od.baseEjectionTimeMs * e.multiplier },
    });
    this.rebuild();
  }

  private onUneject(h: EndpointState, reason: UnejectReason, ejectedForMs: number): void {
    this.env.emit({ type: 'unejected', data: { cluster: this.name, endpoint: h.instance, reason, ejectedMs: Math.round(ejectedForMs) } });
    this.rebuild();
  }

  private onEjectionOverflow(h: EndpointState, reason: EjectionReason, consecutive: number, ejected: number, total: number): void {
    const max = this.outlier.settings!.maxEjectionPercent;
    this.env.emit({ type: 'ejection-skipped', data: { cluster: this.name, endpoint: h.instance, reason, consecutive, ejected, total, maxEjectionPercent: max } });
  }

  /** Recomputes the host sets and the panic state after any membership or health change. */
  rebuild(): void {
    if (this.updating || !this.policy) return;
    const policy = this.policy;
    const locality = policy.locality?.enabled === true && this.localZone !== null;
    const factor = policy.locality.overprovisioningFactor;
    const panicThreshold = policy.panicThreshold ?? 0;
    this.healthy = this.endpoints.filter((e) => e.healthy);
    this.allHosts = this.fill(new HostSet(null, this.lbFor('')), this.endpoints, locality, factor, panicThreshold);
    this.byVersion.clear();
    if (this.split) {
      for (const v of this.split.allVersions) {
        this.byVersion.set(
          v,
          this.fill(
            new HostSet(v, this.lbFor(`v:${v}`)),
            this.endpoints.filter((e) => e.version === v),
            locality,
            factor,
            panicThreshold,
          ),
        );
      }
    }
    let panic = false;
    if (this.split) for (const s of this.byVersion.values()) panic ||= s.inPanic;
    else panic = this.allHosts.inPanic;
    if (panic !== this.inPanic) {
      this.inPanic = panic;
      const healthy = this.healthy.length;
      const total = this.endpoints.length;
      if (panic) this.env.emit({ type: 'panic', data: { cluster: this.name, healthy, total, panicThreshold } });
      else this.env.emit({ type: 'panic-ended', data: { cluster: this.name, healthy, total } });
    }
  }

  private lbFor(key: string): LoadBalancer {
    let lb = this.lbs.get(key);
    if (!lb) this.lbs.set(key, (lb = createLoadBalancer(this.policy.loadBalancer, this.env.random)));
    return lb;
  }

  private fill(set: HostSet, eps: readonly EndpointState[], locality: boolean, factor: number, panicThreshold: number): HostSet {
    for (const e of eps) {
      const local = !locality || e.zone === this.localZone;
      (local ? set.p0All : set.p1All).push(e);
      if (e.healthy) (local ? set.p0Healthy : set.p1Healthy).push(e);
    }
    set.hasEndpoints = eps.length > 0;
    set.plan = planPriorities({ healthy: set.p0Healthy.length, total: set.p0All.length }, { healthy: set.p1Healthy.length, total: set.p1All.length }, factor, panicThreshold);
    const p = set.plan;
    const l0 = p.panic0 ? set.p0All : set.p0Healthy;
    const l1 = p.panic1 ? set.p1All : set.p1Healthy;
    set.available = (p.p0Load > 0 && l0.length > 0) || (p.p0Load < 100 && l1.length > 0);
    return set;
  }

  /** Charges a try's result (status, or 503/504 for local failures) to its host's outlier detection. */
  reportResult(e: EndpointState, status: number): void {
    if (!e.isRetired && this.outlier.enabled) this.outlier.report(e, status);
  }

  /** A try to this cluster ended: its connection is free for the next pending request. */
  onTryEnded(): void {
    this.breaker.release();
  }

  /** `GET /clusters` for this destination, like Envoy's: health flags per endpoint, panic, limits. */
  describe(): unknown {
    const clock = this.env.clock;
    const nowEpoch = this.env.now();
    const mono = clock.now();
    return {
      loadBalancer: this.policy.loadBalancer,
      activeRequests: this.stats.rq_active,
      activeRetries: this.stats.rq_retry_active,
      pendingRequests: this.breaker.pending,
      panic: this.inPanic,
      circuitBreakers: { ...this.breaker.limits, bulkhead: this.bulkhead },
      outlierDetection: this.outlier.settings,
      healthCheck: this.hcConfig,
      locality: this.policy.locality?.enabled === true ? { localZone: this.localZone, p0Load: this.allHosts.plan.p0Load } : null,
      fault: this.fault,
      mtls: this.mtls,
      endpoints: this.endpoints.map((e) => {
        const o = e.outlier;
        return {
          instance: e.instance,
          address: e.address,
          zone: e.zone,
          version: e.version,
          healthy: e.healthy,
          healthFlags: e.healthFlags(),
          ejectedUntil: o.ejected ? Math.round(nowEpoch + o.ejectedAt + this.outlier.ejectionMs(o) - mono) : null,
          timesEjected: o.timesEjected,
          consecutive5xx: o.consecutive5xx,
          consecutiveGatewayErrors: o.consecutiveGateway,
          healthCheck: e.hc ? { failed: e.hc.state.failed, reason: e.hc.state.failure && probeFailureText(e.hc.state.failure) } : null,
          active: e.active,
          tls: e.tls,
        };
      }),
    };
  }

  /** The cluster left the config: every pool closes once idle, checks and sweeps stop. */
  retire(): void {
    this.updating = true;
    for (const e of this.endpoints) this.outlier.forget(e, 'endpoint-removed');
    this.outlier.dispose();
    for (const e of this.endpoints) e.retire();
  }
}

const NO_LIMITS = { maxConnections: null, maxPendingRequests: null, maxRequests: null, maxRetries: null };
