import type Docker from 'dockerode';
import type { ProcessControl } from '../../contract/process-control.ts';
import { podKind, type Plan } from '../../plan/plan-scenario.ts';
import { RATE_LIMIT_SERVICE_INSTANCE } from '../../contract/rate-limit-service.ts';
import type { DockerLauncher, DockerRateLimitService } from './docker-launcher.ts';
import { RATE_LIMIT_PORT } from './pod-ports.ts';
import type { DockerRunningPod } from './docker-topology.ts';
import { POD_PORTS } from './pod-ports.ts';
import type { RunContainers } from './run-containers.ts';

/**
Process faults on the Docker runtime, on the app's container: docker kill, pause (the cgroup
freezer), unpause, start. The sidecar's container stays and keeps the pod's network namespace, as
when a pod's app container crashes. The rate-limit service (`ratelimit`) takes the same faults on
its own container.
*/
export class DockerProcessControl implements ProcessControl {
  private readonly docker: Docker;
  private readonly plan: Plan;
  private readonly pods: ReadonlyMap<string, DockerRunningPod>;
  private readonly launcher: DockerLauncher;
  private readonly containers: RunContainers;
  private readonly rateLimit: DockerRateLimitService | null;

  constructor(docker: Docker, plan: Plan, pods: ReadonlyMap<string, DockerRunningPod>, launcher: DockerLauncher, containers: RunContainers, rateLimit: DockerRateLimitService | null = null) {
    this.rateLimit = rateLimit;
    this.docker = docker;
    this.plan = plan;
    this.pods = pods;
    this.launcher = launcher;
    this.containers = containers;
  }

  async kill(instance: string): Promise<string> {
    const { id, app, what } = this.appOf(instance);
    const state = (await app.inspect()).State;
    if (!state.Running) return `${what} was not running`;
    this.containers.expectExit(id);
    // A paused container cannot take a signal until it is thawed; thawed, SIGKILL lands first.
    if (state.Paused) await app.unpause();
    await app.kill({ signal: 'SIGKILL' });
    await app.wait();
    if (instance === RATE_LIMIT_SERVICE_INSTANCE || this.isExternal(instance)) return `SIGKILL sent to ${what} (docker kill ${id.slice(0, 12)})`;
    if (this.pods.get(instance)?.kind === 'gateway') return `SIGKILL sent to ${what} (docker kill ${id.slice(0, 12)}): the gateway's whole pod stops answering`;
    return `SIGKILL sent to ${what} (docker kill ${id.slice(0, 12)}); its sidecar stays, as when a pod's app container crashes`;
  }

  async pause(instance: string): Promise<string> {
    const { id, app, what } = this.appOf(instance);
    await app.pause();
    return `${what} paused (docker pause ${id.slice(0, 12)}, cgroup freezer): it keeps its port and answers nothing`;
  }

  async resume(instance: string): Promise<string> {
    const { id, app, what } = this.appOf(instance);
    await app.unpause();
    return `${what} unpaused (docker unpause ${id.slice(0, 12)})`;
  }

  async start(instance: string): Promise<number> {
    const rls = this.rateLimit;
    if (instance === RATE_LIMIT_SERVICE_INSTANCE && rls) {
      const state = (await this.docker.getContainer(rls.container).inspect()).State;
      if (state.Running) throw new Error('the rate-limit service container is still running');
      await this.launcher.rateLimitServiceAgain(rls);
      return RATE_LIMIT_PORT;
    }
    const pod = this.pods.get(instance);
    if (!pod?.containers.app) throw new Error(`no app container for instance ${instance}`);
    const app = this.docker.getContainer(pod.containers.app);
    const state = (await app.inspect()).State;
    if (state.Running) throw new Error(`the app container of ${instance} is still running`);
    // The same container again (docker start): same image, environment and pod namespace.
    await app.start();
    if (pod.kind === 'gateway') {
      // A gateway's proxy is back on the pod's ports: its agent answers once it listens again.
      await this.launcher.gatewayReady(app, pod);
      return POD_PORTS.inbound;
    }
    await this.launcher.appReady(app, this.plan.pods.find((p) => p.instance === instance)!, pod.published.agent);
    pod.appPort = POD_PORTS.app;
    return POD_PORTS.app;
  }

  private isExternal(instance: string): boolean {
    const planned = this.plan.pods.find((p) => p.instance === instance);
    return planned !== undefined && podKind(planned) === 'external';
  }

  /** The container a fault on `instance` hits (its app's, or the rate-limit service's), and what to call it. */
  private appOf(instance: string): { id: string; app: Docker.Container; what: string } {
    if (instance === RATE_LIMIT_SERVICE_INSTANCE && this.rateLimit) {
      return { id: this.rateLimit.container, app: this.docker.getContainer(this.rateLimit.container), what: "the rate-limit service's container" };
    }
    const pod = this.pods.get(instance);
    if (!pod?.containers.app) throw new Error(`no app container for instance ${instance}`);
    const what = pod.kind === 'gateway' ? `the proxy container of gateway ${instance}` : this.isExternal(instance) ? `the container of external ${instance}` : `the app container of ${instance}`;
    return { id: pod.containers.app, app: this.docker.getContainer(pod.containers.app), what };
  }
}
