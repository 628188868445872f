import type { RunningPod } from '../../contract/running-pod.ts';
import { RunningTopology } from '../running-topology.ts';

/** A pod of the Docker runtime: RunningPod's fields, plus where its containers and host-side ports are. */
export interface DockerRunningPod extends RunningPod {
  containers: { sidecar: string; app: string | null };
  /** Ports published on the host's 127.0.0.1 (the harness's view of the pod). */
  published: { admin: number; agent: number; outbound: number | null };
}

/** A plan's pods running as containers; disposing it (or `stop`) removes every container and the network. */
export class DockerTopology extends RunningTopology<DockerRunningPod> {}
