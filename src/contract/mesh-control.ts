import type { HttpFault } from './mesh-policy.ts';

/**
What the harness asks of the control plane while a run goes (the fault runner does): scheduled L7
faults, an instance's health and its app's port. Each takes effect at the next push, which resolves
once every sidecar has acknowledged the new version.
*/
export interface MeshControl {
  /** Starts (fault set) or ends (null) a scheduled fault at callers' outbound. */
  setOutboundFault(name: string, target: OutboundFault | null): void;
  /** Starts (fault set) or ends (null) a scheduled fault at some instances' inbound. */
  setInboundFault(name: string, target: { instances: string[]; fault: HttpFault } | null): void;
  /** The instance's app moved (a restart): its sidecar must forward to the new port. */
  setAppPort(instance: string, port: number): void;
  /** Marks an instance (un)healthy: an unhealthy one is not picked by callers. */
  setHealthy(instance: string, healthy: boolean): void;
  /** Pushes a new version to every sidecar; resolves with it once each has acknowledged it. */
  push(): Promise<number>;
}

/** A scheduled L7 fault at callers' outbound: every sidecar of `from` (all callers when null) sending to `to`. */
export interface OutboundFault {
  from: string | null;
  to: string;
  fault: HttpFault;
}
