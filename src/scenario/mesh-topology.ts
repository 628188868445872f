import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from '../contract/gateway-route.ts';
import { OUTBOUND_TRAFFIC_POLICY_DEFAULT } from '../contract/defaults.ts';
import { gatewayDestinations, type Scenario } from './scenario.ts';

/** A part of the mesh with instances, as the topology shows it. */
export interface TopologyNode {
  name: string;
  /** A service of the mesh, an ingress or egress gateway, or an external service. */
  kind: 'service' | 'ingress' | 'egress' | 'external';
  replicas: number;
  /** What its proxy calls: a service's calls, a gateway's destinations (the egress gateway's: the registered externals); an external calls nothing. */
  calls: readonly string[];
}

/** An edge of the topology: what `from` sent to `to`, recorded at `from`'s proxy as `edge:<from>-><to>`. */
export interface TopologyEdge {
  from: string;
  to: string;
  /** Where it is: the load's entry, inside the mesh, leaving it (to an external), or a host the mesh does not know (BlackHoleCluster, PassthroughCluster). */
  kind: 'entry' | 'mesh' | 'exit' | 'unknown-host';
}

/**
The parts of the mesh in the order traffic meets them: the ingress gateways at the entry, the
services, the egress gateway, the external services at the exit.
*/
export function topologyNodes(scenario: Pick<Scenario, 'services' | 'gateways' | 'externals'>): TopologyNode[] {
  const gateways = scenario.gateways ?? [];
  const externals = scenario.externals ?? [];
  const registered = externals.filter((e) => e.registered).map((e) => e.name);
  return [
    ...gateways.filter((g) => g.kind === 'ingress').map((g) => ({ name: g.name, kind: 'ingress' as const, replicas: g.replicas, calls: gatewayDestinations(g) })),
    ...scenario.services.map((s) => ({ name: s.name, kind: 'service' as const, replicas: s.replicas, calls: [...new Set(s.calls)] })),
    ...gateways.filter((g) => g.kind === 'egress').map((g) => ({ name: g.name, kind: 'egress' as const, replicas: g.replicas, calls: registered })),
    ...externals.map((e) => ({ name: e.name, kind: 'external' as const, replicas: e.replicas, calls: [] })),
  ];
}

/**
Every edge of the topology, in the order calls flow: the load's entry (client -> target), each part's
calls in the order of `topologyNodes`, and, for a service that calls an external the registry does
not know, its edge to Istio's BlackHoleCluster (REGISTRY_ONLY) or PassthroughCluster (ALLOW_ANY).
*/
export function topologyEdges(scenario: Pick<Scenario, 'services' | 'gateways' | 'externals' | 'load' | 'outboundTrafficPolicy'>): TopologyEdge[] {
  const externals = new Map((scenario.externals ?? []).map((e) => [e.name, e]));
  const edges: TopologyEdge[] = [{ from: 'client', to: scenario.load.target, kind: 'entry' }];
  const unknown = (scenario.outboundTrafficPolicy ?? OUTBOUND_TRAFFIC_POLICY_DEFAULT) === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  for (const n of topologyNodes(scenario)) {
    for (const to of n.calls) edges.push({ from: n.name, to, kind: externals.has(to) ? 'exit' : 'mesh' });
    if (n.kind === 'service' && n.calls.some((c) => externals.get(c)?.registered === false)) edges.push({ from: n.name, to: unknown, kind: 'unknown-host' });
  }
  return edges;
}
