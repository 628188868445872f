import type { Manifest } from '../manifest.ts';
import type { ImportDraft } from './import-draft.ts';
import { meshName } from './values.ts';

/** The label Kubernetes (and meshproof's export) puts a pod's zone under. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

interface KubeService {
  name: string;
  selector: Record<string, string>;
  m: Manifest;
}

/**
How Kubernetes names map to meshproof's topology: Services and the Deployments (or StatefulSets)
their selectors pick become meshproof services with replicas, versions (the `version` label) and
zones (a `topology.kubernetes.io/zone` node selector). A Service whose selector is another's plus a
`version` (`reviews-v2`: app reviews, version v2) is that version of the other, so routes and
HTTPRoute backends naming it name a version.
*/
export class Topology {
  readonly #services: KubeService[] = [];
  readonly #workloads: Manifest[] = [];

  add(m: Manifest): void {
    if (m.kind === 'Service') {
      const selector = stringRecord(m.get(['spec', 'selector']));
      this.#services.push({ name: m.name, selector, m });
    } else {
      this.#workloads.push(m);
    }
  }

  /** The Kubernetes Service of this name, if read. */
  kubeService(name: string): Manifest | undefined {
    return this.#services.find((s) => s.name === name)?.m;
  }

  /**
  What a backend name means: the meshproof service it is, and the version when it is a per-version
  Service. A name read nowhere is taken as a service of its own name.
  */
  resolve(name: string): { service: string; version: string | null } {
    const s = this.#services.find((x) => x.name === name);
    if (s && s.selector.version !== undefined) {
      const base = withoutVersion(s.selector);
      const owner = this.#services.find((x) => x !== s && x.selector.version === undefined && sameLabels(x.selector, base));
      const service = owner?.name ?? (base.app !== undefined ? base.app : undefined);
      const version = meshName(s.selector.version);
      if (service !== undefined && version !== null) return { service: meshName(service) ?? service, version };
    }
    return { service: meshName(name) ?? name, version: null };
  }

  /** Fills the draft's services: one per Service that is not a version of another, with the workloads it selects; then workloads no Service selects. */
  build(draft: ImportDraft): void {
    const owners = this.#services.filter((s) => s.selector.version === undefined || this.resolve(s.name).version === null);
    const claimed = new Set<Manifest>();
    for (const s of owners) {
      const name = meshName(s.name);
      if (!name) {
        draft.warn(s.m, ['metadata', 'name'], `not expressible: ${s.name} cannot be a meshproof service name (lowercase letters, digits and -, starting with a letter)`);
        continue;
      }
      const service = draft.service(name, s.m.source(['metadata', 'name']));
      if (Object.keys(s.selector).length === 0) continue;
      for (const w of this.#workloads) {
        if (claimed.has(w) || !selects(s.selector, podLabels(w))) continue;
        claimed.add(w);
        service.groups.push(group(w));
      }
    }
    for (const w of this.#workloads) {
      if (claimed.has(w)) continue;
      const labels = podLabels(w);
      const raw = labels.app ?? labels['app.kubernetes.io/name'] ?? w.name;
      const name = meshName(raw);
      if (!name) continue;
      draft.service(name, w.source(['metadata', 'name'])).groups.push(group(w));
    }
    for (const w of this.#workloads) {
      const annotations = stringRecord(w.get(['spec', 'template', 'metadata', 'annotations']));
      const labels = podLabels(w);
      if (annotations['linkerd.io/inject'] === 'enabled') draft.setProfile('linkerd', w.source(['spec', 'template', 'metadata', 'annotations', 'linkerd.io/inject']), 'pods injected with Linkerd\'s proxy');
      if (labels['sidecar.istio.io/inject'] === 'true') draft.setProfile('istio', w.source(['spec', 'template', 'metadata', 'labels', 'sidecar.istio.io/inject']), 'pods injected with Istio\'s sidecar');
    }
  }
}

function group(w: Manifest): { replicas: number; version: string | null; zone: string | null; image: string | null; source: ReturnType<Manifest['source']> } {
  const replicas = w.get(['spec', 'replicas']);
  const labels = podLabels(w);
  const nodeSelector = stringRecord(w.get(['spec', 'template', 'spec', 'nodeSelector']));
  const containers = w.get(['spec', 'template', 'spec', 'containers']);
  const image = Array.isArray(containers) && typeof containers[0]?.image === 'string' ? (containers[0].image as string) : null;
  return {
    replicas: typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 ? replicas : 1,
    version: labels.version !== undefined ? meshName(labels.version) : null,
    zone: nodeSelector[ZONE_LABEL] !== undefined ? meshName(nodeSelector[ZONE_LABEL]) : null,
    image,
    source: w.source(w.get(['spec', 'replicas']) !== undefined ? ['spec', 'replicas'] : ['metadata', 'name']),
  };
}

function podLabels(w: Manifest): Record<string, string> {
  return stringRecord(w.get(['spec', 'template', 'metadata', 'labels']));
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function withoutVersion(selector: Record<string, string>): Record<string, string> {
  const { version: _, ...rest } = selector;
  return rest;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

export function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}
