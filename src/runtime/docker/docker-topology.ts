import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import type { RunningRateLimitService } from '../../contract/rate-limit-service.ts';
import type { StartedTopology } from '../runtime.ts';
import type { ExitListener, RunContainers } from './run-containers.ts';

/** A pod of the Docker runtime: RunningPod's fields, plus where its containers and host-side ports are. */
export interface DockerRunningPod extends RunningPod {
  containers: { sidecar: string; app: string | null };
  /** Ports published on the host's 127.0.0.1 (the harness's view of the pod). */
  published: { admin: number; agent: number; outbound: number | null };
}

/** A plan's pods running as containers; disposing it (or `stop`) removes every container and the network. */
export class DockerTopology implements StartedTopology {
  readonly pods: DockerRunningPod[];
  readonly externals: RunningExternal[];
  readonly ingress: DockerRunningPod;
  readonly processes: ProcessControl;
  readonly faultEngine: { url: string; seed: number } | null;
  readonly credential: string;
  readonly rateLimitService: RunningRateLimitService | null;
  private readonly containers: RunContainers;

  constructor(parts: { pods: DockerRunningPod[]; externals: RunningExternal[]; ingress: DockerRunningPod; processes: ProcessControl; faultEngine: { url: string; seed: number } | null; credential: string; containers: RunContainers; rateLimitService?: RunningRateLimitService | null }) {
    this.pods = parts.pods;
    this.externals = parts.externals;
    this.ingress = parts.ingress;
    this.processes = parts.processes;
    this.faultEngine = parts.faultEngine;
    this.credential = parts.credential;
    this.rateLimitService = parts.rateLimitService ?? null;
    this.containers = parts.containers;
  }

  stop(): Promise<number> {
    return this.containers.stop();
  }

  onUnexpectedExit(listener: ExitListener): void {
    this.containers.onUnexpectedExit(listener);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
