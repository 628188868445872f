import type { ProcessControl } from '../contract/process-control.ts';
import type { RunningRateLimitService } from '../contract/rate-limit-service.ts';
import type { RunningExternal, RunningPod } from '../contract/running-pod.ts';
import type { StartedTopology } from './runtime.ts';

type ExitListener = Parameters<StartedTopology['onUnexpectedExit']>[0];

/** What holds a topology's processes or containers: stops them all, and says when one exits unbidden. */
export interface TopologyOwner {
  stop(): Promise<number>;
  onUnexpectedExit(listener: ExitListener): void;
}

/** What a runtime started, as StartedTopology lists it, and the owner that stops it. */
export interface TopologyParts<Pod extends RunningPod> {
  pods: Pod[];
  externals: RunningExternal[];
  ingress: Pod;
  processes: ProcessControl;
  faultEngine: { url: string; seed: number } | null;
  credential: string;
  rateLimitService?: RunningRateLimitService | null;
  owner: TopologyOwner;
}

/**
A plan's pods as a runtime started them: a value whose disposal (or `stop`) stops everything its
owner holds — the harness's children locally, the run's containers and network on Docker.
*/
export class RunningTopology<Pod extends RunningPod> implements StartedTopology {
  readonly pods: Pod[];
  readonly externals: RunningExternal[];
  readonly ingress: Pod;
  readonly processes: ProcessControl;
  readonly faultEngine: { url: string; seed: number } | null;
  readonly credential: string;
  readonly rateLimitService: RunningRateLimitService | null;
  private readonly owner: TopologyOwner;

  constructor(parts: TopologyParts<Pod>) {
    this.pods = parts.pods;
    this.externals = parts.externals;
    this.ingress = parts.ingress;
    this.processes = parts.processes;
    this.faultEngine = parts.faultEngine;
    this.credential = parts.credential;
    this.rateLimitService = parts.rateLimitService ?? null;
    this.owner = parts.owner;
  }

  stop(): Promise<number> {
    return this.owner.stop();
  }

  onUnexpectedExit(listener: ExitListener): void {
    this.owner.onUnexpectedExit(listener);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
