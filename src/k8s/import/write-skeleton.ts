import { Document, isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ManifestSource } from '../../scenario/scenario.ts';
import type { ImportDraft, PodGroup, ServiceDraft } from './import-draft.ts';

/** Where a source is, for a comment: `VirtualService reviews spec.http[0].timeout (k8s/reviews.yaml:14:7)`. */
export function sourceText(s: ManifestSource): string {
  return `${s.resource} ${s.field} (${s.file}:${s.line}:${s.col})`;
}

export interface SkeletonOptions {
  /** The scenario's name. Default "imported". */
  name?: string;
  /** The inputs, for the header comment. */
  inputs: string[];
}

/**
A scenario skeleton from an import: services with their replicas, versions and zones, the mesh
section with every imported value (each commented with its source), and the parts only the user
knows (who calls whom, the load, what must hold) as valid placeholders marked TODO, so the file
validates as written. Warnings are listed at the end, each with its position.
*/
export function writeSkeleton(draft: ImportDraft, options: SkeletonOptions): string {
  const services = skeletonServices(draft);
  const gateways = skeletonGateways(draft, services[0]?.name ?? 'app');
  const ingress = gateways.find((g) => g.body.kind === 'ingress');
  const target = ingress?.name ?? services[0]?.name ?? 'app';
  const firstHost = (ingress?.body.routes as { host?: unknown }[] | undefined)?.map((r) => r.host).find((h): h is string => typeof h === 'string' && !h.includes('*'));
  const doc = new Document({
    version: 1,
    name: options.name ?? 'imported',
    description: `Imported by meshproof import from ${options.inputs.join(', ')}: fill in calls, load and expectations.`,
    seed: 1,
    duration: '30s',
    services: Object.fromEntries(services.map((s) => [s.name, s.body])),
    ...(gateways.length > 0 ? { gateways: Object.fromEntries(gateways.map((g) => [g.name, g.body])) } : {}),
    ...(draft.externals.size > 0 ? { external: Object.fromEntries([...draft.externals.keys()].map((x) => [x, {}])) } : {}),
    mesh: {
      ...(draft.profile ? { profile: draft.profile.value } : {}),
      ...(draft.outboundTrafficPolicy ? { outboundTrafficPolicy: draft.outboundTrafficPolicy.value } : {}),
      ...Object.fromEntries([...draft.destinations].filter(([, d]) => Object.keys(d).length > 0)),
    },
    ...(Object.keys(draft.security.mesh).length > 0 ? { security: draft.security.mesh } : {}),
    load: { target, ...(firstHost ? { host: firstHost } : {}), rate: '50/s' },
    expect: ['success_rate(client) >= 99%'],
  });
  doc.commentBefore = [
    ` Scenario skeleton written by meshproof import. Every value under mesh names the manifest it came from;`,
    ` run meshproof explain on this file to read what the mesh will do, and meshproof validate to check it.`,
    ` TODO: who calls whom is not in Kubernetes manifests: fill in each service's calls.`,
  ].join('\n');

  const servicesNode = doc.get('services', true) as YAMLMap;
  for (const s of services) {
    const pair = pairOf(servicesNode, s.name);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = s.comment.map((c) => ` ${c}`).join('\n');
    const node = pair?.value;
    if (isMap(node)) {
      const calls = pairOf(node, 'calls');
      if (calls && isSeq(calls.value)) {
        calls.value.flow = true;
        calls.value.comment = ' TODO: the services this one calls, such as [reviews]: not in Kubernetes manifests';
      }
      const instances = pairOf(node, 'instances');
      if (instances && isMap(instances.value)) for (const p of instances.value.items) if (isMap(p.value)) p.value.flow = true;
    }
  }

  const gatewaysNode = doc.get('gateways', true) as YAMLMap | undefined;
  for (const g of gateways) {
    const pair = gatewaysNode && pairOf(gatewaysNode, g.name);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = g.comment.map((c) => ` ${c}`).join('\n');
    const routes = pair && isMap(pair.value) ? pairOf(pair.value, 'routes') : undefined;
    if (routes && isSeq(routes.value)) for (const r of routes.value.items) if (isMap(r)) for (const p of r.items) if (isPair(p) && (isMap(p.value) || isSeq(p.value))) (p.value as YAMLMap).flow = true;
  }
  const externalNode = doc.get('external', true) as YAMLMap | undefined;
  for (const x of draft.externals.values()) {
    const pair = externalNode && pairOf(externalNode, x.name);
    if (pair && isScalar(pair.key)) pair.key.commentBefore = ` ${sourceText(x.source)}; its behaviour (latency, errorRate) stands in for the third-party API: TODO`;
  }

  const meshNode = doc.get('mesh', true) as YAMLMap;
  if (draft.outboundTrafficPolicy) {
    const p = pairOf(meshNode, 'outboundTrafficPolicy');
    if (p && isScalar(p.value)) p.value.comment = ` ${sourceText(draft.outboundTrafficPolicy.source)}`;
  }
  if (draft.profile) {
    const p = pairOf(meshNode, 'profile');
    if (p && isScalar(p.value)) p.value.comment = ` inferred from ${draft.profile.why}: ${sourceText(draft.profile.source)}`;
  }
  for (const [name] of draft.destinations) {
    const pair = pairOf(meshNode, name);
    if (pair) annotate(pair, name, draft.sources);
  }
  const load = doc.get('load', true) as YAMLMap;
  const targetPair = pairOf(load, 'target');
  if (targetPair && isScalar(targetPair.value)) targetPair.value.comment = ingress ? ' the ingress gateway: where your users\' traffic enters' : ' TODO: the service your users call first';
  const ratePair = pairOf(load, 'rate');
  if (ratePair && isScalar(ratePair.value)) ratePair.value.comment = ' TODO: your traffic';
  const expect = doc.get('expect', true);
  if (isSeq(expect)) expect.commentBefore = ' TODO: what must hold, such as p99(client) < 300ms during a fault (see docs/scenario-language.md)';

  let text = doc.toString({ flowCollectionPadding: false, lineWidth: 0 });
  if (draft.warnings.length > 0 || draft.errors.length > 0) {
    const lines = [
      '',
      `# Not imported: ${draft.warnings.length} warning${draft.warnings.length === 1 ? '' : 's'}${draft.errors.length ? ` and ${draft.errors.length} error${draft.errors.length === 1 ? '' : 's'}` : ''}.`,
      ...draft.errors.map((e) => `#   error: ${e.file}:${e.line}:${e.col} ${e.path}: ${e.message}`),
      ...draft.warnings.map((w) => `#   ${w.file}:${w.line}:${w.col} ${w.path}: ${w.message}`),
    ];
    text += lines.join('\n') + '\n';
  }
  return text;
}

/** Comments every imported value with where it came from: leaves after the value, blocks after their key. */
function annotate(pair: Pair, path: string, sources: Record<string, ManifestSource>): void {
  const source = sources[path];
  const value = pair.value as Node | null;
  if (source && isScalar(pair.key)) {
    if (isScalar(value)) value.comment = ` ${sourceText(source)}`;
    else if (isSeq(value) && value.items.every(isScalar)) {
      value.flow = true;
      value.comment = ` ${sourceText(source)}`;
    } else if (isMap(value) && value.items.length === 0) pair.key.commentBefore = ` ${sourceText(source)}`;
    else pair.key.comment = ` ${sourceText(source)}`;
  }
  if (isMap(value)) for (const p of value.items) if (isPair(p) && isScalar(p.key)) annotate(p, `${path}.${String(p.key.value)}`, sources);
  if (isSeq(value)) {
    if (value.items.every(isScalar)) value.flow = true;
    for (const item of value.items) {
      if (isMap(item)) {
        item.flow = true;
        for (const p of item.items) if (isMap(p.value)) (p.value as YAMLMap).flow = true;
      }
    }
  }
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) as Pair | undefined;
}

interface SkeletonService {
  name: string;
  body: Record<string, unknown>;
  comment: string[];
}

/** The services section: from the manifests' topology, plus any destination the mesh names that no Deployment or Service declared. */
function skeletonServices(draft: ImportDraft): SkeletonService[] {
  const out: SkeletonService[] = [];
  // An external's name is no service of the mesh (a gateway's Deployment was taken by the import).
  const routed = [...draft.gateways.values()].flatMap((g) => g.routes.flatMap((r) => (typeof r.to === 'string' ? [r.to] : Object.keys(r.to as object))));
  const names = [...new Set([...draft.services.keys(), ...draft.destinations.keys(), ...draft.security.services.keys(), ...routed])].filter((n) => !draft.gateways.has(n) && !draft.externals.has(n));
  for (const name of names) {
    const s: ServiceDraft = draft.services.get(name) ?? { name, groups: [], source: draft.sources[name] };
    const needed = versionsNamed(draft.destinations.get(name));
    const comment: string[] = [];
    const groups: PodGroup[] = s.groups.filter((g) => g.replicas > 0);
    for (const g of s.groups) {
      comment.push(`${g.source.resource} (${g.source.file}:${g.source.line}): ${g.replicas} replica${g.replicas === 1 ? '' : 's'}${g.version ? `, version ${g.version}` : ''}${g.zone ? `, zone ${g.zone}` : ''}${g.image ? `, image ${g.image}` : ''}`);
    }
    if (s.groups.length === 0) comment.push(`no Deployment read for ${name}${s.source ? ` (named by ${sourceText(s.source)})` : ''}: one instance per version it needs`);
    const have = new Set(groups.map((g) => g.version ?? 'v1'));
    for (const v of needed) {
      if (have.has(v)) continue;
      groups.push({ replicas: 1, version: v, zone: null, image: null, source: s.source });
      if (s.groups.length > 0) comment.push(`no Deployment of ${name} has version ${v}, which a route names: one instance added so the scenario validates`);
    }
    if (groups.length === 0) groups.push({ replicas: 1, version: null, zone: null, image: null, source: s.source });
    const images = [...new Set(groups.map((g) => g.image).filter((i): i is string => i !== null))];
    if (images.length > 0) comment.push(`to run your own image${images.length > 1 ? 's' : ''} instead of the built-in service (Docker runtime): image: ${images[0]}`);
    const first = groups[0];
    const version = first.version ?? 'v1';
    const zone = first.zone;
    const body: Record<string, unknown> = { calls: [] };
    const replicas = groups.reduce((a, g) => a + g.replicas, 0);
    if (replicas !== 1) body.replicas = replicas;
    if (version !== 'v1') body.version = version;
    if (zone !== null) body.zone = zone;
    const instances: Record<string, Record<string, string>> = {};
    let i = 0;
    for (const g of groups) {
      for (let r = 0; r < g.replicas; r++, i++) {
        const o: Record<string, string> = {};
        if ((g.version ?? 'v1') !== version) o.version = g.version ?? 'v1';
        if (g.zone !== zone && g.zone !== null) o.zone = g.zone;
        if (Object.keys(o).length > 0) instances[`${name}-${i}`] = o;
      }
    }
    if (Object.keys(instances).length > 0) body.instances = instances;
    // Its PeerAuthentication and AuthorizationPolicies (istio-security.ts).
    Object.assign(body, draft.security.services.get(name) ?? {});
    out.push({ name, body, comment });
  }
  return out;
}

/** The gateways section: kind, replicas (its Deployment's), TLS and routes, each gateway commented with where it came from. */
function skeletonGateways(draft: ImportDraft, fallback: string): SkeletonService[] {
  return [...draft.gateways.values()].map((g) => {
    const body: Record<string, unknown> = { kind: g.kind };
    if ((g.replicas ?? 1) > 1) body.replicas = g.replicas;
    if (g.tls) body.tls = true;
    if (g.kind === 'ingress') body.routes = g.routes.length > 0 ? g.routes : [{ to: fallback }];
    const comment = [`${sourceText(g.source)}${g.replicas ? `; ${g.replicas} replica${g.replicas === 1 ? '' : 's'} from its Deployment` : ''}`];
    if (g.kind === 'ingress' && g.routes.length === 0) comment.push('TODO: no VirtualService bound to this gateway was read: write its routes');
    return { name: g.name, body, comment };
  });
}

function versionsNamed(d: Record<string, unknown> | undefined): string[] {
  if (!d) return [];
  const out = new Set<string>();
  const split = d.split as Record<string, unknown> | undefined;
  if (split && typeof split === 'object') for (const v of Object.keys(split)) out.add(v);
  const routes = d.routes as { version?: string }[] | undefined;
  if (Array.isArray(routes)) for (const r of routes) if (typeof r.version === 'string') out.add(r.version);
  return [...out];
}
