import type { ScenarioIssue } from '../../errors.ts';
import type { ManifestSource, MeshProfile } from '../../scenario/scenario.ts';
import type { FieldPath, Manifest } from '../manifest.ts';

/** One group of pods of a service: a Deployment (or StatefulSet) with its version and zone. */
export interface PodGroup {
  replicas: number;
  version: string | null;
  zone: string | null;
  image: string | null;
  source: ManifestSource;
}

/** A service of the topology, as the manifests describe it. */
export interface ServiceDraft {
  name: string;
  groups: PodGroup[];
  /** Where the service is declared (its Service, or its first Deployment, or the first rule about it). */
  source: ManifestSource;
}

/** A gateway the manifests declare (an Istio Gateway), with the routes bound to it. */
export interface GatewayDraft {
  name: string;
  kind: 'ingress' | 'egress';
  /** Terminates TLS (a server with `tls.mode: SIMPLE`). */
  tls: boolean;
  /** Its pods (the Deployment its Gateway selects or its name names); null when none was read. */
  replicas?: number | null;
  /** Its rules in the order read, as a scenario writes them (`{ host, match, to }`). */
  routes: Record<string, unknown>[];
  source: ManifestSource;
}

/** A service outside the mesh the manifests register (an Istio ServiceEntry). */
export interface ExternalDraft {
  name: string;
  source: ManifestSource;
}

/**
What importing a set of manifests produced: meshproof `mesh` keys written as a scenario writes them,
with the manifest position of every value; the topology; and everything that could not be
expressed. Values are set once: a second resource setting the same key is warned about, and the
first one (in file order) stays, as Istio does for conflicting rules.
*/
export class ImportDraft {
  profile: { value: MeshProfile; source: ManifestSource; why: string } | null = null;
  readonly destinations = new Map<string, Record<string, unknown>>();
  /** By key path under mesh: `reviews.timeout`. */
  readonly sources: Record<string, ManifestSource> = {};
  readonly services = new Map<string, ServiceDraft>();
  /** Gateways by name, in the order declared. */
  readonly gateways = new Map<string, GatewayDraft>();
  /** Externals by name, in the order registered. */
  readonly externals = new Map<string, ExternalDraft>();
  /** Checks that need every resource read first (run once, at the end of an import). */
  readonly atEnd: (() => void)[] = [];
  /** `mesh.outboundTrafficPolicy`, when a resource sets it. */
  outboundTrafficPolicy: { value: 'ALLOW_ANY' | 'REGISTRY_ONLY'; source: ManifestSource } | null = null;
  readonly warnings: ScenarioIssue[] = [];
  readonly errors: ScenarioIssue[] = [];
  /**
  Security keys, which live outside `mesh`: `security.mtls`, `services.<name>.mtls` and
  `services.<name>.authorization` (a list of policies), as a scenario writes them, with the
  manifest position of each by its full path.
  */
  readonly security: { mesh: Record<string, unknown>; services: Map<string, Record<string, unknown>>; sources: Record<string, ManifestSource> } = {
    mesh: {},
    services: new Map(),
    sources: {},
  };
  /** Kinds seen but not read, with where each was first seen. */
  readonly unread = new Map<string, { count: number; first: Manifest }>();

  warn(m: Manifest, path: FieldPath, message: string): void {
    this.warnings.push(m.issue(path, message));
  }

  error(m: Manifest, path: FieldPath, message: string): void {
    this.errors.push(m.issue(path, message, false));
  }

  /** Declares that a destination has rules, so it exists in the mesh section even if every value is warned away. */
  destination(name: string, source: ManifestSource): Record<string, unknown> {
    let d = this.destinations.get(name);
    if (!d) {
      d = {};
      this.destinations.set(name, d);
      this.sources[name] ??= source;
    }
    return d;
  }

  /**
  Sets `mesh.<destination>.<key path>`. Returns false (after a warning at `source`) when another
  resource already set it to something else.
  */
  set(m: Manifest, destination: string, keys: string[], value: unknown, source: ManifestSource): boolean {
    const path = [destination, ...keys].join('.');
    const d = this.destination(destination, source);
    let node: Record<string, unknown> = d;
    for (const k of keys.slice(0, -1)) {
      const next = node[k];
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (isRecord(value) && isRecord(node[last])) {
      // A block some of whose keys another resource set (a DestinationRule's retry budget, then a
      // VirtualService's retries): merged key by key.
      this.sources[path] ??= source;
      let ok = true;
      for (const [k, v] of Object.entries(value)) ok = this.set(m, destination, [...keys, k], v, source) && ok;
      return ok;
    }
    const before = this.sources[path];
    if (last in node && before && (before.file !== source.file || before.line !== source.line)) {
      if (JSON.stringify(node[last]) !== JSON.stringify(value)) {
        this.warnings.push({
          file: source.file,
          line: source.line,
          col: source.col,
          path: `${source.resource} ${source.field}`,
          message: `not applied: ${before.resource} (${before.file}:${before.line}) already sets ${path} to ${JSON.stringify(node[last])}; the first resource read wins`,
        });
        return false;
      }
      return true;
    }
    node[last] = value;
    this.sources[path] = source;
    return true;
  }

  /** Sets `security.mtls` or `services.<name>.mtls` (the path as written); the first resource read wins, as for `set`. */
  setSecurity(m: Manifest, path: ['security', 'mtls'] | ['services', string, 'mtls'], value: string, source: ManifestSource): void {
    const key = path.join('.');
    const before = this.security.sources[key];
    const node = path[0] === 'security' ? this.security.mesh : this.serviceSecurity(path[1]);
    if (before) {
      if (node.mtls !== value) {
        this.warnings.push({ file: source.file, line: source.line, col: source.col, path: `${source.resource} ${source.field}`, message: `not applied: ${before.resource} (${before.file}:${before.line}) already sets ${key} to ${JSON.stringify(node.mtls)}; the first resource read wins` });
      }
      return;
    }
    node.mtls = value;
    this.security.sources[key] = source;
  }

  /** Adds an authorization policy to `services.<name>.authorization`, in the order read. */
  addPolicy(m: Manifest, service: string, policy: Record<string, unknown>, source: ManifestSource): void {
    const node = this.serviceSecurity(service);
    const list = ((node.authorization ??= []) as Record<string, unknown>[]);
    this.security.sources[`services.${service}.authorization[${list.length}]`] = source;
    this.security.sources[`services.${service}.authorization`] ??= source;
    list.push(policy);
  }

  private serviceSecurity(service: string): Record<string, unknown> {
    let s = this.security.services.get(service);
    if (!s) this.security.services.set(service, (s = {}));
    return s;
  }

  /** Whether `mesh.<destination>.<key path>` was set. */
  has(destination: string, keys: string[]): boolean {
    return [destination, ...keys].join('.') in this.sources;
  }

  setProfile(value: MeshProfile, source: ManifestSource, why: string): void {
    if (this.profile === null) {
      this.profile = { value, source, why };
      return;
    }
    if (this.profile.value !== value) {
      const p = this.profile;
      this.warnings.push({
        file: source.file,
        line: source.line,
        col: source.col,
        path: `${source.resource} ${source.field}`,
        message: `not applied: this is ${value} configuration, but ${p.source.file}:${p.source.line} (${p.why}) made the profile ${p.value} already; meshproof applies one mesh's defaults`,
      });
    }
  }

  service(name: string, source: ManifestSource): ServiceDraft {
    let s = this.services.get(name);
    if (!s) {
      s = { name, groups: [], source };
      this.services.set(name, s);
    }
    return s;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
