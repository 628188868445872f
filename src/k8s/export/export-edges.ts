import type { GatewayRoute, RouteMatch, StringMatch } from '../../contract/gateway-route.ts';
import { egressGatewayOf, externalsOf, gatewaysOf, type GatewaySpec, type Scenario } from '../../scenario/scenario.ts';
import { integerWeights, routePolicy } from './export-istio.ts';
import { MANAGED_BY, type ExportNote, type Resource } from './exported.ts';

/** The Secret a TLS gateway's certificate is read from (the user's to create: meshproof's lives only in the run). */
export function gatewayCertificateSecret(gateway: string): string {
  return `${gateway}-cert`;
}

/** What no mesh resource says: the load balancer in front of an ingress gateway (the run's load generator's sidecar) is the cloud's. */
const LOAD_BALANCER_NOTE = (gateway: string) => `the policy toward the gateway (mesh.${gateway}) was the load balancer's in front of it, which is your cloud's, not the mesh's: not written`;

/** The label an exported gateway's pods carry and its Gateway selects (Istio's `istio: ingressgateway`, one per gateway). */
export const GATEWAY_SELECTOR_LABEL = 'istio';

/**
The edges of the mesh as Istio networking v1 resources. An ingress gateway: a Gateway (port 80, or
443 with `tls.mode: SIMPLE` and the certificate's Secret), and one VirtualService bound to it per set
of hosts its routes serve, with the routes in order (a rule's matches, its destinations and
weights, and the timeout and retries of its destination's policy, which Istio applies at a gateway
only when the gateway's own route carries them). A registered external: a ServiceEntry
(MESH_EXTERNAL); with an egress gateway, the Gateway and, per external, the VirtualService that
sends the mesh's calls to the egress gateway and the egress gateway's on to the external, its
policy on that last leg. REGISTRY_ONLY: a Sidecar for the namespace. What Istio cannot say
(a rate limit at a gateway, an unregistered external) is a note.
*/
export function exportIstioEdges(scenario: Scenario, notes: ExportNote[]): Resource[] {
  const out: Resource[] = [];
  const egress = egressGatewayOf(scenario);
  for (const g of gatewaysOf(scenario)) {
    const note = (key: string, message: string) => notes.push({ destination: g.name, key: `gateways.${g.name}${key ? `.${key}` : ''}`, message });
    if (g.rateLimit) note('rateLimit', 'Istio has no field for a local rate limit at a gateway: it takes an EnvoyFilter (envoy.filters.http.local_ratelimit) on the gateway\'s pods; not written');
    if (g.kind === 'egress') continue;
    note('', LOAD_BALANCER_NOTE(g.name));
    out.push(istioGateway(g, hostsOf(g.routes), g.tls ? { mode: 'SIMPLE', credentialName: gatewayCertificateSecret(g.name) } : null));
    if (g.tls) note('tls', `the gateway reads its certificate from the Secret ${gatewayCertificateSecret(g.name)} (kubernetes.io/tls, in the gateway's namespace), which is yours to create: meshproof's was issued for the run only`);
    for (const [i, group] of hostGroups(g.routes).entries()) {
      out.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: i === 0 ? g.name : `${g.name}-${i}`, labels: { ...MANAGED_BY } },
        spec: { hosts: group.hosts, gateways: [g.name], http: group.routes.map((r) => istioRoute(scenario, r, g.routes.indexOf(r), note)) },
      });
    }
  }
  for (const x of externalsOf(scenario)) {
    if (!x.registered) {
      notes.push({
        destination: x.name,
        key: `external.${x.name}.registered`,
        message: `an unregistered external is a host the mesh does not know: nothing is written for it (${(scenario.outboundTrafficPolicy ?? 'ALLOW_ANY') === 'REGISTRY_ONLY' ? 'under REGISTRY_ONLY Istio refuses it, as the run did' : 'under ALLOW_ANY Istio passes it through, as the run did'})`,
      });
      continue;
    }
    out.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: x.name, labels: { ...MANAGED_BY } },
      spec: { hosts: [x.name], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] },
    });
    notes.push({ destination: x.name, key: `external.${x.name}`, message: `written as a ServiceEntry for the host ${x.name}: put the third-party API's real host name there (and in the callers' ${x.name.toUpperCase().replace(/-/g, '_')}_URL)` });
    if (egress) out.push(egressRoute(scenario, egress, x.name, (key, message) => notes.push({ destination: x.name, key, message })));
  }
  if (egress) out.push(istioGateway(egress, externalsOf(scenario).filter((x) => x.registered).map((x) => x.name), null));
  if (scenario.outboundTrafficPolicy === 'REGISTRY_ONLY') {
    out.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Sidecar',
      metadata: { name: 'default', labels: { ...MANAGED_BY } },
      spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } },
    });
  }
  return out;
}

function istioGateway(g: GatewaySpec, hosts: string[], tls: { mode: 'SIMPLE'; credentialName: string } | null): Resource {
  const port = tls ? { number: 443, name: 'https', protocol: 'HTTPS' } : { number: 80, name: 'http', protocol: 'HTTP' };
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: g.name, labels: { ...MANAGED_BY } },
    spec: { selector: { [GATEWAY_SELECTOR_LABEL]: g.name }, servers: [{ port, hosts: hosts.length > 0 ? hosts : ['*'], ...(tls ? { tls } : {}) }] },
  };
}

/**
The mesh's calls to an external go to the egress gateway (`mesh`), and the egress gateway's go on to
the external, with the external's policy on that leg: Istio's egress gateway pattern.
*/
function egressRoute(scenario: Scenario, egress: GatewaySpec, external: string, note: (key: string, message: string) => void): Resource {
  const policy = scenario.mesh[external];
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: `${egress.name}-${external}`, labels: { ...MANAGED_BY } },
    spec: {
      hosts: [external],
      gateways: ['mesh', egress.name],
      http: [
        { name: 'to-egress-gateway', match: [{ gateways: ['mesh'], port: 80 }], route: [{ destination: { host: egress.name, port: { number: 80 } } }] },
        {
          name: 'out',
          match: [{ gateways: [egress.name], port: 80 }],
          route: [{ destination: { host: external, port: { number: 80 } } }],
          ...(policy ? routePolicy(policy, (key, message) => note(key, message)) : {}),
        },
      ],
    },
  };
}

function istioRoute(scenario: Scenario, r: GatewayRoute, index: number, note: (key: string, message: string) => void): Record<string, unknown> {
  const match = r.match.filter((m) => m.path !== null || m.headers.length > 0).map(istioMatch);
  const weights = r.to.length > 1 ? integerWeights(Object.fromEntries(r.to.map((d) => [d.service, d.weight])), (_k, m) => note(`routes[${index}].to`, m)) : null;
  const route = r.to.map((d) => ({ destination: { host: d.service }, ...(weights ? { weight: weights[d.service] } : {}) }));
  // An Istio route has one timeout, retry policy and fault: its destinations' policies must agree to be written.
  const policyOf = (service: string, onNote: (key: string, message: string) => void) => (scenario.mesh[service] ? routePolicy(scenario.mesh[service], onNote) : {});
  const distinct = new Set(r.to.map((d) => JSON.stringify(policyOf(d.service, () => {}))));
  let policy: Record<string, unknown> = {};
  if (distinct.size === 1) policy = policyOf(r.to[0]!.service, (k, m) => note(`routes[${index}].${k}`, m));
  else note(`routes[${index}]`, `the destinations of this rule (${r.to.map((d) => d.service).join(', ')}) have different timeouts, retries or faults, and an Istio route has one of each: none written, so the gateway applies Istio's defaults toward them`);
  return { name: `route-${index}`, ...(match.length > 0 ? { match } : {}), route, ...policy };
}

function istioMatch(m: RouteMatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (m.path) out.uri = stringMatch(m.path);
  if (m.headers.length > 0) out.headers = Object.fromEntries(m.headers.map((h) => [h.name, stringMatch(h.match)]));
  return out;
}

function stringMatch(s: StringMatch): Record<string, string> {
  return { [s.kind]: s.value };
}

/** Every host a gateway's routes name, in order; `*` when one serves any host. */
function hostsOf(routes: readonly GatewayRoute[]): string[] {
  return [...new Set(routes.flatMap((r) => r.hosts))];
}

/**
The routes grouped by the hosts they serve, in the order first written: one VirtualService each, as
an Istio VirtualService's rules apply to all of its hosts.
*/
export function hostGroups(routes: readonly GatewayRoute[]): { hosts: string[]; routes: GatewayRoute[] }[] {
  const groups = new Map<string, { hosts: string[]; routes: GatewayRoute[] }>();
  for (const r of routes) {
    const key = [...r.hosts].sort().join(',');
    const g = groups.get(key) ?? { hosts: [...r.hosts], routes: [] };
    g.routes.push(r);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
The ingress gateways as Gateway API v1 resources: a Gateway (an HTTP listener on 80, or HTTPS on 443
terminating TLS with the certificate's Secret) and an HTTPRoute bound to it per set of hosts, with
the rules in order: path (Exact, PathPrefix, RegularExpression) and header matches, backends with
weights. The Gateway API has no egress gateway and no ServiceEntry: externals and an egress gateway
are notes, as are a gateway's rate limit and the destinations' timeouts and retries at it.
*/
export function exportGatewayApiEdges(scenario: Scenario, notes: ExportNote[]): Resource[] {
  const out: Resource[] = [];
  for (const g of gatewaysOf(scenario)) {
    const note = (key: string, message: string) => notes.push({ destination: g.name, key: `gateways.${g.name}${key ? `.${key}` : ''}`, message });
    if (g.kind === 'egress') {
      note('', 'the Gateway API has no egress gateway: export to istio for it; the mesh\'s calls to externals go out directly');
      continue;
    }
    note('', LOAD_BALANCER_NOTE(g.name));
    if (g.rateLimit) note('rateLimit', 'the Gateway API has no rate limit: it is the implementation\'s (an extension policy); not written');
    note('', `written with gatewayClassName istio: put your implementation's class there; it deploys the gateway (the run had ${g.replicas} replica${g.replicas === 1 ? '' : 's'}), and the destinations' timeouts and retries at it are not written`);
    const listener = g.tls
      ? { name: 'https', port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: gatewayCertificateSecret(g.name) }] } }
      : { name: 'http', port: 80, protocol: 'HTTP' };
    if (g.tls) note('tls', `the gateway reads its certificate from the Secret ${gatewayCertificateSecret(g.name)}, which is yours to create: meshproof's was issued for the run only`);
    out.push({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: g.name, labels: { ...MANAGED_BY } }, spec: { gatewayClassName: 'istio', listeners: [listener] } });
    for (const [i, group] of hostGroups(g.routes).entries()) {
      const hostnames = group.hosts.includes('*') ? [] : group.hosts;
      if (group.hosts.includes('*') && group.hosts.length > 1) note(`routes`, `a rule for ${group.hosts.join(', ')} is written for every host: the Gateway API has no "*" hostname`);
      out.push({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: i === 0 ? g.name : `${g.name}-${i}`, labels: { ...MANAGED_BY } },
        spec: {
          parentRefs: [{ name: g.name }],
          ...(hostnames.length > 0 ? { hostnames } : {}),
          rules: group.routes.map((r) => gatewayApiRule(r, g.routes.indexOf(r), note)),
        },
      });
    }
  }
  for (const x of externalsOf(scenario)) {
    notes.push({ destination: x.name, key: `external.${x.name}`, message: 'the Gateway API has no ServiceEntry: an external service is not written (export to istio for it)' });
  }
  if (scenario.outboundTrafficPolicy === 'REGISTRY_ONLY') notes.push({ destination: 'mesh', key: 'mesh.outboundTrafficPolicy', message: 'the Gateway API has no outbound traffic policy: REGISTRY_ONLY is the mesh\'s setting (Istio: export to istio)' });
  return out;
}

function gatewayApiRule(r: GatewayRoute, index: number, note: (key: string, message: string) => void): Record<string, unknown> {
  const PATH = { exact: 'Exact', prefix: 'PathPrefix', regex: 'RegularExpression' } as const;
  const matches = r.match
    .filter((m) => m.path !== null || m.headers.length > 0)
    .map((m) => {
      if (m.path?.kind === 'prefix' && m.path.value !== '/' && !m.path.value.endsWith('/')) {
        note(`routes[${index}].match.path.prefix`, `approximated: the Gateway API's PathPrefix matches whole path segments (${m.path.value} does not match ${m.path.value}s), Istio's and meshproof's any string prefix`);
      }
      const headers = m.headers.map((h) => {
        if (h.match.kind === 'prefix') {
          note(`routes[${index}].match.headers.${h.name}`, 'the Gateway API has no prefix header match: written as a RegularExpression');
          return { type: 'RegularExpression', name: h.name, value: `${escapeRegex(h.match.value)}.*` };
        }
        return { type: h.match.kind === 'exact' ? 'Exact' : 'RegularExpression', name: h.name, value: h.match.value };
      });
      return { ...(m.path ? { path: { type: PATH[m.path.kind], value: m.path.value } } : {}), ...(headers.length > 0 ? { headers } : {}) };
    });
  const weights = r.to.length > 1 ? integerWeights(Object.fromEntries(r.to.map((d) => [d.service, d.weight])), (_k, m) => note(`routes[${index}].to`, m), 1_000_000) : null;
  return { ...(matches.length > 0 ? { matches } : {}), backendRefs: r.to.map((d) => ({ name: d.service, port: 80, ...(weights ? { weight: weights[d.service] } : {}) })) };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Linkerd has neither a gateway of its own nor a ServiceEntry: every edge is a note. */
export function linkerdEdgeNotes(scenario: Scenario, notes: ExportNote[]): void {
  for (const g of gatewaysOf(scenario)) {
    notes.push({
      destination: g.name,
      key: `gateways.${g.name}`,
      message: g.kind === 'ingress' ? 'Linkerd has no ingress gateway of its own: export to gateway-api for its routes (Linkerd meshes the gateway\'s pods); not written' : 'Linkerd has no egress gateway: the mesh\'s calls to externals go out directly; not written',
    });
  }
  for (const x of externalsOf(scenario)) notes.push({ destination: x.name, key: `external.${x.name}`, message: 'Linkerd reaches a host outside the cluster directly (an EgressNetwork governs it): not written' });
  if (scenario.outboundTrafficPolicy === 'REGISTRY_ONLY') notes.push({ destination: 'mesh', key: 'mesh.outboundTrafficPolicy', message: 'Linkerd refuses unknown hosts with an EgressNetwork whose trafficPolicy is Deny: not written' });
}

/**
The Istio gateways' own pods: per gateway a Deployment by gateway injection (Istio fills in the
proxy: `inject.istio.io/templates: gateway`, image `auto`) with the gateway's replicas, and its
Service (80, or 443 for TLS), which the load balancer in front (the run's load generator) and, for
the egress gateway, the mesh's sidecars send to.
*/
export function istioGatewayWorkloads(scenario: Scenario): Resource[] {
  return gatewaysOf(scenario).flatMap((g): Resource[] => {
    const labels = { [GATEWAY_SELECTOR_LABEL]: g.name, app: g.name };
    const port = g.tls ? { name: 'https', port: 443 } : { name: 'http', port: 80 };
    return [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: g.name, labels: { ...MANAGED_BY, app: g.name } }, spec: { selector: labels, ports: [port] } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: g.name, labels: { ...MANAGED_BY, ...labels } },
        spec: {
          replicas: g.replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels: { ...labels, 'sidecar.istio.io/inject': 'true' }, annotations: { 'inject.istio.io/templates': 'gateway' } },
            spec: { containers: [{ name: 'istio-proxy', image: 'auto' }] },
          },
        },
      },
    ];
  });
}
