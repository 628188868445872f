import type { RouteMatch, StringMatch } from '../contract/gateway-route.ts';
import { OUTBOUND_TRAFFIC_POLICY_DEFAULT } from '../contract/defaults.ts';
import { formatPercent, formatRate, plural } from '../util/format.ts';
import { egressGatewayOf, externalsOf, gatewayDestinations, instanceNames, type ExternalSpec, type GatewaySpec, type Scenario } from '../scenario/scenario.ts';
import { servicesCalling } from '../scenario/scenario-index.ts';
import { callersOf } from '../verdict/scope.ts';
import { andList, latencyText, sidecarsOf } from './words.ts';

/**
The edges of the mesh in words, for `meshproof explain`: the gateways (where the load enters, how
their routes decide, where calls leave), the external services, and what a caller's sidecar does
with a host the mesh does not know. Pure: lines from the normalised scenario.
*/

/** How the load reaches its target: straight to a service's ingress sidecar, or through a load balancer in front of a gateway's replicas. */
export function entryText(scenario: Scenario): string | null {
  const g = (scenario.gateways ?? []).find((x) => x.name === scenario.load.target);
  if (!g) return null;
  const host = scenario.load.host ?? g.name;
  return `It enters through ${g.name}: a load balancer in front (the client's sidecar, with the policy mesh.${g.name}) spreads it over ${g.name}'s ${plural(g.replicas, 'replica')}${g.tls ? ' and speaks TLS to them' : ''}, with Host ${host}.`;
}

/** An ingress or egress gateway: its instances, what it routes where, its TLS and rate limit. */
export function describeGateway(g: GatewaySpec, scenario: Scenario): string[] {
  const names = instanceNames(g);
  if (g.kind === 'egress') {
    const registered = externalsOf(scenario).filter((e) => e.registered).map((e) => e.name);
    const callers = [...new Set(registered.flatMap((e) => servicesCalling(scenario, e)))];
    return [
      `${g.name}: egress gateway, ${plural(g.replicas, 'replica')} — ${names.join(', ')}, each a proxy of its own (no app).`,
      registered.length
        ? `Calls to ${andList(registered)} leave the mesh through it and only through it: ${callers.length ? sidecarsOf(callers) : "their callers' sidecars"} send${callers.length === 1 ? 's' : ''} them here (policy mesh.${g.name}), and it applies each external's own policy on the way out; faults on the wire out go on ${g.name} -> <external>.`
        : 'No registered external service to route: nothing leaves through it.',
    ];
  }
  const lines = [`${g.name}: ingress gateway, ${plural(g.replicas, 'replica')} — ${names.join(', ')}, each a proxy of its own (no app); ${g.replicas === 1 ? 'a single point of failure' : 'the load balancer in front carries on with the others when one fails'}.`];
  lines.push(`Routes (Envoy picks the host first, exact before the longest *.wildcard before *; then the first of its rules, in order, that matches): ${g.routes.map((r, i) => `${i + 1}. ${routeText(r.hosts, r.match, r.to)}`).join('; ')}; anything else: 404 NR.`);
  lines.push(`Toward ${andList(gatewayDestinations(g))} it applies each destination's policy, as a caller's sidecar does.`);
  if (g.tls) {
    const issuer = scenario.security ? "signed by the mesh's CA (its identity beside the hosts), whose roots the load balancer in front trusts" : 'signed by a root meshproof makes for the run (self-signed)';
    lines.push(`TLS: it terminates TLS (SIMPLE) with a certificate for ${andList(g.tls.hosts)}, ${issuer}.`);
  }
  if (scenario.security) lines.push(`Identity: ${g.name} has a certificate from the mesh's CA like every proxy, and speaks mutual TLS to destinations that take it; what reaches it from outside the mesh is ${g.tls ? 'TLS it terminates' : 'plain HTTP'}, no PeerAuthentication applies at its listener.`);
  if (g.rateLimit) lines.push(`Rate limit: each replica lets ${formatRate(g.rateLimit.requestsPerSecond)} through (bursts of ${g.rateLimit.burst}); beyond that it answers 429 RL.`);
  return lines;
}

/** An external service: its instances, who calls it and how (a cluster, through the egress gateway, or only as an unknown host). */
export function describeExternal(e: ExternalSpec, scenario: Scenario): string[] {
  const callers = servicesCalling(scenario, e.name);
  const egress = egressGatewayOf(scenario);
  const work = [`answers after ${latencyText(e.latency)}`];
  if (e.errorRate > 0) work.push(`fails ${formatPercent(e.errorRate)} of requests with ${e.errorStatus}`);
  if (e.concurrency !== null) work.push(`works on ${e.concurrency} at once, ${e.queue} more wait`);
  const lines = [`${e.name}: external service (outside the mesh: no sidecar, plain HTTP), ${plural(e.replicas, 'instance')} — ${instanceNames(e).join(', ')}; called by ${callers.length ? andList(callers) : 'nobody'}; it ${work.join('; ')}.`];
  if (!e.registered) {
    const policy = scenario.outboundTrafficPolicy ?? OUTBOUND_TRAFFIC_POLICY_DEFAULT;
    lines.push(
      policy === 'REGISTRY_ONLY'
        ? `Not registered (no ServiceEntry): under REGISTRY_ONLY every call to it is answered 502 by the caller's sidecar (BlackHoleCluster) and never leaves.`
        : `Not registered (no ServiceEntry): under ALLOW_ANY the caller's sidecar passes calls to it through as they are (PassthroughCluster): no policy applies, and they do not go through an egress gateway.`,
    );
  } else if (egress) lines.push(`Registered: calls to it leave through ${egress.name}, which applies mesh.${e.name}.`);
  else lines.push(`Registered (a ServiceEntry): its callers' sidecars apply mesh.${e.name} toward it.`);
  return lines;
}

/** What callers' sidecars do with a host the mesh does not know. */
export function trafficPolicyText(scenario: Scenario): string {
  const policy = scenario.outboundTrafficPolicy ?? OUTBOUND_TRAFFIC_POLICY_DEFAULT;
  const given = scenario.outboundTrafficPolicy ? '' : ' (the default)';
  return policy === 'REGISTRY_ONLY'
    ? `Hosts the mesh does not know: REGISTRY_ONLY: a service's sidecar answers a call to one 502 at once (Istio's BlackHoleCluster, counted on the edge <service> -> BlackHoleCluster); gateways are not affected.`
    : `Hosts the mesh does not know: ALLOW_ANY${given}: a service's sidecar sends a call to one it can resolve on as it is (Istio's PassthroughCluster, counted on the edge <service> -> PassthroughCluster); one it cannot resolve gets 404 NR.`;
}

/**
The callers whose proxies apply a destination's policy: through the egress gateway, only the
gateway applies an external's (the callers apply the gateway's); an unregistered external's applies
nowhere (passthrough); otherwise every caller, the load balancer in front of a gateway included.
*/
export function policyCallers(destination: string, scenario: Scenario): string[] {
  const external = externalsOf(scenario).find((e) => e.name === destination);
  if (external && !external.registered) return [];
  const egress = egressGatewayOf(scenario);
  if (external && egress) return [egress.name];
  if (egress && destination === egress.name) {
    return [...new Set(externalsOf(scenario).filter((e) => e.registered).flatMap((e) => servicesCalling(scenario, e.name)))];
  }
  return callersOf(destination, scenario).filter((c) => !(egress && c === egress.name));
}

function routeText(hosts: readonly string[], match: readonly RouteMatch[], to: readonly { service: string; weight: number }[]): string {
  const where = hosts.length === 1 && hosts[0] === '*' ? 'any host' : `host ${hosts.join(' or ')}`;
  const when = match.length === 0 ? '' : `, ${match.map(matchText).join(' or ')}`;
  const dest = to.length === 1 ? to[0].service : to.map((d) => `${formatPercent(d.weight)} to ${d.service}`).join(', ');
  return `${where}${when} → ${dest}`;
}

function matchText(m: RouteMatch): string {
  const parts: string[] = [];
  if (m.path) parts.push(`path ${stringText(m.path)}`);
  for (const h of m.headers) parts.push(`header ${h.name} ${stringText(h.match)}`);
  return parts.length ? parts.join(' and ') : 'every request';
}

function stringText(m: StringMatch): string {
  return m.kind === 'exact' ? `= ${m.value}` : m.kind === 'prefix' ? `starting with ${m.value}` : `matching /${m.value}/`;
}
