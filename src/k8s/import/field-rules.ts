import type { FieldPath, Manifest } from '../manifest.ts';
import type { ImportDraft } from './import-draft.ts';

/**
What meshproof does with one field of a resource. Every field of every resource it reads is either
mapped to a meshproof key, or warned about with the reason: nothing is dropped silently, and a field
this table does not know (a newer API's) is warned about too. The same tables generate the mapping
reference in docs/import-export.md.
*/
export type FieldRule =
  /** Read into these meshproof keys (said in the docs). */
  | { to: string; fields?: FieldTable; items?: FieldTable; note?: string }
  /**
  Not expressed. `later`: a later issue adds it (mTLS, gateways); `never`: meshproof has no such
  concept; `approx`: read, but meshproof's behaviour differs as `why` says.
  */
  | { warn: 'later' | 'never' | 'approx'; why: string; fields?: FieldTable; items?: FieldTable }
  /** No effect on traffic in meshproof (a name, a status): read, never warned. */
  | { none: string };

export type FieldTable = Record<string, FieldRule>;

export const to = (keys: string, sub?: { fields?: FieldTable; items?: FieldTable; note?: string }): FieldRule => ({ to: keys, ...sub });
export const later = (why: string): FieldRule => ({ warn: 'later', why });
export const never = (why: string): FieldRule => ({ warn: 'never', why });
export const approx = (why: string, sub?: { fields?: FieldTable; items?: FieldTable }): FieldRule => ({ warn: 'approx', why, ...sub });
export const none = (why: string): FieldRule => ({ none: why });

/** The words a warning starts with, by kind, so a reader can grep them. */
export const WARN_PREFIX = { later: 'not expressible yet', never: 'not expressible', approx: 'approximated' } as const;

/**
Walks an object against a table: warns about every field that is not mapped (with the table's
reason, or as unknown) and recurses into the mapped ones that have tables of their own. The
mapping itself is done by the importer's code; this only guarantees the coverage.
*/
export function checkFields(m: Manifest, path: FieldPath, value: unknown, table: FieldTable, draft: ImportDraft): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const rule = table[key];
    const at = [...path, key];
    if (!rule) {
      draft.warn(m, at, `${WARN_PREFIX.never}: unknown field "${key}" (meshproof reads ${Object.keys(table).join(', ')}); not applied`);
      continue;
    }
    if ('none' in rule) continue;
    if ('warn' in rule && !rule.fields && !rule.items) {
      draft.warn(m, at, `${WARN_PREFIX[rule.warn]}: ${rule.why}`);
      continue;
    }
    if ('warn' in rule) draft.warn(m, at, `${WARN_PREFIX[rule.warn]}: ${rule.why}`);
    if (rule.fields) checkFields(m, at, v, rule.fields, draft);
    if (rule.items && Array.isArray(v)) v.forEach((item, i) => checkFields(m, [...at, i], item, rule.items!, draft));
  }
}
