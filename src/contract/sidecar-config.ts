import type { GlobalRateLimit } from './rate-limit-service.ts';
import type { DeadlineMode, DestinationPolicy, HttpFault, RateLimit } from './mesh-policy.ts';
import type { AuthorizationPolicy, MtlsMode } from './security-policy.ts';
import type { GatewayRoute, OutboundTrafficPolicy } from './gateway-route.ts';

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
  /**
  Where the inbound listener forwards to (the app on loopback); null for the ingress, which has no
  app. `work`: the app is the built-in service, which reports the work it wasted and saved at
  `GET /.meshproof/work`; the sidecar reads it every second into its `wasted:` and `saved:` series.
  */
  app: { host: string; port: number; work?: boolean } | null;
  /** Epoch ms of the run's second 0, so every sidecar buckets stats on the same clock. */
  t0: number;
  /** Seed for this sidecar's random choices (load balancing, jitter); derived from the scenario's seed. */
  seed: number;
  /** Destinations this sidecar may route to, by service name (the Host header the app sends). */
  clusters: Record<string, ClusterConfig>;
  /** This pod's zone (locality-aware load balancing prefers endpoints in it). null = none. */
  zone: string | null;
  /** This pod's version label (its subset, for traffic splits). Named `subset` because `version` is the config's version. */
  subset: string;
  /** Policies on traffic into this pod. */
  inbound: InboundConfig;
  /**
  Identity, trust and mutual TLS: this pod's certificate (Istio's SDS `default` secret), the roots
  it trusts (`ROOTCA`), what its inbound listener accepts (PeerAuthentication) and the authorization
  policies on requests into it. Absent (an older control plane, a test): no TLS anywhere and no
  policies — plaintext in and out.
  */
  security?: SidecarSecurity;
  /**
  This proxy is a gateway (an Envoy of its own, no app: `app` is null): its inbound listener routes
  every request it receives by `gateway.routes` to its clusters, through the same filters, router
  and policies as an app's outbound. Absent or null = an app's sidecar.
  */
  gateway?: GatewayConfig | null;
  /**
  What the outbound does with a host that names no cluster: ALLOW_ANY sends one the mesh's DNS
  resolves (`passthrough`) on as it is (PassthroughCluster), REGISTRY_ONLY answers 502 at once
  (BlackHoleCluster). Absent = ALLOW_ANY.
  */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
  Hosts outside the mesh's registry that still resolve (external services without a ServiceEntry),
  with their endpoints: where ALLOW_ANY passes a request for one. Absent = none.
  */
  passthrough?: Record<string, Endpoint[]>;
}

export interface GatewayConfig {
  kind: 'ingress' | 'egress';
  /** The routes, in order; every destination is a cluster of this config. An egress gateway's: one per external, by its name. */
  routes: GatewayRoute[];
  /** TLS termination at the listener (Istio's SIMPLE): the certificate chain and key, PEM; null = plain HTTP. */
  tls: { certChain: string; key: string } | null;
}

/** A pod's credentials: its certificate chain (leaf first) and private key, PEM, and facts about them. */
export interface WorkloadIdentity {
  spiffeId: string;
  certChain: string;
  key: string;
  /** Epoch ms. */
  notBefore: number;
  notAfter: number;
  /** Hex serial of the leaf. */
  serial: string;
  /** Fingerprint of the root it chains to (for messages). */
  root: string;
}

export interface SidecarSecurity {
  trustDomain: string;
  /** This pod's identity; null for a pod that has none (the load generator as an outside client): it can only speak plaintext. */
  identity: WorkloadIdentity | null;
  /** Roots this pod trusts (PEM): one, or two while a root rotation overlaps them. */
  trustBundle: string[];
  /** Fingerprints of `trustBundle`, in its order (for events). */
  trustBundleRoots: string[];
  /** What the inbound listener accepts. */
  mtls: MtlsMode;
  /** Authorization policies on requests into this pod, evaluated DENY first, then ALLOW (AUDIT only logs). */
  authorization: AuthorizationPolicy[];
  /** How far this pod's clock is off (a clockSkew fault), ms, positive = ahead: it judges its peers' certificates by it. */
  clockSkewMs: number;
}

/** Mutual TLS toward a destination: the identity its endpoints must present (Istio's ISTIO_MUTUAL with the SPIFFE ID verified). */
export interface UpstreamTls {
  spiffeId: string;
}

export interface InboundConfig {
  /** Local rate limit (token bucket) on requests into this pod: 429 + flag RL when empty. */
  rateLimit: RateLimit | null;
  /** An L7 fault on requests into this pod (a scheduled fault at the instance's inbound); its failures look real to callers, who may retry them. */
  fault: HttpFault | null;
  /**
  Whether this pod honours the deadline requests carry (`deadlines` of its own service as a
  destination): `propagate` ends a request at its deadline (504, flags UT and DE) and passes the app
  what is left. Absent = off.
  */
  deadlines?: DeadlineMode;
  /**
  The global rate limit of this pod's service: the rate-limit service to consult and the
  descriptors each request sends (its quotas); 429 + flag RL when one is over. Absent = none.
  */
  globalRateLimit?: GlobalRateLimit | null;
}

export interface ClusterConfig {
  policy: DestinationPolicy;
  endpoints: Endpoint[];
  /**
  The L7 fault in force at this sidecar's outbound for this destination: the policy's standing
  fault, or a scheduled one (which replaces it for its window). Outcomes of this fault are not
  retried and not subject to timeouts, as in Istio. null = none.
  */
  fault: HttpFault | null;
  /** Bulkhead: most requests in flight from this sidecar to this destination (503 + UO beyond). null = none. */
  bulkhead: number | null;
  /** Mutual TLS toward this destination (auto mTLS: on unless its mode is DISABLE or this pod has no identity); null or absent = plaintext. */
  mtls?: UpstreamTls | null;
  /**
  TLS toward this destination's endpoints (a gateway that terminates TLS, behind the load balancer in
  front): the roots to trust (PEM) and the name to ask for (SNI) and verify. Absent or null = plaintext.
  */
  tls?: { ca: string; serverName: string } | null;
}

export interface Endpoint {
  /** Instance name, e.g. `payments-1`. */
  instance: string;
  /** Address this sidecar dials for that instance: its inbound listener, or a fault proxy in front of it. */
  host: string;
  port: number;
  /** False once the control plane knows the instance is gone; such endpoints are not picked. */
  healthy: boolean;
  /** The instance's zone, null = none. */
  zone: string | null;
  /** The instance's version label (for traffic splits). */
  version: string;
}
