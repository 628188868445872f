/**
The routes of a gateway, as the scenario writes them and the control plane pushes them: Istio's
VirtualService `http` rules bound to a Gateway. A request first picks the virtual host its Host
header selects (an exact host, else the longest `*.suffix` wildcard, else `*`), then the first rule
of that host, in the order written, one of whose match blocks it satisfies (conditions within a
block AND, blocks OR); it goes to that rule's destination, or to one of them by weight. No virtual
host, or no rule in it: 404 with Envoy's flag NR.
*/

/** How a path or a header value is compared. `prefix` is a plain string prefix, as Envoy's (and Istio's `uri.prefix`): `/api` matches `/apis`. */
export interface StringMatch {
  kind: 'exact' | 'prefix' | 'regex';
  /** For `regex`: a JavaScript regular expression that must match the whole value (Envoy's RE2 full match). */
  value: string;
}

/** One match block: every condition it has must hold. An empty block matches every request. */
export interface RouteMatch {
  /** The request path without its query; null = any path. */
  path: StringMatch | null;
  /** Header names lower-case; every one must be present and match. */
  headers: { name: string; match: StringMatch }[];
}

/** A destination of a rule and its share of the rule's requests (fractions of 1). */
export interface WeightedDestination {
  service: string;
  weight: number;
}

export interface GatewayRoute {
  /**
  The hosts this rule serves (Host header, port ignored, case-insensitive): a name, a `*.suffix`
  wildcard (`*.example.com` admits `a.example.com`, not `example.com`), or `*` for any host.
  */
  hosts: string[];
  /** Match blocks, any one of which selects the rule; empty = every request of its hosts. */
  match: RouteMatch[];
  /** Where matching requests go: one destination (weight 1), or several whose weights add up to 1. */
  to: WeightedDestination[];
}

/** Istio's cluster of a request to a host the mesh does not know, under REGISTRY_ONLY: answered 502 at once (route `block_all`). */
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';

/** Istio's cluster of a request to a host the mesh does not know, under ALLOW_ANY: sent on to its original destination. */
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/** What a caller's sidecar does with a host the mesh does not know (Istio's meshConfig.outboundTrafficPolicy.mode). */
export const OUTBOUND_TRAFFIC_POLICIES = ['ALLOW_ANY', 'REGISTRY_ONLY'] as const;

export type OutboundTrafficPolicy = (typeof OUTBOUND_TRAFFIC_POLICIES)[number];
