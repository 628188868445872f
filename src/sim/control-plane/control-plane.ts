import { DEFAULT_VERSION } from '../../contract/defaults.ts';
import type { MeshControl, OutboundFault } from '../../contract/mesh-control.ts';
import type { GatewayCertificate, GatewayCertificateIssuer } from '../../contract/gateway-certificate.ts';
import type { GatewayRoute } from '../../contract/gateway-route.ts';
import { dialedService, podKind, type Plan, type PodPlan } from '../../plan/plan-scenario.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import { RATE_LIMIT_SERVICE_INSTANCE, type GlobalRateLimit, type RunningRateLimitService } from '../../contract/rate-limit-service.ts';
import { externalsOf, gatewaysOf, type GatewaySpec } from '../../scenario/scenario.ts';
import { bearerHeader } from '../../auth/run-credential.ts';
import { httpJson } from '../../util/http-json.ts';
import type { HttpFault } from '../../contract/mesh-policy.ts';
import type { MtlsMode } from '../../contract/security-policy.ts';
import { serviceNamed } from '../../scenario/scenario-index.ts';
import { runsOwnProgram } from '../../scenario/scenario.ts';
import type { ClusterConfig, Endpoint, GatewayConfig, SidecarConfig } from '../../contract/sidecar-config.ts';
import type { MeshSecurity } from './mesh-security.ts';

export interface ControlPlaneOptions {
  /** The run's credential: every push carries it (`Authorization: Bearer`), and sidecars refuse a push without it. */
  credential: string;
  /** Timeout of one push to one sidecar. @default 3000 */
  pushTimeoutMs?: number;
  /** Where one pod dials another instance when links go through the fault engine; undefined = its inbound listener directly. */
  linkAddress?: (fromInstance: string, toInstance: string) => { host: string; port: number } | undefined;
  /** Wall-clock epoch ms, for certificate lifetimes and renewals. @default Date.now */
  now?: () => number;
  /** A push the control plane made on its own (a certificate renewal, a step of a root rotation) failed. @default ignored */
  onPushError?: (err: Error) => void;
  /** The run's rate-limit service (when the plan has quotas): it gets its configuration from here, and the sidecars its address. @default none */
  rateLimitService?: RunningRateLimitService | null;
  /** The external services' instances, which callers dial directly (they have no sidecar). @default none */
  externals?: readonly RunningExternal[];
  /**
  Who issues the certificate of a gateway that terminates TLS (its chain and key go to its replicas,
  its roots to the load balancer in front). @default the mesh's CA when the scenario has security,
  else a self-signed root made for the run
  */
  certificates?: GatewayCertificateIssuer;
}

/** At most this many pushes reissue certificates over a root rotation's window (each push goes to every sidecar). */
const ROTATION_BATCHES = 5;

/**
Knows every instance, its address and its health, and pushes each sidecar the whole snapshot it
needs (its clusters: endpoints and policy per destination), xDS-style: a new version replaces the
old one in the running sidecar without a restart.
*/
export class ControlPlane implements MeshControl {
  private version = 0;
  private t0 = 0;
  private readonly healthy = new Map<string, boolean>();
  /** Scheduled faults in force, by fault name, in the order they started (a later one wins on the same cluster). */
  private readonly outboundFaults = new Map<string, OutboundFault>();
  private readonly inboundFaults = new Map<string, { instances: string[]; fault: HttpFault }>();
  private readonly byInstance: Map<string, RunningPod>;
  private readonly externals: Map<string, RunningExternal>;
  /** Planned pods by instance. */
  private readonly planned: Map<string, PodPlan>;
  /** Planned pods by service (or gateway, or external). */
  private readonly podsOf = new Map<string, PodPlan[]>();
  /** Gateways whose proxy is down (killed or paused): no push can reach them. */
  private readonly proxiesDown = new Set<string>();
  /** The certificates of the gateways that terminate TLS, issued before the first push. */
  private readonly certificates = new Map<string, GatewayCertificate>();
  /** Duration of the last complete push to every sidecar, ms. */
  lastPushMs: number | null = null;
  /** The CA and everything about identities and mutual TLS; null until `startSecurity`, and for a scenario without security. */
  security: MeshSecurity | null = null;
  private renewalTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly rotationTimers = new Set<ReturnType<typeof setTimeout>>();
  /** The root a rotation with overlap keeps trusting until its end, by fault name. */
  private readonly overlapping = new Map<string, string>();
  /** Pods a rotation still has to reissue, by fault name. */
  private readonly rotating = new Map<string, string[]>();
  private stopped = false;
  /** The rate-limit service has its configuration (it is pushed again after a restart). */
  private rateLimitConfigured = false;

  private readonly plan: Plan;
  private readonly pods: RunningPod[];
  private readonly ingress: RunningPod;
  private readonly options: ControlPlaneOptions;

  constructor(plan: Plan, pods: RunningPod[], ingress: RunningPod, options: ControlPlaneOptions) {
    this.plan = plan;
    this.pods = pods;
    this.ingress = ingress;
    this.options = options;
    this.byInstance = new Map(pods.map((p) => [p.instance, p]));
    this.externals = new Map((options.externals ?? []).map((e) => [e.instance, e]));
    this.planned = new Map(plan.pods.map((p) => [p.instance, p]));
    for (const p of plan.pods) {
      const list = this.podsOf.get(p.service);
      if (list) list.push(p);
      else this.podsOf.set(p.service, [p]);
    }
    for (const p of pods) this.healthy.set(p.instance, true);
  }

  /** The endpoints a caller's proxy dials for one destination: its instances, or the egress gateway's. */
  private endpointsFor(pod: RunningPod, dest: string): Endpoint[] {
    const group = dialedService(this.plan, pod.service, dest);
    return (this.podsOf.get(group) ?? []).map((p) => {
      const external = this.externals.get(p.instance);
      const own = external ? external.address : this.byInstance.get(p.instance)!.inbound;
      const at = this.options.linkAddress?.(pod.instance, p.instance) ?? own;
      return {
        instance: p.instance,
        host: at.host,
        port: at.port,
        // A third-party API's name keeps resolving when it is down: the mesh has no health for it.
        healthy: external ? true : (this.healthy.get(p.instance) ?? false),
        zone: p.spec.zone ?? null,
        version: p.spec.version,
      };
    });
  }

  /** A gateway's own config: its routes (the egress gateway's: one per external, by its name) and its certificate. */
  private gatewayConfig(g: GatewaySpec, clusters: readonly string[]): GatewayConfig {
    const routes: GatewayRoute[] = g.kind === 'egress' ? clusters.map((name) => ({ hosts: [name], match: [], to: [{ service: name, weight: 1 }] })) : g.routes;
    const cert = this.certificates.get(g.name);
    return { kind: g.kind, routes, tls: g.tls && cert ? { certChain: cert.certChain, key: cert.key } : null };
  }

  /** Issues the certificate of every gateway that terminates TLS, once. */
  private async ensureCertificates(): Promise<void> {
    const tls = gatewaysOf(this.plan.scenario).filter((g) => g.tls && !this.certificates.has(g.name));
    if (tls.length === 0) return;
    // The mesh's CA when the scenario has one (istiod signs the gateway's credential); else a root of the run's own.
    const issuer = (this.options.certificates ??= this.security
      ? new (await import('./mesh-ca-gateway-issuer.ts')).MeshCaGatewayIssuer(this.security.ca)
      : new (await import('./self-signed-issuer.ts')).SelfSignedIssuer());
    for (const g of tls) this.certificates.set(g.name, await issuer.issue({ gateway: g.name, hosts: g.tls!.hosts }));
  }

  /** The snapshot for one sidecar (or gateway). Pure given the control plane's state. */
  configFor(pod: RunningPod): SidecarConfig {
    const { scenario } = this.plan;
    const planned = this.planned.get(pod.instance);
    const gateway = planned && podKind(planned) === 'gateway' ? planned.gateway : undefined;
    const clusters: SidecarConfig['clusters'] = {};
    for (const dest of this.plan.routes[pod.service] ?? []) {
      // Through the egress gateway, the hop to it takes the gateway's policy; its hop out, the external's.
      const group = dialedService(this.plan, pod.service, dest);
      const policy = scenario.mesh[group] ?? scenario.mesh[dest];
      let fault: HttpFault | null = policy.fault ?? null;
      for (const f of this.outboundFaults.values()) if (f.to === dest && (f.from === null || f.from === pod.service)) fault = f.fault;
      const bulkhead = serviceNamed(this.plan.scenario, pod.service)?.bulkheads?.[dest] ?? null;
      const cluster: ClusterConfig = { policy, endpoints: this.endpointsFor(pod, dest), fault, bulkhead };
      // Auto mTLS toward the mesh's services only: a gateway's listener takes what comes from outside
      // the mesh (plain HTTP, or TLS it terminates), and an external has no sidecar to speak it.
      const dialed = this.podsOf.get(group)?.[0];
      cluster.mtls = dialed === undefined || podKind(dialed) === 'service' ? (this.security?.upstreamTls(pod, dest) ?? null) : null;
      const cert = this.certificates.get(group);
      if (cert && pod.service === 'client') cluster.tls = { ca: cert.ca, serverName: this.plan.load.host ?? this.plan.load.target };
      clusters[dest] = cluster;
    }
    let inboundFault: HttpFault | null = null;
    for (const f of this.inboundFaults.values()) if (f.instances.includes(pod.instance)) inboundFault = f.fault;
    const rls = this.options.rateLimitService;
    const actions = this.plan.rateLimit?.actions[pod.service];
    const globalRateLimit: GlobalRateLimit | null =
      rls && actions && this.plan.rateLimit
        ? { address: { ...rls.address }, domain: this.plan.rateLimit.spec.domain, timeoutMs: this.plan.rateLimit.spec.timeoutMs, failureMode: this.plan.rateLimit.spec.failureMode, descriptors: actions }
        : null;
    const config: SidecarConfig = {
      version: this.version,
      service: pod.service,
      instance: pod.instance,
      // The built-in service keeps a log of the work it wasted and saved; a user's program has none.
      app: gateway || pod.appPort === null ? null : { host: '127.0.0.1', port: pod.appPort, ...(planned && !runsOwnProgram(planned.spec) ? { work: true } : {}) },
      t0: this.t0,
      seed: planned?.sidecarSeed ?? this.plan.ingress.sidecarSeed,
      clusters,
      zone: planned?.spec.zone ?? null,
      subset: planned?.spec.version ?? DEFAULT_VERSION,
      inbound: { rateLimit: planned?.spec.rateLimit ?? null, fault: inboundFault, deadlines: scenario.mesh[pod.service]?.deadlines ?? 'off', globalRateLimit },
      ...(this.security ? { security: this.security.podSecurity(pod) } : {}),
    };
    if (gateway) {
      config.gateway = this.gatewayConfig(gateway, Object.keys(clusters));
      return config;
    }
    // Gateways are not affected by the outbound traffic policy (Istio); every app's sidecar is.
    if (scenario.outboundTrafficPolicy) config.outboundTrafficPolicy = scenario.outboundTrafficPolicy;
    const hosts = this.plan.passthrough?.[pod.service] ?? [];
    if (hosts.length > 0) config.passthrough = Object.fromEntries(hosts.map((h) => [h, this.endpointsFor(pod, h)]));
    return config;
  }

  /**
  Becomes the mesh's certificate authority (when the scenario has security): a root, every pod's
  first certificate, and renewals at `renewAt` of their life, each pushed over the config channel.
  Call before the first push.
  */
  async startSecurity(prepared?: Promise<MeshSecurity | null>): Promise<void> {
    if (this.security) return;
    this.security = prepared ? await prepared : await ControlPlane.prepareSecurity(this.plan, this.options.now);
    if (this.security) this.scheduleRenewal();
  }

  /**
  The mesh's certificate authority and every pod's first certificate (null: the scenario has no
  security), made from the plan alone, so that the harness can make them while the pods start
  (their keys take a while), then hand them to `startSecurity`. The CA's modules (@peculiar/x509,
  ~200 of them) are loaded here, not when the harness starts.
  */
  static async prepareSecurity(plan: Plan, now?: () => number): Promise<MeshSecurity | null> {
    const spec = plan.scenario.security;
    if (!spec) return null;
    const { MeshSecurity } = await import('./mesh-security.ts');
    const security = await MeshSecurity.create(plan.scenario, spec, now);
    // Every pod that has a sidecar (gateways too), and the ingress: whom the first push configures.
    await security.issueAll([plan.ingress, ...plan.pods.filter((p) => podKind(p) !== 'external')]);
    return security;
  }

  /** Stops renewals and any rotation under way. */
  stop(): void {
    this.stopped = true;
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    this.renewalTimer = null;
    for (const t of this.rotationTimers) clearTimeout(t);
    this.rotationTimers.clear();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private scheduleRenewal(): void {
    if (this.renewalTimer) clearTimeout(this.renewalTimer);
    this.renewalTimer = null;
    const next = this.security?.nextRenewal();
    if (next == null || this.stopped) return;
    this.renewalTimer = setTimeout(() => void this.renew(), Math.max(0, next - this.now()));
    this.renewalTimer.unref?.();
  }

  private async renew(): Promise<void> {
    const sec = this.security!;
    try {
      await Promise.all(sec.due().map((i) => sec.reissue(i)));
      await this.push();
    } catch (err) {
      this.options.onPushError?.(err as Error);
    }
    this.scheduleRenewal();
  }

  /** certExpire: starts (on) or ends a fault that lets one instance's certificate run out. Pushes. */
  async expireCertificate(fault: string, instance: string, on: boolean): Promise<string> {
    const sec = this.needSecurity();
    const cert = await sec.expire(fault, instance, on);
    await this.push();
    this.scheduleRenewal();
    if (on) return `${instance}'s certificate was not renewed and ran out (${cert ? `valid until ${new Date(cert.notAfter).toISOString()}` : 'expired'})`;
    return cert ? `${instance} has a fresh certificate (serial ${cert.serial.slice(0, 8)}…)` : `${instance}'s certificate is still let run out by another fault`;
  }

  /** clockSkew: an instance's clock is off (target) or right again (null). Takes effect at the next push. */
  setClockSkew(fault: string, target: { instance: string; offsetMs: number } | null): void {
    this.needSecurity().setSkew(fault, target);
  }

  /** A PeerAuthentication switch (a `security` fault) on a service, or the whole mesh (service null); null ends it. Takes effect at the next push. */
  setMtlsMode(fault: string, target: { service: string | null; mode: MtlsMode } | null): void {
    this.needSecurity().setMode(fault, target);
  }

  /**
  Starts a root rotation: a new root; with `overlap`, added beside the old one in every trust bundle
  (both trusted until the end); without, replacing it at once. Every certificate is then reissued
  under the new root in batches spread over `windowMs`; `endRootRotation` finishes it.
  */
  async startRootRotation(fault: string, overlap: boolean, windowMs: number): Promise<string> {
    const sec = this.needSecurity();
    const { old, new: next } = await sec.ca.rotateRoot(overlap);
    if (overlap) this.overlapping.set(fault, old);
    const pods = sec.holdersWithIdentity();
    this.rotating.set(fault, [...pods]);
    await this.push();
    const batches = Math.min(ROTATION_BATCHES, pods.length);
    for (let b = 1; b <= batches; b++) {
      const t = setTimeout(() => {
        this.rotationTimers.delete(t);
        void this.reissueBatch(fault, Math.ceil((pods.length * b) / batches));
      }, (windowMs * b) / (batches + 1));
      this.rotationTimers.add(t);
    }
    return overlap
      ? `new root ${next} trusted beside ${old}; ${pods.length} certificates to reissue under it over the window`
      : `root ${old} replaced by ${next} in every trust bundle at once; ${pods.length} certificates still chain to the old root until reissued`;
  }

  /** Reissues the rotation's pods up to the `upTo`-th (those before were done by earlier batches), and pushes. */
  private async reissueBatch(fault: string, upTo: number): Promise<void> {
    const left = this.rotating.get(fault);
    if (!left || this.stopped) return;
    const sec = this.security!;
    const all = sec.holdersWithIdentity().length;
    const done = all - left.length;
    const now = left.splice(0, Math.max(0, upTo - done));
    try {
      await Promise.all(now.map((i) => sec.reissue(i)));
      await this.push();
    } catch (err) {
      this.options.onPushError?.(err as Error);
    }
  }

  /** Ends a root rotation: what is left is reissued, and with overlap the old root is no longer trusted. Pushes. */
  async endRootRotation(fault: string): Promise<string> {
    const sec = this.needSecurity();
    const left = this.rotating.get(fault) ?? [];
    this.rotating.delete(fault);
    await Promise.all(left.map((i) => sec.reissue(i)));
    const old = this.overlapping.get(fault);
    if (old) {
      sec.ca.dropRoot(old);
      this.overlapping.delete(fault);
    }
    await this.push();
    this.scheduleRenewal();
    return `every certificate chains to root ${sec.ca.rootFingerprint}${old ? `; root ${old} is no longer trusted` : ''}`;
  }

  private needSecurity(): MeshSecurity {
    if (!this.security) throw new Error('this run has no certificate authority (the scenario has no security, or startSecurity was not called)');
    return this.security;
  }

  /** Starts (fault set) or ends (null) a scheduled fault at callers' outbound. Takes effect at the next push. */
  setOutboundFault(name: string, target: OutboundFault | null): void {
    if (target) this.outboundFaults.set(name, target);
    else this.outboundFaults.delete(name);
  }

  /** Starts (fault set) or ends (null) a scheduled fault at some instances' inbound. Takes effect at the next push. */
  setInboundFault(name: string, target: { instances: string[]; fault: HttpFault } | null): void {
    if (target) this.inboundFaults.set(name, target);
    else this.inboundFaults.delete(name);
  }

  /** The instance's app moved (a restart): its sidecar must forward to the new port. The rate-limit service started again needs its configuration again. A gateway has no app; an external is dialed directly. */
  setAppPort(instance: string, port: number): void {
    if (instance === RATE_LIMIT_SERVICE_INSTANCE) this.rateLimitConfigured = false;
    const pod = this.byInstance.get(instance);
    if (pod && pod.kind !== 'gateway') pod.appPort = port;
    const external = this.externals.get(instance);
    if (external) external.address = { ...external.address, port };
  }

  /** Sets the run's second 0 (epoch ms) that every sidecar buckets its stats on. Takes effect at the next push. */
  setT0(t0: number): void {
    this.t0 = t0;
  }

  /**
  A gateway's proxy is down (killed or paused: it is the whole pod) or back: pushes skip it while it
  is down, and the first push after it is back gives it the whole config again.
  */
  setProxyRunning(instance: string, running: boolean): void {
    if (running) this.proxiesDown.delete(instance);
    else this.proxiesDown.add(instance);
  }

  /** Marks an instance (un)healthy. Takes effect at the next push. */
  setHealthy(instance: string, healthy: boolean): void {
    this.healthy.set(instance, healthy);
  }

  /** Pushes a new version to every sidecar and resolves when each has acknowledged it. */
  async push(): Promise<number> {
    await this.ensureCertificates();
    const version = ++this.version;
    const started = performance.now();
    const targets = [this.ingress, ...this.pods.filter((p) => !this.proxiesDown.has(p.instance))];
    // Snapshots are taken now, so a push that overtakes an older one on the wire still carries the newer state.
    const configs = targets.map((pod) => this.configFor(pod));
    await this.configureRateLimitService(version);
    await Promise.all(
      targets.map(async (pod, i) => {
        const ack = await httpJson<{ version: number }>(`${pod.adminUrl}/config`, {
          method: 'POST',
          body: configs[i],
          headers: bearerHeader(this.options.credential),
          timeoutMs: this.options.pushTimeoutMs ?? 3000,
        });
        if (ack?.version !== version && !(ack?.version > version)) throw new Error(`sidecar ${pod.instance} acknowledged version ${ack?.version}, expected ${version}`);
      }),
    );
    this.lastPushMs = performance.now() - started;
    return version;
  }

  /**
  Gives the rate-limit service its rules and the run's second 0, before the sidecars learn where it
  is; once it has them it is left alone (a push must not wait on a service a fault has paused),
  until a restart. A service that cannot take its first configuration stops the run.
  */
  private async configureRateLimitService(version: number): Promise<void> {
    const rls = this.options.rateLimitService;
    const plan = this.plan.rateLimit;
    if (!rls || !plan || this.rateLimitConfigured) return;
    try {
      await httpJson(`${rls.url}/config`, {
        method: 'POST',
        body: { version, t0: this.t0, config: plan.config },
        headers: bearerHeader(this.options.credential),
        timeoutMs: this.options.pushTimeoutMs ?? 3000,
      });
      this.rateLimitConfigured = true;
    } catch (err) {
      if (version === 1) throw new Error(`the rate-limit service did not take its configuration: ${(err as Error).message}`);
    }
  }
}
