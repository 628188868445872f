import type Docker from 'dockerode';
import type { ProcessControl } from '../../contract/process-control.ts';
import type { Plan } from '../../plan/plan-scenario.ts';
import type { DockerLauncher } from './docker-launcher.ts';
import type { DockerRunningPod } from './docker-topology.ts';
import { POD_PORTS } from './pod-ports.ts';
import type { RunContainers } from './run-containers.ts';

/**
Process faults on the Docker runtime, on the app's container: docker kill, pause (the cgroup
freezer), unpause, start. The sidecar's container stays and keeps the pod's network namespace, as
when a pod's app container crashes.
*/
export class DockerProcessControl implements ProcessControl {
  private readonly docker: Docker;
  private readonly plan: Plan;
  private readonly pods: ReadonlyMap<string, DockerRunningPod>;
  private readonly launcher: DockerLauncher;
  private readonly containers: RunContainers;

  constructor(docker: Docker, plan: Plan, pods: ReadonlyMap<string, DockerRunningPod>, launcher: DockerLauncher, containers: RunContainers) {
    this.docker = docker;
    this.plan = plan;
    this.pods = pods;
    this.launcher = launcher;
    this.containers = containers;
  }

  async kill(instance: string): Promise<string> {
    const { pod, app } = this.appOf(instance);
    const state = (await app.inspect()).State;
    if (!state.Running) return `app container of ${instance} was not running`;
    this.containers.expectExit(pod.containers.app!);
    // A paused container cannot take a signal until it is thawed; thawed, SIGKILL lands first.
    if (state.Paused) await app.unpause();
    await app.kill({ signal: 'SIGKILL' });
    await app.wait();
    return `SIGKILL sent to the app container of ${instance} (docker kill ${pod.containers.app!.slice(0, 12)}); its sidecar stays, as when a pod's app container crashes`;
  }

  async pause(instance: string): Promise<string> {
    const { pod, app } = this.appOf(instance);
    await app.pause();
    return `app container of ${instance} paused (docker pause ${pod.containers.app!.slice(0, 12)}, cgroup freezer): it keeps its port and answers nothing`;
  }

  async resume(instance: string): Promise<string> {
    const { pod, app } = this.appOf(instance);
    await app.unpause();
    return `app container of ${instance} unpaused (docker unpause ${pod.containers.app!.slice(0, 12)})`;
  }

  async start(instance: string): Promise<number> {
    const { pod, app } = this.appOf(instance);
    const state = (await app.inspect()).State;
    if (state.Running) throw new Error(`the app container of ${instance} is still running`);
    // The same container again (docker start): same image, environment and pod namespace.
    await app.start();
    await this.launcher.appReady(app, this.plan.pods.find((p) => p.instance === instance)!, pod.published.agent);
    pod.appPort = POD_PORTS.app;
    return POD_PORTS.app;
  }

  private appOf(instance: string): { pod: DockerRunningPod; app: Docker.Container } {
    const pod = this.pods.get(instance);
    if (!pod?.containers.app) throw new Error(`no app container for instance ${instance}`);
    return { pod, app: this.docker.getContainer(pod.containers.app) };
  }
}
