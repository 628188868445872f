/** A running pod: where to reach its sidecar. Addresses are on 127.0.0.1. */
export interface RunningPod {
  instance: string;
  service: string;
  /** Base URL of the sidecar's admin endpoint. */
  adminUrl: string;
  /** The sidecar's inbound listener (what other sidecars dial for this instance). */
  inbound: { host: string; port: number };
  /** The sidecar's outbound listener (what the app sends its calls to). */
  outbound: { host: string; port: number };
  /** The app's port, null for the ingress. */
  appPort: number | null;
  /** Where the output of the instance's own program goes (command or image); absent for the built-in service and the ingress. */
  logFile?: string | null;
  /**
  Dedicated outbound listeners by destination (a request to one goes there whatever its Host): the
  ingress's for the load target, where the load generator sends. Absent = none.
  */
  upstreams?: Record<string, { host: string; port: number }>;
  /** A gateway's pod: the proxy is the workload (no app; process faults hit the proxy). Absent = an app and its sidecar. */
  kind?: 'gateway';
}

/** An instance of an external service: the built-in app alone, no sidecar, reached over plain HTTP at `address`. */
export interface RunningExternal {
  instance: string;
  service: string;
  /** What callers (or the fault engine's proxies) dial. */
  address: { host: string; port: number };
}
