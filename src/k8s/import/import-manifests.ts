import type { Manifest } from '../manifest.ts';
import { WARN_PREFIX } from './field-rules.ts';
import { GATEWAY_API_OTHER_KINDS, importGateway, importHttpRoute } from './gateway-api.ts';
import { ImportDraft } from './import-draft.ts';
import { importDestinationRule, importVirtualService, ISTIO_OTHER_KINDS, readSubsets, type Subsets } from './istio.ts';
import { boundToGateways, importGatewayRoutes, importIstioGateway, importServiceEntry, importSidecar } from './istio-edges.ts';
import { importLinkerdAnnotations, LINKERD_OTHER_KINDS } from './linkerd.ts';
import { Topology } from './topology.ts';
import { importAuthorizationPolicy, importPeerAuthentication } from './istio-security.ts';

const ISTIO_GROUPS = ['networking.istio.io', 'security.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];
const GATEWAY_GROUPS = ['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'];
const LINKERD_GROUPS = ['policy.linkerd.io', 'linkerd.io'];
const WORKLOADS = ['Deployment', 'StatefulSet'];

/**
Maps Kubernetes resources to meshproof: the mesh policies (Istio DestinationRule and
VirtualService, Gateway API HTTPRoute, Linkerd's annotations), the edges (Istio Gateway and the
VirtualServices bound to it, ServiceEntry, a Sidecar's outbound traffic policy), the topology
(Services, Deployments, StatefulSets) and the profile (whose mesh the resources are for). Pure: manifests in, draft out.
Resources are read in two passes, so a route may name a subset or a per-version Service defined in
any file.
*/
export function importManifests(manifests: Manifest[]): ImportDraft {
  const draft = new ImportDraft();
  const topology = new Topology();
  const subsets: Subsets = new Map();
  for (const m of manifests) {
    if ((m.group === '' && m.kind === 'Service') || (m.group === 'apps' && WORKLOADS.includes(m.kind))) topology.add(m);
    if (m.group === 'networking.istio.io' && m.kind === 'DestinationRule') readSubsets(m, draft, subsets);
    if (m.group === '' && m.kind === 'Namespace') namespaceHints(m, draft);
    // Before the routes: a VirtualService may be bound to a Gateway, or name a ServiceEntry's host, in any file.
    if (m.group === 'networking.istio.io' && m.kind === 'Gateway') importIstioGateway(m, draft);
    if (m.group === 'networking.istio.io' && m.kind === 'ServiceEntry') importServiceEntry(m, draft);
    if (GATEWAY_GROUPS.includes(m.group) && m.kind === 'Gateway') importGateway(m, draft);
  }
  const isRoute = (m: Manifest) => m.kind === 'HTTPRoute' && (GATEWAY_GROUPS.includes(m.group) || m.group === 'policy.linkerd.io');
  // Linkerd: annotations on routes win over the Service's, so they are read first.
  const routeGroups = new Map<string, Set<string>>();
  for (const m of manifests.filter(isRoute)) {
    for (const parent of serviceParents(m)) {
      const service = topology.resolve(parent).service;
      const groups = routeGroups.get(service) ?? new Set<string>();
      routeGroups.set(service, groups);
      importLinkerdAnnotations(m, service, draft, true, groups);
    }
  }
  for (const m of manifests) {
    if (m.group === '' && m.kind === 'Service') importLinkerdAnnotations(m, topology.resolve(m.name).service, draft, false, routeGroups.get(topology.resolve(m.name).service) ?? new Set());
  }
  for (const m of manifests) {
    // A ServiceAccount is a workload's identity: meshproof's is its service's name, as the export writes it.
    if (m.group === '' && (m.kind === 'Service' || m.kind === 'Namespace' || m.kind === 'ServiceAccount')) continue;
    if (m.group === 'apps' && WORKLOADS.includes(m.kind)) continue;
    if (m.group === 'networking.istio.io' && m.kind === 'DestinationRule') importDestinationRule(m, draft);
    else if (m.group === 'networking.istio.io' && m.kind === 'VirtualService') {
      if (boundToGateways(m)) importGatewayRoutes(m, draft);
      else importVirtualService(m, draft, subsets);
    } else if ((m.group === 'networking.istio.io' && (m.kind === 'Gateway' || m.kind === 'ServiceEntry')) || (GATEWAY_GROUPS.includes(m.group) && m.kind === 'Gateway')) continue;
    else if (m.group === 'networking.istio.io' && m.kind === 'Sidecar') importSidecar(m, draft);
    else if (isRoute(m)) importHttpRoute(m, draft, topology);
    else if (m.group === 'security.istio.io' && m.kind === 'PeerAuthentication') importPeerAuthentication(m, draft);
    else if (m.group === 'security.istio.io' && m.kind === 'AuthorizationPolicy') importAuthorizationPolicy(m, draft);
    else otherKind(m, draft);
  }
  topology.build(draft);
  // A gateway's own Deployment is its replicas, not a service of the mesh.
  for (const g of draft.gateways.values()) {
    const pods = draft.services.get(g.name);
    g.replicas = pods ? pods.groups.reduce((a, p) => a + p.replicas, 0) : null;
    draft.services.delete(g.name);
  }
  for (const check of draft.atEnd) check();
  unreadWarnings(draft);
  return draft;
}

function serviceParents(m: Manifest): string[] {
  const parents = m.get(['spec', 'parentRefs']);
  return (Array.isArray(parents) ? parents : []).filter((p) => p?.kind === 'Service' && typeof p.name === 'string').map((p) => p.name as string);
}

function namespaceHints(m: Manifest, draft: ImportDraft): void {
  if (m.labels['istio-injection'] === 'enabled') draft.setProfile('istio', m.source(['metadata', 'labels', 'istio-injection']), 'a namespace with Istio sidecar injection');
  if (m.annotations['linkerd.io/inject'] === 'enabled') draft.setProfile('linkerd', m.source(['metadata', 'annotations', 'linkerd.io/inject']), 'a namespace with Linkerd proxy injection');
}

function otherKind(m: Manifest, draft: ImportDraft): void {
  const table = ISTIO_GROUPS.includes(m.group) ? ISTIO_OTHER_KINDS : GATEWAY_GROUPS.includes(m.group) ? GATEWAY_API_OTHER_KINDS : LINKERD_GROUPS.includes(m.group) ? LINKERD_OTHER_KINDS : null;
  const rule = table?.[m.kind];
  if (rule && rule.warn !== 'none') {
    draft.warn(m, ['kind'], `${WARN_PREFIX[rule.warn]}: ${m.kind}: ${rule.why}; not applied`);
    return;
  }
  if (rule) return;
  const seen = draft.unread.get(m.kind);
  if (seen) seen.count++;
  else draft.unread.set(m.kind, { count: 1, first: m });
}

/** One warning per kind that is not mesh configuration, at its first resource, so nothing read is passed over in silence. */
function unreadWarnings(draft: ImportDraft): void {
  for (const [kind, { count, first }] of draft.unread) {
    draft.warn(first, ['kind'], `not read: ${count === 1 ? `a ${kind}` : `${count} ${kind} resources`} (${first.apiVersion}) ${count === 1 ? 'is' : 'are'} not mesh configuration meshproof reads`);
  }
}
