import { readDuration } from '../../scenario/duration.ts';
import { formatDuration, formatPercent } from '../../util/format.ts';
import type { FieldPath, Manifest } from '../manifest.ts';
import type { ImportDraft } from './import-draft.ts';

/**
Readers for the values manifests hold, each turning one field into the way a scenario writes it
(`"600ms"`, `"10%"`), or recording an error at the field and returning undefined.
*/
export class ValueReader {
  readonly #m: Manifest;
  readonly #draft: ImportDraft;

  constructor(m: Manifest, draft: ImportDraft) {
    this.#m = m;
    this.#draft = draft;
  }

  /** A Go/protobuf duration (`"1.5s"`, `"100ms"`, `"1m30s"`) as meshproof writes it; `zero` is what "0s" means. */
  duration(path: FieldPath, zero: 'zero' | 'none' = 'zero'): string | undefined {
    const v = this.#m.get(path);
    if (v === undefined || v === null) return undefined;
    // Go also takes nanoseconds, which meshproof does not write: 1500ns is 1.5us.
    const r = readDuration(typeof v === 'string' && /^\d+ns$/.test(v) ? `${Number(v.slice(0, -2)) / 1000}us` : v);
    if (!r.ok) {
      this.#draft.error(this.#m, path, r.message);
      return undefined;
    }
    if (r.value === 0) return zero === 'none' ? 'none' : '0ms';
    return formatDuration(r.value);
  }

  /** A whole number ≥ min. */
  integer(path: FieldPath, min = 0): number | undefined {
    const v = this.#m.get(path);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
      this.#draft.error(this.#m, path, `found ${JSON.stringify(v)}; expected a whole number >= ${min}`);
      return undefined;
    }
    return n;
  }

  /** A number of percent (Istio's `maxEjectionPercent: 50`, `percentage.value: 0.1`) as `"50%"`. */
  percent(path: FieldPath, max = 100): string | undefined {
    const v = this.#m.get(path);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > max) {
      this.#draft.error(this.#m, path, `found ${JSON.stringify(v)}; expected a percentage from 0 to ${max}`);
      return undefined;
    }
    // Every decimal the manifest wrote, so the scenario reads back the same share.
    return formatPercent(n / 100, 10);
  }

  boolean(path: FieldPath): boolean | undefined {
    const v = this.#m.get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.#draft.error(this.#m, path, `found ${JSON.stringify(v)}; expected true or false`);
      return undefined;
    }
    return v;
  }

  string(path: FieldPath): string | undefined {
    const v = this.#m.get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.#draft.error(this.#m, path, `found ${JSON.stringify(v)}; expected a string`);
      return undefined;
    }
    return v;
  }
}

const NAME = /^[a-z][a-z0-9-]*$/;

/**
A Kubernetes name or label value as a meshproof service or version name (lowercase letters, digits
and -, starting with a letter): `1.2` → `v1-2`, `V2` → `v2`. Null when nothing usable is left.
*/
export function meshName(raw: string): string | null {
  if (NAME.test(raw)) return raw;
  let s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (s === '') return null;
  if (!/^[a-z]/.test(s)) s = `v${s}`;
  return NAME.test(s) ? s : null;
}

/**
The service a mesh host names: `reviews`, `reviews.prod`, `reviews.prod.svc` and
`reviews.prod.svc.cluster.local` are all `reviews` (meshproof has one namespace). Anything else (an
external name, a wildcard) is not a service of the mesh: null.
*/
export function hostService(host: string): string | null {
  if (host.includes('*')) return null;
  const labels = host.split('.');
  const inCluster = labels.length <= 2 || labels[2] === 'svc';
  return inCluster ? meshName(labels[0]) : null;
}
