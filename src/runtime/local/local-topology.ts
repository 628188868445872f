import type { RunningPod } from '../../contract/running-pod.ts';
import { RunningTopology } from '../running-topology.ts';

/** A plan's pods running as children of the harness; disposing it (or `stop`) stops every one. */
export class LocalTopology extends RunningTopology<RunningPod> {}
