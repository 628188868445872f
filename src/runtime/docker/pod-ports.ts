/**
The fixed ports of a pod in the Docker runtime. Every pod has its own network namespace, so every pod
uses the same numbers, as in Istio (whose numbers these are): an image needs no port discovery, and
the harness reaches what it needs through ports published on 127.0.0.1.
*/
export const POD_PORTS = {
  /** The app: `PORT` in its environment. The sidecar forwards inbound traffic to 127.0.0.1:`app`. */
  app: 8080,
  /** Sidecar outbound: the app sends its calls to 127.0.0.1:`outbound` (`MESHPROOF_SIDECAR`). Published for the ingress only (the load enters there). */
  outbound: 15001,
  /** Sidecar inbound: what other pods (or the fault engine's proxies) dial, on the pod's network address. */
  inbound: 15006,
  /** Sidecar admin (stats, events, config push): published on 127.0.0.1 for the harness. */
  admin: 15000,
  /** Pod agent (like Istio's pilot-agent health port): sidecar and app readiness, published on 127.0.0.1. */
  agent: 15021,
  /**
  The sidecar's dedicated outbound listener for the i-th service a user's image calls (in the order
  of `calls`) is on 127.0.0.1:`upstreams + i`: its `<NAME>_URL`.
  */
  upstreams: 15101,
} as const;

/** The pod port of each called service's dedicated listener, in the order of `calls`. */
export function upstreamPorts(callees: readonly string[]): Record<string, number> {
  return Object.fromEntries([...new Set(callees)].map((service, i) => [service, POD_PORTS.upstreams + i]));
}

/** The span relay's OTLP/HTTP port (OTLP's own default) in its container, published on 127.0.0.1 for the harness to drain. */
export const SPAN_RELAY_PORT = 4318;

/** The span relay's name on a run's network: sidecars export to http://span-relay:4318/v1/traces. */
export const SPAN_RELAY_HOST = 'span-relay';

/** The fault engine's Toxiproxy API port inside its container (Toxiproxy's own default), published on 127.0.0.1. */
export const FAULT_ENGINE_API_PORT = 8474;

/** The fault engine's name on a run's network: the host part of every proxy address sidecars dial. */
export const FAULT_ENGINE_HOST = 'fault-engine';

/** The rate-limit service's HTTP port in its container (envoyproxy/ratelimit's own, with its `/json` endpoint), published on 127.0.0.1 for the harness. */
export const RATE_LIMIT_PORT = 8080;

/** The rate-limit service's name on a run's network (the Host its callers name; they dial its address). */
export const RATE_LIMIT_HOST = 'ratelimit';
