import type { FieldPath, Manifest } from '../manifest.ts';
import { checkFields, later, never, none, to, WARN_PREFIX, type FieldTable } from './field-rules.ts';
import type { GatewayDraft, ImportDraft } from './import-draft.ts';
import { applyRoutePolicy, routePolicy, VIRTUAL_SERVICE } from './istio.ts';
import { hostService, meshName, ValueReader } from './values.ts';

const CLIENT_CERTIFICATES = 'a gateway that asks for client certificates (tls.mode MUTUAL): meshproof\'s gateway terminates SIMPLE TLS only';
const OWN_CERTIFICATE = 'the certificate: meshproof issues the gateway its own (from the mesh CA with security, else self-signed)';

/** Gateway (networking.istio.io v1, v1beta1, v1alpha3). */
export const ISTIO_GATEWAY: FieldTable = {
  selector: to('gateways.<name>.kind', { note: 'istio: egressgateway, or a gateway the mesh\'s routes send an external host\'s calls to, is the egress gateway; any other an ingress gateway' }),
  servers: to('gateways.<name>.tls', {
    items: {
      port: to('gateways.<name>.tls', { note: 'a port is one listener; its protocol is read with tls' }),
      hosts: none('the hosts a gateway serves are its VirtualServices\''),
      tls: to('gateways.<name>.tls', {
        fields: {
          mode: to('tls.mode', { note: 'SIMPLE; PASSTHROUGH, MUTUAL, ISTIO_MUTUAL and OPTIONAL_MUTUAL are warned' }),
          credentialName: none(OWN_CERTIFICATE),
          credentialNames: none(OWN_CERTIFICATE),
          serverCertificate: none(OWN_CERTIFICATE),
          privateKey: none(OWN_CERTIFICATE),
          caCertificates: later(CLIENT_CERTIFICATES),
          caCrl: later(CLIENT_CERTIFICATES),
          subjectAltNames: later(CLIENT_CERTIFICATES),
          verifyCertificateSpki: later(CLIENT_CERTIFICATES),
          verifyCertificateHash: later(CLIENT_CERTIFICATES),
          httpsRedirect: never('redirects from HTTP to HTTPS'),
          minProtocolVersion: never('TLS versions: meshproof\'s gateway takes what Node does'),
          maxProtocolVersion: never('TLS versions: meshproof\'s gateway takes what Node does'),
          cipherSuites: never('cipher suites: meshproof\'s gateway takes what Node does'),
        },
      }),
      bind: none('the address it listens on'),
      name: none('a name'),
      defaultEndpoint: never('a gateway forwarding to a fixed endpoint'),
    },
  }),
};

/** ServiceEntry (networking.istio.io v1, v1beta1, v1alpha3). */
export const SERVICE_ENTRY: FieldTable = {
  hosts: to('external.<name>', { note: 'one external per host: card-api stays card-api, api.example.com becomes api-example-com; wildcards are warned' }),
  location: to('external', { note: 'MESH_EXTERNAL (the default); MESH_INTERNAL is warned' }),
  ports: to('external', { note: 'one port; an HTTPS or TLS port is warned: meshproof calls an external over plain HTTP' }),
  resolution: none('how the proxy finds the endpoints: meshproof starts the external\'s instances itself'),
  endpoints: none('the external\'s instances are meshproof\'s own (external.<name>.replicas)'),
  addresses: never('virtual IPs: meshproof reaches an external by name'),
  subjectAltNames: later('TLS origination toward an external: meshproof calls an external over plain HTTP'),
  workloadSelector: never('workloads outside Kubernetes'),
  exportTo: none('meshproof has one namespace'),
};

/** Sidecar (networking.istio.io v1, v1beta1, v1alpha3). */
export const SIDECAR: FieldTable = {
  outboundTrafficPolicy: to('mesh.outboundTrafficPolicy', {
    fields: { mode: to('mesh.outboundTrafficPolicy'), egressProxy: never('an egress proxy for unknown hosts: declare an egress gateway and the externals it reaches') },
  }),
  workloadSelector: never('a Sidecar for some workloads: meshproof\'s outbound traffic policy is the whole mesh\'s'),
  egress: never('which services a sidecar reaches: meshproof\'s sidecars reach every service'),
  ingress: never('a sidecar\'s inbound listeners'),
  inboundConnectionPool: never('the inbound connection pool: meshproof limits connections at the caller (connectionPool)'),
};

/** An Istio Gateway: an ingress gateway unless its pods are Istio's egress gateway's (a route may make it the egress gateway later). */
export function importIstioGateway(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), ISTIO_GATEWAY, draft);
  const name = meshName(m.name);
  if (!name) {
    draft.warn(m, ['metadata', 'name'], `${WARN_PREFIX.never}: a gateway named ${m.name} has no name meshproof can use; not applied`);
    return;
  }
  draft.setProfile('istio', m.source(['kind']), 'a Gateway');
  const selector = m.get(['spec', 'selector']) as Record<string, unknown> | undefined;
  let tls = false;
  const servers = m.get(['spec', 'servers']);
  (Array.isArray(servers) ? servers : []).forEach((_s, i) => {
    const mode = m.get(['spec', 'servers', i, 'tls', 'mode']);
    if (mode === undefined) return;
    if (mode === 'SIMPLE') tls = true;
    else draft.warn(m, ['spec', 'servers', i, 'tls', 'mode'], `${mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH' ? WARN_PREFIX.never : WARN_PREFIX.later}: tls mode ${String(mode)}: meshproof's gateway terminates TLS (SIMPLE) or speaks plain HTTP${mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH' ? '' : ' (a gateway asking for client certificates is not modelled yet)'}; read as plain HTTP`);
  });
  draft.gateways.set(name, { name, kind: selector?.istio === 'egressgateway' ? 'egress' : 'ingress', tls, routes: [], source: m.source(['metadata', 'name']) });
}

/** A ServiceEntry's hosts as externals the mesh's registry knows. */
export function importServiceEntry(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), SERVICE_ENTRY, draft);
  const location = m.get(['spec', 'location']) ?? 'MESH_EXTERNAL';
  if (location !== 'MESH_EXTERNAL') {
    draft.warn(m, ['spec', 'location'], `${WARN_PREFIX.never}: ${String(location)}: a service inside the mesh without a Kubernetes Service; declare it under services; not applied`);
    return;
  }
  draft.setProfile('istio', m.source(['kind']), 'a ServiceEntry');
  const ports = m.get(['spec', 'ports']);
  (Array.isArray(ports) ? ports : []).forEach((p: { protocol?: unknown }, i: number) => {
    if (p?.protocol === 'HTTPS' || p?.protocol === 'TLS') {
      draft.warn(m, ['spec', 'ports', i, 'protocol'], `${WARN_PREFIX.later}: a ${String(p.protocol)} port: meshproof calls an external over plain HTTP (TLS origination toward it is not modelled yet); the run's calls to it are plain HTTP`);
    }
  });
  const hosts = m.get(['spec', 'hosts']);
  (Array.isArray(hosts) ? hosts : []).forEach((h, i) => {
    const host = String(h);
    const name = host.includes('*') ? null : (hostService(host) ?? meshName(host));
    if (!name) {
      draft.warn(m, ['spec', 'hosts', i], `${WARN_PREFIX.never}: host ${host}: an external is one name meshproof's callers dial (no wildcards); not applied`);
      return;
    }
    if (!draft.externals.has(name)) draft.externals.set(name, { name, source: m.source(['spec', 'hosts', i]) });
  });
}

/** A Sidecar's outbound traffic policy, when it is the whole namespace's (no workloadSelector). */
export function importSidecar(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), SIDECAR, draft);
  const at = ['spec', 'outboundTrafficPolicy', 'mode'];
  const mode = m.get(at);
  if (mode === undefined || m.get(['spec', 'workloadSelector']) !== undefined) return;
  if (mode !== 'ALLOW_ANY' && mode !== 'REGISTRY_ONLY') {
    draft.error(m, at, `found ${JSON.stringify(mode)}; expected ALLOW_ANY or REGISTRY_ONLY`);
    return;
  }
  draft.setProfile('istio', m.source(['kind']), 'a Sidecar');
  const before = draft.outboundTrafficPolicy;
  if (before && before.value !== mode) {
    draft.warn(m, at, `not applied: ${before.source.resource} (${before.source.file}:${before.source.line}) already sets mesh.outboundTrafficPolicy to ${before.value}; the first resource read wins`);
    return;
  }
  draft.outboundTrafficPolicy ??= { value: mode, source: m.source(at) };
}

/** Whether a VirtualService applies at a gateway other than the mesh's sidecars (then importGatewayRoutes reads it). */
export function boundToGateways(m: Manifest): boolean {
  const gateways = m.get(['spec', 'gateways']);
  return Array.isArray(gateways) && gateways.some((g) => g !== 'mesh');
}

/**
A VirtualService bound to gateways. With `mesh` among them, for an external host: Istio's egress
gateway pattern — the mesh's calls to the host go to the gateway, which becomes the egress gateway,
and the rule at the gateway sends them on, its timeout, retries and fault read as the external's
policy (`mesh.<external>`). Without `mesh`: the routes of each ingress gateway it names, in order.
*/
export function importGatewayRoutes(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), VIRTUAL_SERVICE, draft);
  const named = (m.get(['spec', 'gateways']) as unknown[]).map((g) => String(g));
  // A gateway may be named with its namespace (istio-system/edge).
  const gateways = named.flatMap((g, i) => (g === 'mesh' ? [] : [{ name: meshName(g.split('/').pop()!) ?? g, at: i }]));
  const hosts = (m.get(['spec', 'hosts']) as unknown[] | undefined)?.map(String) ?? [];
  const v = new ValueReader(m, draft);
  const http = m.get(['spec', 'http']);
  const rules = Array.isArray(http) ? (http as Record<string, unknown>[]) : [];
  const gatewayOf = (g: string, i: number): GatewayDraft => {
    let d = draft.gateways.get(g);
    if (!d) {
      draft.warn(m, ['spec', 'gateways', i], `${WARN_PREFIX.approx}: no Gateway ${g} was read; the gateway is declared with the defaults (plain HTTP, one replica)`);
      d = { name: g, kind: 'ingress', tls: false, routes: [], source: m.source(['spec', 'gateways', i]) };
      draft.gateways.set(g, d);
    }
    return d;
  };
  draft.setProfile('istio', m.source(['kind']), 'a VirtualService');

  if (named.includes('mesh')) {
    const host = hosts[0] ?? '';
    const external = hostService(host) ?? meshName(host);
    if (!external) {
      draft.warn(m, ['spec', 'hosts', 0], `${WARN_PREFIX.never}: host ${host}: not a name meshproof's callers dial; not applied`);
      return;
    }
    for (const g of gateways) gatewayOf(g.name, g.at).kind = 'egress';
    draft.destination(external, m.source(['spec', 'hosts', 0]));
    rules.forEach((rule, i) => {
      const at = ['spec', 'http', i];
      const at_ = (rule.match as { gateways?: unknown[] }[] | undefined)?.flatMap((x) => x.gateways ?? []).map(String) ?? [];
      // The rule at the egress gateway carries the policy on the way out; the mesh's only sends to the gateway.
      if (at_.some((g) => g !== 'mesh')) applyRoutePolicy(m, draft, external, at, routePolicy(m, at, rule, v, draft));
      else if (rule.timeout !== undefined || rule.retries !== undefined || rule.fault !== undefined) {
        draft.warn(m, at, `${WARN_PREFIX.approx}: the policy of the mesh's leg to the egress gateway: meshproof applies ${external}'s policy at the egress gateway, on the way out; not applied`);
      }
    });
    return;
  }

  for (const [gi, g] of gateways.entries()) {
    const gateway = gatewayOf(g.name, g.at);
    rules.forEach((rule, i) => {
      const route = gatewayRoute(m, ['spec', 'http', i], rule, hosts, draft, gi === 0);
      if (route) gateway.routes.push(route);
    });
  }
}

/** One rule at an ingress gateway as a scenario writes it; null when it cannot be (warned, once: `warn`). */
function gatewayRoute(m: Manifest, at: FieldPath, rule: Record<string, unknown>, hosts: string[], draft: ImportDraft, warn: boolean): Record<string, unknown> | null {
  const say = (path: FieldPath, message: string) => {
    if (warn) draft.warn(m, path, message);
  };
  const blocks: Record<string, unknown>[] = [];
  const match = Array.isArray(rule.match) ? (rule.match as Record<string, unknown>[]) : [];
  for (const [j, block] of match.entries()) {
    const other = Object.keys(block).filter((k) => !['uri', 'headers', 'name'].includes(k));
    if (other.length > 0) {
      say([...at, 'match', j, other[0]!], `${WARN_PREFIX.never}: requests are told apart by ${other.join(', ')}; meshproof's gateway routes on host, path and headers, so this rule is not imported`);
      return null;
    }
    const out: Record<string, unknown> = {};
    if (block.uri !== undefined) {
      const s = stringMatch(block.uri);
      if (!s) {
        say([...at, 'match', j, 'uri'], `${WARN_PREFIX.never}: a path matched by ${Object.keys(block.uri as object).join(', ')}; meshproof matches exact, prefix or regex; this rule is not imported`);
        return null;
      }
      out.path = s;
    }
    const headers: Record<string, unknown> = {};
    for (const [name, value] of Object.entries((block.headers ?? {}) as Record<string, unknown>)) {
      const s = stringMatch(value);
      if (!s) {
        say([...at, 'match', j, 'headers', name], `${WARN_PREFIX.never}: header ${name} matched by ${Object.keys((value ?? {}) as object).join(', ') || 'nothing'}; meshproof matches exact, prefix or regex; this rule is not imported`);
        return null;
      }
      headers[name.toLowerCase()] = 'exact' in s ? s.exact : s;
    }
    if (Object.keys(headers).length > 0) out.headers = headers;
    blocks.push(out);
  }
  const route = Array.isArray(rule.route) ? (rule.route as { destination?: { host?: string; subset?: string }; weight?: number }[]) : [];
  const to: { service: string; weight: number }[] = [];
  for (const [j, d] of route.entries()) {
    const service = hostService(d.destination?.host ?? '');
    if (!service) {
      say([...at, 'route', j, 'destination', 'host'], `${WARN_PREFIX.never}: a gateway sending to ${d.destination?.host ?? '(no host)'}, not a service of the mesh; this rule is not imported`);
      return null;
    }
    if (d.destination?.subset !== undefined) say([...at, 'route', j, 'destination', 'subset'], `${WARN_PREFIX.approx}: a gateway's rule sends to a service; which version gets it is the service's split (mesh.${service}.split), so subset ${d.destination.subset} is not applied`);
    to.push({ service, weight: route.length === 1 ? 100 : (d.weight ?? 0) });
  }
  if (to.length === 0) {
    say([...at, 'route'], `${WARN_PREFIX.never}: a rule with no destination (a redirect or a direct response); not imported`);
    return null;
  }
  // meshproof's gateway applies each destination's own policy, as a caller's sidecar does: a route's
  // own timeout, retries or fault is said only where it differs from that (known once all is read).
  if (warn) {
    const own = routePolicy(m, at, rule, new ValueReader(m, draft), draft);
    draft.atEnd.push(() => {
      for (const key of ['timeout', 'retries', 'fault'] as const) {
        const mine = own[key];
        if (mine === undefined) continue;
        const differs = to.some((d) => {
          const theirs = draft.destinations.get(d.service)?.[key];
          if (typeof mine === 'object' && typeof theirs === 'object' && theirs !== null) return Object.entries(mine).some(([k, x]) => JSON.stringify((theirs as Record<string, unknown>)[k]) !== JSON.stringify(x));
          return JSON.stringify(mine) !== JSON.stringify(theirs);
        });
        if (differs) draft.warn(m, [...at, key], `${WARN_PREFIX.approx}: meshproof's gateway applies its destinations' own policy (mesh.${to.map((d) => d.service).join(', mesh.')}), as a caller's sidecar does, and this route's ${key} differs from it; not applied`);
      }
    });
  }
  const sum = to.reduce((a, d) => a + d.weight, 0);
  const merged = new Map<string, number>();
  for (const d of to) merged.set(d.service, (merged.get(d.service) ?? 0) + d.weight);
  const out: Record<string, unknown> = {};
  const ruleHosts = hosts.length === 0 ? ['*'] : hosts;
  if (!(ruleHosts.length === 1 && ruleHosts[0] === '*')) out.host = ruleHosts.length === 1 ? ruleHosts[0] : ruleHosts;
  // A block with no condition matches every request, and so does the rule.
  if (blocks.length > 0 && blocks.every((b) => Object.keys(b).length > 0)) out.match = blocks.length === 1 ? blocks[0] : blocks;
  out.to = merged.size === 1 ? [...merged.keys()][0] : Object.fromEntries([...merged].map(([s, w]) => [s, `${Number(((w / Math.max(1, sum)) * 100).toPrecision(12))}%`]));
  return out;
}

function stringMatch(v: unknown): { exact: string } | { prefix: string } | { regex: string } | null {
  const o = (v ?? {}) as Record<string, unknown>;
  for (const kind of ['exact', 'prefix', 'regex'] as const) if (typeof o[kind] === 'string') return { [kind]: o[kind] } as { exact: string };
  return null;
}
