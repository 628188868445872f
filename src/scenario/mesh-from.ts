import { isMap, isScalar, isSeq, type Document, type Pair, type YAMLMap } from 'yaml';
import type { ScenarioIssue } from '../errors.ts';
import type { ManifestSource, MeshImport } from './scenario.ts';
import { childPath, type SourceFile } from './source-file.ts';

/**
What a reader of Kubernetes manifests gives the scenario parser for `mesh.from`: the policies in
meshproof's own keys, written as a scenario writes them (`{ profile: 'istio', reviews: { timeout:
'600ms' } }`), with the manifest position of every value. The parser merges them under the
scenario's `mesh` before checking it, so imported values are checked, defaulted and explained
exactly like written ones, and every issue about one points at the manifest.
*/
export interface MeshFromResult {
  /** The manifest files the patterns matched, in the order read. */
  files: string[];
  /** `mesh` keys as a scenario writes them: `profile` and destinations. */
  mesh: Record<string, unknown>;
  /** Where each value came from, by its key path under `mesh` (`reviews`, `reviews.timeout`, `profile`). */
  sources: Record<string, ManifestSource>;
  /** Problems that stop the run: a manifest that cannot be read (positioned in it), or a pattern that matches nothing (`pattern` is its index). */
  issues: Array<ScenarioIssue | { pattern: number; message: string }>;
  /** What the manifests say that meshproof cannot express or does not apply. */
  warnings: ScenarioIssue[];
  /**
  Security keys, which live outside `mesh` (PeerAuthentication, AuthorizationPolicy):
  `services.<name>.mtls` and `.authorization`, and `security.mtls`, as a scenario writes them, with
  the manifest position of each by its full path (`services.payments.mtls`). Absent: none.
  */
  security?: { services: Record<string, Record<string, unknown>>; mesh: Record<string, unknown>; sources: Record<string, ManifestSource> };
  /**
  The gateways and externals the manifests declare (an Istio Gateway, a ServiceEntry). The scenario's
  own `gateways` and `external` are what runs: one the manifests declare and the scenario does not is
  a warning at the manifest. Absent = none.
  */
  edges?: { gateways: { name: string; source: ManifestSource }[]; externals: { name: string; source: ManifestSource }[] };
}

/**
Reads the manifests `mesh.from` names. `patterns` are files, folders or globs relative to the
scenario file. Synchronous, so parsing stays one call; injected by the caller (the CLI passes
meshproof's Kubernetes importer), so the scenario parser does not depend on it.
*/
export type MeshFromReader = (patterns: string[], scenarioFile: string) => MeshFromResult;

/**
Keys whose value is taken whole, never merged key by key: a split's weights must add up together,
routes are ordered, and lists are one value.
*/
const WHOLE = new Set(['split', 'routes']);

/** The result of applying `mesh.from` to a document. */
export interface MeshFromApplied {
  issues: ScenarioIssue[];
  warnings: ScenarioIssue[];
  /** Set once the manifests were read; completed with the surviving sources. */
  record: MeshImport | null;
  /** Imported values in effect, by full path (`mesh.reviews.timeout`), for positioning issues about them. */
  imported: Map<string, ManifestSource>;
}

/**
Applies `mesh.from` to a parsed scenario document, in place, before the shape check. Precedence:
what the scenario writes wins, key by key. A mapping written in both (`retries`, `outlierDetection`,
a destination) is merged, the scenario's keys replacing the imported ones; a value that is not a
mapping (a duration, a list, `none`), and `split` and `routes`, is taken whole from the scenario.
Each value the scenario overrides is a warning, since what runs is then not what is deployed.
`mesh.profile` follows the same rule. Destinations that are not services of the scenario are
warnings at the manifest, not errors: a repository's folder of manifests usually covers more
services than one scenario does.
*/
export function applyMeshFrom(doc: Document, source: SourceFile, reader: MeshFromReader | undefined): MeshFromApplied {
  const applied: MeshFromApplied = { issues: [], warnings: [], record: null, imported: new Map() };
  const mesh = doc.get('mesh', true);
  if (!isMap(mesh)) return applied;
  const fromPair = pairOf(mesh, 'from');
  if (!fromPair) return applied;
  const fromNode = fromPair.value;
  const items = isSeq(fromNode) ? fromNode.items : [fromNode];
  const patterns: string[] = [];
  const offsets: number[] = [];
  for (const item of items) {
    // Anything else is reported by the shape check, which knows what mesh.from accepts.
    if (!isScalar(item) || typeof item.value !== 'string') return applied;
    patterns.push(item.value);
    offsets.push(item.range?.[0] ?? 0);
  }
  if (patterns.length === 0) return applied;
  const fromOffset = fromPair.value && (fromPair.value as { range?: number[] }).range ? (fromPair.value as { range: number[] }).range[0] : 0;
  if (!reader) {
    applied.issues.push(source.issue(fromOffset, 'mesh.from', 'mesh.from cannot be read here: this caller of the scenario parser gave no manifest reader (meshproof run, validate and explain do)'));
    return applied;
  }
  const result = reader(patterns, source.file);
  for (const issue of result.issues) {
    if ('pattern' in issue) applied.issues.push(source.issue(offsets[issue.pattern] ?? fromOffset, `mesh.from[${issue.pattern}]`, issue.message));
    else applied.issues.push(issue);
  }
  applied.warnings.push(...result.warnings);
  const kept: Record<string, ManifestSource> = {};
  const services = doc.get('services', true);
  const namesOf = (key: string): string[] => {
    const node = doc.get(key, true);
    return isMap(node) ? node.items.map((p) => keyOf(p)) : [];
  };
  // A destination may be a gateway (the load balancer's policy toward it) or an external.
  const serviceNames = isMap(services) ? [...services.items.map((p) => keyOf(p)), ...namesOf('gateways'), ...namesOf('external')] : null;
  for (const [what, key, list] of [
    ['gateway', 'gateways', result.edges?.gateways ?? []],
    ['external service', 'external', result.edges?.externals ?? []],
  ] as const) {
    const declared = namesOf(key);
    for (const e of list) {
      if (declared.includes(e.name)) continue;
      applied.warnings.push(manifestIssue(e.source, `${e.source.resource} declares the ${what} ${e.name}, which this scenario does not (${key}: ${declared.length > 0 ? declared.join(', ') : 'none'}); under mesh.from a scenario's ${key} are its own: declare it under ${key} (meshproof import writes it); not applied`));
    }
  }
  const mergeInto = (target: YAMLMap, value: Record<string, unknown>, path: string): void => {
    for (const [key, v] of Object.entries(value)) {
      const keyPath = path === '' ? key : `${path}.${key}`;
      const at = sourceAtOrBelow(result.sources, keyPath);
      const own = pairOf(target, key);
      if (!own) {
        target.add(doc.createPair(key, v));
        for (const [p, s] of Object.entries(result.sources)) if (p === keyPath || p.startsWith(`${keyPath}.`)) kept[p] = s;
        continue;
      }
      if (isMap(own.value) && isPlainObject(v) && !WHOLE.has(key)) {
        mergeInto(own.value, v, keyPath);
        continue;
      }
      if (at) {
        const offset = (own.key as { range?: number[] } | null)?.range?.[0] ?? fromOffset;
        applied.warnings.push(
          source.issue(offset, childPath('mesh', keyPath), `written here, so it overrides what ${at.resource} says at ${at.file}:${at.line}:${at.col} (${at.field}); the run does not test that value`),
        );
      }
    }
  };
  for (const [key, v] of Object.entries(result.mesh)) {
    const at = sourceAtOrBelow(result.sources, key);
    if (key !== 'profile' && key !== 'outboundTrafficPolicy' && serviceNames !== null && !serviceNames.includes(key)) {
      if (at) applied.warnings.push(manifestIssue(at, `${at.resource} is about ${key}, which is not a service of this scenario (services: ${serviceNames.join(', ')}); not applied`));
      continue;
    }
    mergeInto(mesh, { [key]: v }, '');
  }
  for (const [p, s] of Object.entries(kept)) applied.imported.set(childPath('mesh', p), s);
  if (result.security) applySecurity(doc, result.security, serviceNames, source, fromOffset, applied, kept);
  applied.record = { from: patterns, files: result.files, sources: kept, warnings: [...applied.warnings] };
  return applied;
}

/**
Security from the manifests, under the scenario's own keys with the same precedence: a service's
`mtls` or `authorization` written in the scenario wins (warned), and so does `security.mtls`.
Policies for services the scenario does not have are warned at the manifest.
*/
function applySecurity(
  doc: Document,
  security: NonNullable<MeshFromResult['security']>,
  serviceNames: string[] | null,
  source: SourceFile,
  fromOffset: number,
  applied: MeshFromApplied,
  kept: Record<string, ManifestSource>,
): void {
  const put = (target: YAMLMap, key: string, value: unknown, path: string): void => {
    const at = security.sources[path];
    const own = pairOf(target, key);
    if (own) {
      const offset = (own.key as { range?: number[] } | null)?.range?.[0] ?? fromOffset;
      if (at) applied.warnings.push(source.issue(offset, path, `written here, so it overrides what ${at.resource} says at ${at.file}:${at.line}:${at.col} (${at.field}); the run does not test that value`));
      return;
    }
    target.add(doc.createPair(key, value));
    for (const [p, s] of Object.entries(security.sources)) {
      if (p !== path && !p.startsWith(`${path}.`) && !p.startsWith(`${path}[`)) continue;
      kept[p] = s;
      applied.imported.set(p, s);
    }
  };
  if (Object.keys(security.mesh).length > 0) {
    let sec = doc.get('security', true);
    if (!isMap(sec)) {
      doc.set('security', doc.createNode({}));
      sec = doc.get('security', true);
    }
    if (isMap(sec)) for (const [k, v] of Object.entries(security.mesh)) put(sec, k, v, `security.${k}`);
  }
  const services = doc.get('services', true);
  for (const [name, values] of Object.entries(security.services)) {
    const at = security.sources[`services.${name}.mtls`] ?? security.sources[`services.${name}.authorization`];
    const svc = isMap(services) ? services.get(name, true) : undefined;
    if (serviceNames !== null && !serviceNames.includes(name)) {
      if (at) applied.warnings.push(manifestIssue(at, `${at.resource} is about ${name}, which is not a service of this scenario (services: ${serviceNames.join(', ')}); not applied`));
      continue;
    }
    let target = svc;
    if (!isMap(target) && isMap(services)) {
      // `payments:` with nothing after it, or `payments: {}`.
      services.set(name, doc.createNode({}));
      target = services.get(name, true);
    }
    if (!isMap(target)) continue;
    for (const [k, v] of Object.entries(values)) put(target, k, v, `services.${name}.${k}`);
  }
}

/** An issue positioned in a manifest, its path naming the resource and field. */
export function manifestIssue(at: ManifestSource, message: string): ScenarioIssue {
  return { file: at.file, line: at.line, col: at.col, path: `${at.resource} ${at.field}`, message };
}

/**
An issue about an imported value moves to the manifest that holds it, so the message points at the
line to fix: the deepest imported path at or above the issue's path decides.
*/
export function relocateIssue(issue: ScenarioIssue, imported: Map<string, ManifestSource>): ScenarioIssue {
  if (imported.size === 0) return issue;
  for (let p = issue.path; p.startsWith('mesh.') || p.startsWith('services.') || p.startsWith('security.'); p = p.slice(0, Math.max(p.lastIndexOf('.'), p.lastIndexOf('['), 0))) {
    const at = imported.get(p);
    if (at) return { file: at.file, line: at.line, col: at.col, path: issue.path, message: `${issue.message} (imported from ${at.resource} ${at.field})` };
  }
  return issue;
}

/** The source of a value, or of the first value inside it (a destination's first key). */
function sourceAtOrBelow(sources: Record<string, ManifestSource>, path: string): ManifestSource | undefined {
  if (sources[path]) return sources[path];
  const inside = Object.keys(sources).find((p) => p.startsWith(`${path}.`));
  return inside === undefined ? undefined : sources[inside];
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => keyOf(p) === key) as Pair | undefined;
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
