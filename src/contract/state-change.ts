/**
The states an instance can be in, as the harness and the mesh see it: `killed` and `paused` by a
process fault, `ejected` by a caller's outlier detection, `unhealthy` by a caller's active health
check, `healthy` otherwise.
*/
export type InstanceState = 'healthy' | 'ejected' | 'killed' | 'paused' | 'unhealthy';

/** A change of an instance's state seen by the harness (process faults) or by the mesh (ejections, health checks). */
export interface StateChange {
  /** ms from the start of the load. */
  atMs: number;
  instance: string;
  state: InstanceState;
  reason: string;
}
