import type { ChildProcess } from 'node:child_process';
import type { SidecarPorts } from '../../contract/child-message.ts';
import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import { RATE_LIMIT_SERVICE_INSTANCE, type RunningRateLimitService } from '../../contract/rate-limit-service.ts';
import { podKind, type PodPlan } from '../../plan/plan-scenario.ts';
import type { LocalChildren } from './local-children.ts';
import type { LocalLauncher, StartedApp } from './local-launcher.ts';
import { signalGroup } from './supervised-program.ts';

/**
A pod of the local runtime: its plan, where it runs, its sidecar's ports and its app as now running.
A gateway's pod is its proxy alone (`app` is the proxy); an external's, the built-in app alone (no
sidecar: `running` is its address, `ports` null).
*/
export type LocalPod =
  | { plan: PodPlan; running: RunningPod; ports: SidecarPorts; app: StartedApp }
  | { plan: PodPlan; running: RunningExternal; ports: null; app: StartedApp };

/** The rate-limit service as now running, and the address the topology gives out for it (updated in place by a restart). */
export interface LocalRateLimitService {
  started: StartedApp;
  running: RunningRateLimitService;
}

/**
Process faults on the local runtime (on an instance's app, or on the rate-limit service as `ratelimit`). Signals go to the app's process group: a user's program's
children are hit with it (a built-in app is alone in its own). The sidecar stays, as a pod's sidecar
container does when the app container dies. A gateway's proxy is its pod's workload: it is what a
fault hits, and it starts again on the same ports; an external's app starts again on its port.
*/
export class LocalProcessControl implements ProcessControl {
  private readonly pods: ReadonlyMap<string, LocalPod>;
  private readonly launcher: LocalLauncher;
  private readonly children: LocalChildren;
  private readonly signal: AbortSignal;
  private readonly rateLimit: LocalRateLimitService | null;

  /** `signal` aborts an app's start again (the run's abort). */
  constructor(pods: ReadonlyMap<string, LocalPod>, launcher: LocalLauncher, children: LocalChildren, signal: AbortSignal, rateLimit: LocalRateLimitService | null = null) {
    this.pods = pods;
    this.rateLimit = rateLimit;
    this.launcher = launcher;
    this.children = children;
    this.signal = signal;
  }

  async kill(instance: string): Promise<string> {
    const app = this.app(instance);
    if (!isRunning(app.child)) return `${this.what(instance)} was not running`;
    this.children.expectExit(app.child);
    const exited = new Promise((r) => app.child.once('exit', r));
    signalGroup(app.group, 'SIGKILL');
    // A supervisor exits once its program is gone; a built-in app is the group.
    await exited;
    return `SIGKILL sent to ${this.what(instance)}`;
  }

  async pause(instance: string): Promise<string> {
    signalGroup(this.app(instance).group, 'SIGSTOP');
    return `SIGSTOP sent to ${this.what(instance)}: it keeps its port and answers nothing`;
  }

  async resume(instance: string): Promise<string> {
    signalGroup(this.app(instance).group, 'SIGCONT');
    return `SIGCONT sent to ${this.what(instance)}`;
  }

  async start(instance: string): Promise<number> {
    const rls = this.rateLimit;
    if (instance === RATE_LIMIT_SERVICE_INSTANCE && rls) {
      if (isRunning(rls.started.child)) throw new Error('the rate-limit service is still running');
      rls.started = (await this.launcher.rateLimitService(this.signal))!;
      const address = { host: rls.running.address.host, port: rls.started.port };
      Object.assign(rls.running, { url: `http://${address.host}:${address.port}`, address });
      return rls.started.port;
    }
    const pod = this.pods.get(instance);
    if (!pod) throw new Error(`unknown instance ${instance}`);
    if (pod.app.hostedIn || isRunning(pod.app.child)) throw new Error(`${this.what(instance)} is still running`);
    if (pod.ports === null) {
      pod.app = await this.launcher.external(pod.plan, pod.app.port, this.signal);
      return pod.app.port;
    }
    if (podKind(pod.plan) === 'gateway') {
      const proxy = await this.launcher.gateway(pod.plan, pod.ports, this.signal);
      pod.app = proxy.app;
      pod.ports = proxy.ports;
      return proxy.ports.inbound;
    }
    // A user's program is started again by its command, as a restarted container runs its entrypoint.
    pod.app = await this.launcher.app(pod.plan, pod.ports, this.signal);
    pod.running.appPort = pod.app.port;
    return pod.app.port;
  }

  /** The process a fault on `instance` hits: its app, or the rate-limit service. */
  private app(instance: string): StartedApp {
    if (instance === RATE_LIMIT_SERVICE_INSTANCE && this.rateLimit) return this.rateLimit.started;
    const pod = this.pods.get(instance);
    if (!pod) throw new Error(`no app process for instance ${instance}`);
    // The plan gives every target of a process fault a process of its own; a signal here would hit every pod of the host.
    if (pod.app.hostedIn) throw new Error(`the app of ${instance} runs in ${pod.app.hostedIn} with other pods (pod hosting): no process fault was planned for it, so it has no process of its own to signal`);
    return pod.app;
  }

  /** "the app of x (pid n)" or "the program of x (process group n)": what a fault hit, in its detail. */
  private what(instance: string): string {
    if (instance === RATE_LIMIT_SERVICE_INSTANCE && this.rateLimit) return `the rate-limit service (pid ${this.rateLimit.started.group})`;
    const pod = this.pods.get(instance);
    const group = pod?.app.group;
    if (pod && podKind(pod.plan) === 'gateway') return `gateway ${instance} (pid ${group}): its proxy, the whole pod`;
    if (pod && podKind(pod.plan) === 'external') return `external ${instance} (pid ${group})`;
    return pod?.plan.spec.command ? `the program of ${instance} (process group ${group})` : `the app of ${instance} (pid ${group})`;
  }
}

function isRunning(c: ChildProcess): boolean {
  return c.exitCode === null && c.signalCode === null;
}
