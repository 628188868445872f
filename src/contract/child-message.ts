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
  /** A pod host (src/sim/host/main.ts), ready to take HostRequests. */
  | { type: 'ready'; role: 'host' }
  /** A pod host's word on one of its pods: that pod's own ready message (or `failed`), keyed by the request's id. */
  | { type: 'hosted'; id: string; message: ChildMessage }
  /** A user's program exited, or was not ready in time, before it was ready: why, and the last lines of its output. */
  | { type: 'failed'; why: string; output: string[] }
  /** A user's program that was ready exited: how, and the last lines of its output. */
  | { type: 'exited'; code: number | null; signal: string | null; output: string[] };

/**
What the local runtime asks a pod host (src/sim/host/main.ts) over IPC: start a sidecar, or a
built-in app beside it, in the host's event loop. The host answers each with a `hosted` message
carrying the ready message that pod's own process would have sent.
*/
export type HostRequest =
  | { type: 'host-sidecar'; id: string; instance: string; service: string; seed: number; upstreams: string[] }
  | { type: 'host-app'; id: string; instance: string; service: string; spec: unknown; sidecar: { host: string; port: number }; deadlines: 'propagate' | 'off'; seed: number };
