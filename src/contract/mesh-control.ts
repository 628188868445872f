import type { HttpFault } from './mesh-policy.ts';
import type { MtlsMode } from './security-policy.ts';

/**
What the harness asks of the control plane while a run goes (the fault runner does): scheduled L7
faults, an instance's health and its app's port, and the security faults (the control plane is the
mesh's certificate authority). Each takes effect at the next push, which resolves once every sidecar
has acknowledged the new version; those that return a sentence push themselves, and say what they did.
*/
export interface MeshControl {
  /** Starts (fault set) or ends (null) a scheduled fault at callers' outbound. */
  setOutboundFault(name: string, target: OutboundFault | null): void;
  /** Starts (fault set) or ends (null) a scheduled fault at some instances' inbound. */
  setInboundFault(name: string, target: { instances: string[]; fault: HttpFault } | null): void;
  /** The instance's app moved (a restart): its sidecar must forward to the new port. */
  setAppPort(instance: string, port: number): void;
  /**
  A gateway's proxy is down (killed or paused: it is the whole pod) or back: pushes skip it while it
  is down, and the first push after it is back gives it the whole config again.
  */
  setProxyRunning(instance: string, running: boolean): void;
  /** Marks an instance (un)healthy: an unhealthy one is not picked by callers. */
  setHealthy(instance: string, healthy: boolean): void;
  /** A PeerAuthentication switch (a `security` fault) on a service, or the whole mesh (service null); null ends it. */
  setMtlsMode(fault: string, target: { service: string | null; mode: MtlsMode } | null): void;
  /** clockSkew: an instance's clock is off (target) or right again (null). */
  setClockSkew(fault: string, target: { instance: string; offsetMs: number } | null): void;
  /** certExpire: starts (on) or ends a fault that lets one instance's certificate run out. Pushes. */
  expireCertificate(fault: string, instance: string, on: boolean): Promise<string>;
  /** rootRotation: a new root (beside the old one with `overlap`), every certificate reissued under it over `windowMs`. Pushes. */
  startRootRotation(fault: string, overlap: boolean, windowMs: number): Promise<string>;
  /** Ends a root rotation: what is left is reissued, and with overlap the old root is no longer trusted. Pushes. */
  endRootRotation(fault: string): Promise<string>;
  /** Pushes a new version to every sidecar; resolves with it once each has acknowledged it. */
  push(): Promise<number>;
}

/** A scheduled L7 fault at callers' outbound: every sidecar of `from` (all callers when null) sending to `to`. */
export interface OutboundFault {
  from: string | null;
  to: string;
  fault: HttpFault;
}
