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
}
