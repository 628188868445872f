import type { Plan } from '../../plan/plan-scenario.ts';
import type { RunningPod } from '../../runtime/runtime.ts';
import { httpJson } from '../../util/http-json.ts';
import type { Endpoint, SidecarConfig } from '../sidecar-config.ts';

export interface ControlPlaneOptions {
  /** Timeout of one push to one sidecar. @default 3000 */
  pushTimeoutMs?: number;
}

/**
Knows every instance, its address and its health, and pushes each sidecar the whole snapshot it
needs (its clusters: endpoints and policy per destination), xDS-style: a new version replaces the
old one in the running sidecar without a restart.
*/
export class ControlPlane {
  private version = 0;
  private t0 = 0;
  private readonly healthy = new Map<string, boolean>();
  private readonly byInstance: Map<string, RunningPod>;
  /** Duration of the last complete push to every sidecar, ms. */
  lastPushMs: number | null = null;

  private readonly plan: Plan;
  private readonly pods: RunningPod[];
  private readonly ingress: RunningPod;
  private readonly options: ControlPlaneOptions;

  constructor(plan: Plan, pods: RunningPod[], ingress: RunningPod, options: ControlPlaneOptions = {}) {
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
          return { instance: p.instance, host: running.inbound.host, port: running.inbound.port, healthy: this.healthy.get(p.instance) ?? false };
        });
      clusters[dest] = { policy: scenario.mesh[dest], endpoints };
    }
    const planned = this.plan.pods.find((p) => p.instance === pod.instance);
    return {
      version: this.version,
      service: pod.service,
      instance: pod.instance,
      app: pod.appPort === null ? null : { host: '127.0.0.1', port: pod.appPort },
      t0: this.t0,
      seed: planned?.sidecarSeed ?? this.plan.ingress.sidecarSeed,
      clusters,
    };
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
    this.version++;
    const started = performance.now();
    const targets = [this.ingress, ...this.pods];
    await Promise.all(
      targets.map(async (pod) => {
        const ack = await httpJson<{ version: number }>(`${pod.adminUrl}/config`, {
          method: 'POST',
          body: this.configFor(pod),
          timeoutMs: this.options.pushTimeoutMs ?? 3000,
        });
        if (ack?.version !== this.version) throw new Error(`sidecar ${pod.instance} acknowledged version ${ack?.version}, expected ${this.version}`);
      }),
    );
    this.lastPushMs = performance.now() - started;
    return this.version;
  }
}
