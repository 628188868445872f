import type { FaultRecord } from '../../contract/fault-record.ts';
import { RATE_LIMIT_SERVICE_INSTANCE } from '../../contract/rate-limit-service.ts';
import type { MeshControl } from '../../contract/mesh-control.ts';
import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import type { InstanceState, StateChange } from '../../contract/state-change.ts';
import type { TopologyEvent } from '../../contract/topology-event.ts';
import type { Fault, FaultAction, Scenario } from '../../scenario/scenario.ts';
import { formatDuration } from '../../util/format.ts';
import { faultSchedule, type FaultStep } from './fault-schedule.ts';
import type { Wire } from '../links/wire.ts';
import { DEFAULT_ENDPOINT_REMOVAL_DELAY_MS } from './endpoint-removal.ts';

export interface FaultRunnerOptions {
  scenario: Scenario;
  /** Epoch ms of the start of the load. */
  t0: number;
  controlPlane: MeshControl;
  /** The running pods (and external services' instances, absent = none), and the runtime's hold on their apps (process faults). */
  topology: { pods: readonly RunningPod[]; externals?: readonly RunningExternal[]; processes: ProcessControl };
  emit: (e: TopologyEvent) => void;
  /**
  How long after an app dies the control plane takes it out of the endpoints, as Kubernetes does
  once the pod's readiness probe has failed. Until then callers still send to it (and see 503 UF
  from its sidecar, which outlier detection may catch first).
  @default 1000
  */
  endpointRemovalDelayMs?: number;
  /** The links through the fault engine, for wire faults (toxics, partitions); null when the run has none. */
  wire?: Wire | null;
  now?: () => number;
}

/**
Applies the scenario's faults on schedule: L7 faults through a control-plane push, process faults
through the runtime. Records when each actually took effect, and every state change it caused.
*/
export class FaultRunner implements AsyncDisposable {
  private readonly o: FaultRunnerOptions;
  private readonly now: () => number;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly records = new Map<string, FaultRecord>();
  private readonly stateChanges: StateChange[] = [];
  private readonly paused = new Set<string>();
  private readonly killed = new Set<string>();
  /** Steps run one at a time, in order, so a fault's end never overtakes its start. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly endpointRemovalDelayMs: number;

  constructor(options: FaultRunnerOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    this.endpointRemovalDelayMs = options.endpointRemovalDelayMs ?? DEFAULT_ENDPOINT_REMOVAL_DELAY_MS;
    for (const f of options.scenario.faults ?? []) {
      this.records.set(f.name, { name: f.name, scheduledAtMs: f.atMs, startedMs: null, endedMs: null, appliedMs: null, endBegunMs: null, detail: '' });
    }
  }

  start(): void {
    const runMs = this.o.scenario.load.durationMs;
    for (const step of faultSchedule(this.o.scenario.faults ?? [], runMs)) {
      this.at(step.atMs, () => this.enqueue(() => this.run(step)));
    }
  }

  /** Stops the schedule and undoes what is still in force that would hinder teardown (paused apps). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.chain;
    for (const instance of this.paused) await this.o.topology.processes.resume(instance).catch(() => {});
    this.paused.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  faults(): FaultRecord[] {
    return [...this.records.values()];
  }

  states(): StateChange[] {
    return [...this.stateChanges];
  }

  private sinceT0(): number {
    return this.now() - this.o.t0;
  }

  private at(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, Math.max(0, this.o.t0 + ms - this.now()));
    this.timers.add(t);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: Error) => {
      this.o.emit({ type: 'fault-ended', at: this.now(), fault: '(error)', detail: `a fault step failed: ${err.message}` });
    });
  }

  private state(instance: string, state: InstanceState, reason: string): void {
    this.stateChanges.push({ atMs: this.sinceT0(), instance, state, reason });
    this.o.emit({ type: 'instance-state', at: this.now(), instance, state, reason });
  }

  /**
  A fault takes effect from the moment its step began (the push sent, the signal sent, the toxic
  posted), not when the last sidecar acknowledged it: under load an acknowledgement can lag by most
  of a second, while the first sidecar — and an ejection it causes — acts at once.
  */
  private started(f: Fault, detail: string, begunMs: number): void {
    const r = this.records.get(f.name)!;
    r.startedMs = begunMs;
    r.appliedMs = this.sinceT0();
    r.detail = detail;
    this.o.emit({ type: 'fault-started', at: this.o.t0 + begunMs, fault: f.name, detail });
  }

  /** `endedMs`: when it is over for a caller; `begunMs`: when the harness began to end it (the same, but for an app brought back). */
  private ended(f: Fault, detail: string, endedMs: number, begunMs = endedMs): void {
    const r = this.records.get(f.name)!;
    r.endedMs = endedMs;
    r.endBegunMs = begunMs;
    r.detail = r.detail ? `${r.detail}; ${detail}` : detail;
    this.o.emit({ type: 'fault-ended', at: this.o.t0 + endedMs, fault: f.name, detail });
  }

  /** Every instance of the topology: pods with a proxy and external services' instances. */
  private allInstances(): { instance: string; service: string }[] {
    return [...this.o.topology.pods, ...(this.o.topology.externals ?? [])];
  }

  /** Instances named in a partition group: instance names as they are, service names as all their instances. */
  private expand(group: string[]): string[] {
    const pods = this.allInstances();
    return group.flatMap((n) => (pods.some((p) => p.instance === n) ? [n] : pods.filter((p) => p.service === n).map((p) => p.instance)));
  }

  private instancesOf(f: Fault): string[] {
    const t = f.target;
    if (t.kind === 'instance') return [t.instance];
    if (t.kind === 'mesh') return this.o.topology.pods.map((p) => p.instance);
    const service = t.kind === 'service' ? t.service : t.to;
    if (t.kind === 'edge' && t.toInstance) return [t.toInstance];
    return this.allInstances().filter((p) => p.service === service).map((p) => p.instance);
  }

  private async run(step: FaultStep): Promise<void> {
    const { fault: f, phase } = step;
    // A timer can fire a millisecond before the wall clock says it is due; a step never begins before its time.
    const begun = Math.max(this.sinceT0(), step.atMs);
    const cp = this.o.controlPlane;
    const a = f.action;
    if (a.kind === 'http') {
      if (a.at === 'inbound') {
        const instances = this.instancesOf(f);
        cp.setInboundFault(f.name, phase === 'start' ? { instances, fault: a.fault } : null);
        await cp.push();
        if (phase === 'start') this.started(f, `${describeHttp(a.fault)} at the inbound of ${instances.join(', ')}`, begun);
        else this.ended(f, 'removed', begun);
      } else {
        const t = f.target;
        if (t.kind === 'mesh') return;
        const from = t.kind === 'edge' ? t.from : null;
        const to = t.kind === 'edge' ? t.to : t.service;
        cp.setOutboundFault(f.name, phase === 'start' ? { from, to, fault: a.fault } : null);
        await cp.push();
        if (phase === 'start') this.started(f, `${describeHttp(a.fault)} at the outbound of ${from ?? 'every caller'} to ${to}`, begun);
        else this.ended(f, 'removed', begun);
      }
      return;
    }
    if (a.kind === 'security' || a.kind === 'cert-expire' || a.kind === 'root-rotation' || a.kind === 'clock-skew') {
      const detail = await this.security(f, a, phase === 'start');
      if (phase === 'start') this.started(f, detail, begun);
      else this.ended(f, detail, begun);
      return;
    }
    if (a.kind === 'toxic' || a.kind === 'partition') {
      const wire = this.o.wire;
      if (!wire) throw new Error(`fault ${f.name} needs the fault engine, which this run did not start`);
      if (a.kind === 'toxic') {
        if (phase === 'start') this.started(f, await wire.applyToxic(f.name, f.target, a.toxic), begun);
        else this.ended(f, await wire.removeToxic(f.name, f.target, a.toxic), begun);
      } else {
        const groups = a.groups.map((g) => this.expand(g)) as [string[], string[]];
        if (phase === 'start') this.started(f, await wire.partition(groups, false), begun);
        else this.ended(f, await wire.partition(groups, true), begun);
      }
      return;
    }
    if (a.kind !== 'process' || f.target.kind !== 'instance') return;
    const instance = f.target.instance;
    const processes = this.o.topology.processes;
    // A gateway's proxy is its whole pod: while it is down or frozen no push can reach it.
    const proxy = this.o.topology.pods.some((p) => p.instance === instance && p.kind === 'gateway');
    if (phase === 'start') {
      if (proxy) cp.setProxyRunning(instance, false);
      if (a.action === 'pause') {
        const detail = await processes.pause(instance);
        this.paused.add(instance);
        this.started(f, detail, begun);
        this.state(instance, 'paused', `fault ${f.name}: ${detail}`);
        return;
      }
      const detail = await processes.kill(instance);
      this.killed.add(instance);
      this.started(f, detail, begun);
      this.state(instance, 'killed', `fault ${f.name}: ${detail}`);
      // An external's name keeps resolving when it is down: no control plane removes it.
      if ((this.o.topology.externals ?? []).some((e) => e.instance === instance)) {
        if (a.action === 'restart') await this.bringBack(f, instance, begun);
        return;
      }
      // The control plane learns of it the way a real one would: after the readiness probe fails.
      // The rate-limit service is in no endpoint list: its callers find out on their next request.
      if (instance !== RATE_LIMIT_SERVICE_INSTANCE) {
        this.at(this.sinceT0() + this.endpointRemovalDelayMs, () =>
          this.enqueue(async () => {
            if (!this.killed.has(instance)) return;
            cp.setHealthy(instance, false);
            await cp.push();
            this.o.emit({ type: 'instance-down', at: this.now(), instance, reason: `removed from the endpoints ${this.endpointRemovalDelayMs}ms after its ${proxy ? 'proxy' : 'app'} died` });
          }),
        );
      }
      if (a.action === 'restart') await this.bringBack(f, instance, begun);
      return;
    }
    if (a.action === 'pause') {
      const detail = await processes.resume(instance);
      this.paused.delete(instance);
      if (proxy) {
        // Thawed, it runs on the config it had: whatever changed meanwhile reaches it now.
        cp.setProxyRunning(instance, true);
        await cp.push();
      }
      this.ended(f, detail, begun);
      this.state(instance, 'healthy', `fault ${f.name} ended: ${detail}`);
    } else if (a.action === 'kill') {
      await this.bringBack(f, instance, begun);
    }
  }

  /** Security faults go through the control plane, which is the mesh's CA: each is a config push, never a restart. */
  private async security(f: Fault, a: Extract<FaultAction, { kind: 'security' | 'cert-expire' | 'root-rotation' | 'clock-skew' }>, start: boolean): Promise<string> {
    const cp = this.o.controlPlane;
    const t = f.target;
    switch (a.kind) {
      case 'security': {
        const service = t.kind === 'service' ? t.service : null;
        cp.setMtlsMode(f.name, start ? { service, mode: a.mtls } : null);
        await cp.push();
        const who = service ?? 'the whole mesh';
        return start ? `${who} switched to mTLS ${a.mtls} (pushed)` : `${who} back to its own mTLS mode (pushed)`;
      }
      case 'cert-expire':
        return cp.expireCertificate(f.name, t.kind === 'instance' ? t.instance : '', start);
      case 'root-rotation':
        return start ? cp.startRootRotation(f.name, a.overlap, f.forMs ?? 0) : cp.endRootRotation(f.name);
      case 'clock-skew': {
        const instance = t.kind === 'instance' ? t.instance : '';
        cp.setClockSkew(f.name, start ? { instance, offsetMs: a.offsetMs } : null);
        await cp.push();
        return start ? `${instance}'s clock runs ${formatDuration(Math.abs(a.offsetMs))} ${a.offsetMs > 0 ? 'ahead' : 'behind'}` : `${instance}'s clock is right again`;
      }
    }
  }

  /** A killed app's fault ends when it is back in the endpoints (that is what `crash.end` means to a caller), not when the start began. */
  private async bringBack(f: Fault, instance: string, begunMs: number): Promise<void> {
    const port = await this.o.topology.processes.start(instance);
    this.killed.delete(instance);
    const cp = this.o.controlPlane;
    cp.setProxyRunning(instance, true);
    cp.setAppPort(instance, port);
    cp.setHealthy(instance, true);
    await cp.push();
    const gateway = this.o.topology.pods.some((p) => p.instance === instance && p.kind === 'gateway');
    const back =
      instance === RATE_LIMIT_SERVICE_INSTANCE
        ? `the rate-limit service was started again (port ${port}) with its configuration, and every sidecar told where it is; its counters start from zero`
        : `${gateway ? `gateway ${instance}` : `the app of ${instance}`} was started again (port ${port}) and is back in the endpoints`;
    this.ended(f, back, this.sinceT0(), begunMs);
    this.state(instance, 'healthy', `fault ${f.name}: restarted`);
  }
}

function describeHttp(f: { delay: { ms: number; percent: number } | null; abort: { status: number; percent: number } | null }): string {
  const parts: string[] = [];
  if (f.abort) parts.push(`abort ${f.abort.status} for ${+(f.abort.percent * 100).toFixed(2)}% of requests`);
  if (f.delay) parts.push(`delay ${f.delay.ms}ms for ${+(f.delay.percent * 100).toFixed(2)}% of requests`);
  return parts.join(' and ') || 'no-op http fault';
}
