import type { ProcessControl } from '../../contract/process-control.ts';
import type { RunningExternal, RunningPod } from '../../contract/running-pod.ts';
import type { RunningRateLimitService } from '../../contract/rate-limit-service.ts';
import type { StartedTopology } from '../runtime.ts';
import type { ExitListener, LocalChildren } from './local-children.ts';

/** A plan's pods running as children of the harness; disposing it (or `stop`) stops every one. */
export class LocalTopology implements StartedTopology {
  readonly pods: RunningPod[];
  readonly externals: RunningExternal[];
  readonly ingress: RunningPod;
  readonly processes: ProcessControl;
  readonly faultEngine: { url: string; seed: number } | null;
  readonly credential: string;
  readonly rateLimitService: RunningRateLimitService | null;
  private readonly children: LocalChildren;

  constructor(parts: { pods: RunningPod[]; externals: RunningExternal[]; ingress: RunningPod; processes: ProcessControl; faultEngine: { url: string; seed: number } | null; credential: string; children: LocalChildren; rateLimitService?: RunningRateLimitService | null }) {
    this.pods = parts.pods;
    this.externals = parts.externals;
    this.ingress = parts.ingress;
    this.processes = parts.processes;
    this.faultEngine = parts.faultEngine;
    this.credential = parts.credential;
    this.rateLimitService = parts.rateLimitService ?? null;
    this.children = parts.children;
  }

  stop(): Promise<number> {
    return this.children.stop();
  }

  onUnexpectedExit(listener: ExitListener): void {
    this.children.onUnexpectedExit(listener);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
