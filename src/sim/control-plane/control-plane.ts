import { DEFAULT_VERSION } from '../../contract/defaults.ts';
import type { MeshControl, OutboundFault } from '../../contract/mesh-control.ts';
import type { Plan } from '../../plan/plan-scenario.ts';
import type { RunningPod } from '../../contract/running-pod.ts';
import { bearerHeader } from '../../auth/run-credential.ts';
import { httpJson } from '../../util/http-json.ts';
import type { HttpFault } from '../../contract/mesh-policy.ts';
import { serviceNamed } from '../../scenario/scenario-index.ts';
import type { Endpoint, SidecarConfig } from '../../contract/sidecar-config.ts';

export interface ControlPlaneOptions {
  /** The run's credential: every push carries it (`Authorization: Bearer`), and sidecars refuse a push without it. */
  credential: string;
  /** Timeout of one push to one sidecar. @default 3000 */
  pushTimeoutMs?: number;
  /** Where one pod dials another instance when links go through the fault engine; undefined = its inbound listener directly. */
  linkAddress?: (fromInstance: string, toInstance: string) => { host: string; port: number } | undefined;
}

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
  /** Duration of the last complete push to every sidecar, ms. */
  lastPushMs: number | null = null;

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
    for (const p of pods) this.healthy.set(p.instance, true);
  }

  /** The snapshot for one sidecar. Pure given the control plane's state. */
  configFor(pod: RunningPod): SidecarConfig {
    const { scenario } = this.plan;
    const clusters: SidecarConfig['clusters'] = {};
    for (const dest of this.plan.routes[pod.service] ?? []) {
      const endpoints: Endpoint[] = this.plan.pods
        .filter((p) => p.service === dest)
        .map((p) => {
          const running = this.byInstance.get(p.instance)!;
          const at = this.options.linkAddress?.(pod.instance, p.instance) ?? running.inbound;
          return {
            instance: p.instance,
            host: at.host,
            port: at.port,
            healthy: this.healthy.get(p.instance) ?? false,
            zone: p.spec.zone ?? null,
            version: p.spec.version,
          };
        });
      const policy = scenario.mesh[dest];
      let fault: HttpFault | null = policy.fault ?? null;
      for (const f of this.outboundFaults.values()) if (f.to === dest && (f.from === null || f.from === pod.service)) fault = f.fault;
      const bulkhead = serviceNamed(this.plan.scenario, pod.service)?.bulkheads?.[dest] ?? null;
      clusters[dest] = { policy, endpoints, fault, bulkhead };
    }
    const planned = this.plan.pods.find((p) => p.instance === pod.instance);
    let inboundFault: HttpFault | null = null;
    for (const f of this.inboundFaults.values()) if (f.instances.includes(pod.instance)) inboundFault = f.fault;
    return {
      version: this.version,
      service: pod.service,
      instance: pod.instance,
      app: pod.appPort === null ? null : { host: '127.0.0.1', port: pod.appPort },
      t0: this.t0,
      seed: planned?.sidecarSeed ?? this.plan.ingress.sidecarSeed,
      clusters,
      zone: planned?.spec.zone ?? null,
      subset: planned?.spec.version ?? DEFAULT_VERSION,
      inbound: { rateLimit: planned?.spec.rateLimit ?? null, fault: inboundFault },
    };
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

  /** The instance's app moved (a restart): its sidecar must forward to the new port. */
  setAppPort(instance: string, port: number): void {
    const pod = this.byInstance.get(instance);
    if (pod) pod.appPort = port;
  }

  /** Sets the run's second 0 (epoch ms) that every sidecar buckets its stats on. Takes effect at the next push. */
  setT0(t0: number): void {
    this.t0 = t0;
  }

  /** Marks an instance (un)healthy. Takes effect at the next push. */
  setHealthy(instance: string, healthy: boolean): void {
    this.healthy.set(instance, healthy);
  }

  /** Pushes a new version to every sidecar and resolves when each has acknowledged it. */
  async push(): Promise<number> {
    const version = ++this.version;
    const started = performance.now();
    const targets = [this.ingress, ...this.pods];
    // Snapshots are taken now, so a push that overtakes an older one on the wire still carries the newer state.
    const configs = targets.map((pod) => this.configFor(pod));
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
}
