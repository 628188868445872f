import type { Bucket } from '../../contract/series.ts';
import { emptyBucket, mergeBucket } from '../../observe/timeline.ts';
import { topologyEdges, topologyNodes, type TopologyEdge, type TopologyNode } from '../../scenario/mesh-topology.ts';
import { instanceNames } from '../../scenario/scenario.ts';
import { plural } from '../../util/format.ts';
import type { RunResult } from '../run-result.ts';
import { escapeHtml } from './escape.ts';

const KIND: Record<TopologyNode['kind'], string> = { ingress: 'ingress gateway', service: 'service', egress: 'egress gateway', external: 'external service' };

const EDGE: Record<TopologyEdge['kind'], string> = {
  entry: 'the load enters',
  mesh: 'in the mesh',
  exit: 'leaves the mesh',
  'unknown-host': 'a host the mesh does not know',
};

/**
The topology with what went through it, for report.html: the parts in the order traffic meets them
(the ingress gateways at the entry, the services, the egress gateway and the external services at
the exit), then every edge with its requests, failures, retries, what no route took (404 NR) and,
for a service calling a host the registry does not know, its edge to BlackHoleCluster or
PassthroughCluster. Only for a scenario with something at its edges: a plain mesh is all in the charts.
*/
export function topologySection(result: RunResult): string {
  const { scenario, timeline } = result;
  if (!(scenario.gateways?.length || scenario.externals?.length || scenario.outboundTrafficPolicy)) return '';
  const sum = (keys: string[]): Bucket => keys.reduce((acc, k) => (timeline.series[k] ?? []).reduce((a, b) => (b ? mergeBucket(a, b) : a), acc), emptyBucket());
  const nodes = topologyNodes(scenario).map((n) => {
    // An external has no proxy: what reached it is the tries its callers' proxies sent to its instances.
    const keys = n.kind === 'external' ? topologyEdges(scenario).filter((e) => e.to === n.name).flatMap((e) => instanceNames(n).map((i) => `upstream:${e.from}->${i}`)) : instanceNames(n).map((i) => `instance:${i}`);
    return nodeRow(n, sum(keys));
  });
  const edges = topologyEdges(scenario).map((e) => edgeRow(e, sum([`edge:${e.from}->${e.to}`])));
  return (
    `<section id="topology"><h2>Topology</h2><p class="muted">In the order traffic meets it: where the load enters, the services, where calls leave the mesh. ` +
    `Failed: 5xx or no response; NR: no route (404 at a gateway); BlackHoleCluster and PassthroughCluster: what a service's sidecar did with a host the mesh does not know.</p>` +
    `<table class="topology"><thead><tr><th>Part</th><th>What</th><th>Instances</th><th>Requests received</th><th>Failed</th><th>NR</th></tr></thead><tbody>${nodes.join('')}</tbody></table>` +
    `<table class="topology"><thead><tr><th>Edge</th><th>Where</th><th>Requests</th><th>Failed</th><th>Retries</th><th>NR</th></tr></thead><tbody>${edges.join('')}</tbody></table></section>`
  );
}

function nodeRow(n: TopologyNode, b: Bucket): string {
  return (
    `<tr data-part="${escapeHtml(n.name)}"><td><code>${escapeHtml(n.name)}</code></td><td>${KIND[n.kind]}</td><td>${escapeHtml(plural(n.replicas, 'instance'))}</td>` +
    `<td class="num">${b.requests}</td><td class="num">${b.requests - b.ok}</td><td class="num">${b.flags.NR ?? 0}</td></tr>`
  );
}

function edgeRow(e: TopologyEdge, b: Bucket): string {
  return (
    `<tr data-edge="${escapeHtml(`${e.from}->${e.to}`)}"><td><code>${escapeHtml(`${e.from} → ${e.to}`)}</code></td><td>${EDGE[e.kind]}</td>` +
    `<td class="num">${b.requests}</td><td class="num">${b.requests - b.ok}</td><td class="num">${b.retries}</td><td class="num">${b.flags.NR ?? 0}</td></tr>`
  );
}
