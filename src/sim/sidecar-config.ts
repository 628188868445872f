import type { DestinationPolicy } from '../scenario/scenario.ts';

/**
The configuration a sidecar runs, pushed by the control plane (xDS-like: the whole snapshot each
time, with a version; a sidecar applies it without restarting and acknowledges the version).
*/
export interface SidecarConfig {
  /** Monotonic; a sidecar ignores a push whose version is not newer than the one it runs. */
  version: number;
  /** This pod's identity. `service` is `client` for the ingress the load generator talks to. */
  service: string;
  instance: string;
  /** Where the inbound listener forwards to (the app on loopback); null for the ingress, which has no app. */
  app: { host: string; port: number } | null;
  /** Epoch ms of the run's second 0, so every sidecar buckets stats on the same clock. */
  t0: number;
  /** Seed for this sidecar's random choices (load balancing, jitter); derived from the scenario's seed. */
  seed: number;
  /** Destinations this sidecar may route to, by service name (the Host header the app sends). */
  clusters: Record<string, ClusterConfig>;
}

export interface ClusterConfig {
  policy: DestinationPolicy;
  endpoints: Endpoint[];
}

export interface Endpoint {
  /** Instance name, e.g. `payments-1`. */
  instance: string;
  /** Address this sidecar dials for that instance: its inbound listener, or a fault proxy in front of it. */
  host: string;
  port: number;
  /** False once the control plane knows the instance is gone; such endpoints are not picked. */
  healthy: boolean;
}

/** Ports a sidecar listens on, reported to its parent once bound. */
export interface SidecarPorts {
  inbound: number;
  outbound: number;
  admin: number;
}

/** IPC messages from a child process (sidecar or built-in app) to the runtime that started it. */
export type ChildMessage =
  | { type: 'ready'; role: 'sidecar'; ports: SidecarPorts }
  | { type: 'ready'; role: 'app'; port: number };

/** A sidecar event, as served by the admin endpoint's /events. */
export interface SidecarEvent {
  /** Sequence number within this sidecar, from 1. */
  seq: number;
  /** Epoch ms. */
  at: number;
  instance: string;
  type: string;
  /** Plain-words explanation with the cause. */
  message: string;
  data?: Record<string, unknown>;
}
