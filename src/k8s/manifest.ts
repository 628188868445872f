import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { ScenarioIssue } from '../errors.ts';
import type { ManifestSource } from '../scenario/scenario.ts';

/** A path into a resource: keys and list indices, `['spec', 'http', 0, 'timeout']`. */
export type FieldPath = readonly (string | number)[];

/**
One Kubernetes resource from a YAML file, with the position of every field, so that what is
imported from it, and every warning about it, names its file, line and column.
*/
export class Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | null;
  /** The resource as plain data. */
  readonly body: Record<string, unknown>;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
    this.body = (doc.toJS() ?? {}) as Record<string, unknown>;
    const metadata = (this.body.metadata ?? {}) as Record<string, unknown>;
    this.apiVersion = typeof this.body.apiVersion === 'string' ? this.body.apiVersion : '';
    this.kind = typeof this.body.kind === 'string' ? this.body.kind : '';
    this.name = typeof metadata.name === 'string' ? metadata.name : '';
    this.namespace = typeof metadata.namespace === 'string' ? metadata.namespace : null;
  }

  /** `DestinationRule reviews`, for messages. */
  get resource(): string {
    return `${this.kind} ${this.name || '(unnamed)'}`;
  }

  /** The API group: `networking.istio.io` of `networking.istio.io/v1`, '' for the core group. */
  get group(): string {
    const slash = this.apiVersion.indexOf('/');
    return slash < 0 ? '' : this.apiVersion.slice(0, slash);
  }

  get labels(): Record<string, string> {
    return stringMap(((this.body.metadata ?? {}) as Record<string, unknown>).labels);
  }

  get annotations(): Record<string, string> {
    return stringMap(((this.body.metadata ?? {}) as Record<string, unknown>).annotations);
  }

  /** The value at a path, or undefined. */
  get(path: FieldPath): unknown {
    let v: unknown = this.body;
    for (const k of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[k];
    }
    return v;
  }

  /**
  Where a field is: its value's position, or its key's with `key` (a warning about a whole block
  points at the line that names it). Falls back to the nearest ancestor written in the file.
  */
  source(path: FieldPath, key = false): ManifestSource {
    const offset = this.#offset(path, key);
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, col, resource: this.resource, field: fieldText(path) };
  }

  /** A warning or error at a field. */
  issue(path: FieldPath, message: string, key = true): ScenarioIssue {
    const s = this.source(path, key);
    return { file: s.file, line: s.line, col: s.col, path: `${s.resource} ${s.field}`, message };
  }

  #offset(path: FieldPath, key: boolean): number {
    for (let n = path.length; n >= 0; n--) {
      const at = this.#offsetOf(path.slice(0, n), key && n === path.length);
      if (at !== undefined) return at;
    }
    return 0;
  }

  #offsetOf(path: FieldPath, key: boolean): number | undefined {
    if (path.length === 0) return (this.#doc.contents as Node | null)?.range?.[0];
    const parent = path.length === 1 ? this.#doc.contents : this.#doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      if (!pair) return undefined;
      const node = (key ? pair.key : (pair.value ?? pair.key)) as Node | null;
      return node?.range?.[0];
    }
    if (isSeq(parent) && typeof last === 'number') return (parent.items[last] as Node | undefined)?.range?.[0];
    return undefined;
  }
}

/** `spec.http[0].timeout` for `['spec', 'http', 0, 'timeout']`. */
export function fieldText(path: FieldPath): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out;
}

/** What reading one file gave: its resources, and what could not be read (positioned). */
export interface ManifestFile {
  manifests: Manifest[];
  issues: ScenarioIssue[];
  warnings: ScenarioIssue[];
}

/**
Every resource of a multi-document YAML file (`---` between them). A `List` (kubectl's `kind: List`
with `items`) is not unpacked: it is warned about, as every kind meshproof does not read is.
Documents with a YAML syntax error are reported and skipped; the others are still read.
*/
export function parseManifests(text: string, file: string): ManifestFile {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const out: ManifestFile = { manifests: [], issues: [], warnings: [] };
  const at = (offset: number) => lines.linePos(offset);
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream: nothing but comments or whitespace.
    return out;
  }
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const { line, col } = at(e.pos[0]);
        out.issues.push({ file, line, col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` });
      }
      continue;
    }
    if (doc.contents === null) continue;
    if (!isMap(doc.contents)) {
      const { line, col } = at((doc.contents as Node).range?.[0] ?? 0);
      out.issues.push({ file, line, col, path: '', message: 'expected a Kubernetes resource (a mapping with apiVersion, kind and metadata)' });
      continue;
    }
    const m = new Manifest(file, doc, lines);
    if (!m.kind || !m.apiVersion) {
      out.issues.push(m.issue([], 'expected a Kubernetes resource: apiVersion and kind are missing'));
      continue;
    }
    out.manifests.push(m);
  }
  return out;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  }
  return out;
}
