/** Ports a sidecar listens on, reported to its parent once bound. */
export interface SidecarPorts {
  /** A gateway's: its gateway listener, where the load balancer in front (or callers' sidecars) send. */
  inbound: number;
  outbound: number;
  admin: number;
  /** The dedicated outbound listener of each destination service it was started with (`SidecarOptions.upstreams`); absent when none. */
  upstreams?: Record<string, number>;
}

/** IPC messages from a child process (sidecar, built-in app, a user program's supervisor) to the runtime that started it. */
export type ChildMessage =
  | { type: 'ready'; role: 'sidecar'; ports: SidecarPorts }
  /** `pid`: the process group of a user's program (its supervisor sends it), which process faults signal. */
  | { type: 'ready'; role: 'app'; port: number; pid?: number }
  | { type: 'ready'; role: 'fault-engine'; port: number; seed: number }
  /** The rate-limit service (src/sim/ratelimit), on its HTTP port. */
  | { type: 'ready'; role: 'ratelimit'; port: number }
  /** A user's program exited, or was not ready in time, before it was ready: why, and the last lines of its output. */
  | { type: 'failed'; why: string; output: string[] }
  /** A user's program that was ready exited: how, and the last lines of its output. */
  | { type: 'exited'; code: number | null; signal: string | null; output: string[] };
