import { stringify } from 'yaml';
import { SCENARIO_SHAPE, type FieldSpec, type JsonValue, type ObjectShape, type Shape } from './shape.ts';

/**
The "every key" table of docs/scenario-language.md, generated from shape.ts like the JSON Schema,
so the reference cannot drift from what the checker accepts. `npm run schema` rewrites it between
the markers below; a test fails when the committed document is stale.
*/
export const REFERENCE_START = '<!-- keys:start (generated from src/scenario/shape.ts by npm run schema; do not edit) -->';
export const REFERENCE_END = '<!-- keys:end -->';

export function scenarioKeyReference(): string {
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  walkObject(SCENARIO_SHAPE, '', rows);
  return rows.join('\n');
}

/** Replaces the generated block of a Markdown document (between the markers) with the current table. */
export function withKeyReference(markdown: string): string {
  const start = markdown.indexOf(REFERENCE_START);
  const end = markdown.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`the document has no ${REFERENCE_START} … ${REFERENCE_END} block`);
  return `${markdown.slice(0, start)}${REFERENCE_START}\n${scenarioKeyReference()}\n${markdown.slice(end)}`;
}

function walkObject(shape: ObjectShape, prefix: string, rows: string[]): void {
  for (const [key, field] of Object.entries(shape.fields)) {
    const path = prefix ? `${prefix}.${key}` : key;
    rows.push(`| \`${path}\` | ${typeLabel(field.shape)} | ${defaultLabel(field)} | ${escape(field.doc)} |`);
    for (const child of nested(field.shape)) {
      if (child.shape.kind === 'object') walkObject(child.shape, `${path}${child.suffix}`, rows);
    }
  }
}

/** Object shapes below a field, with how their keys extend its path (`.<service>`, `[]`). */
function nested(shape: Shape): Array<{ shape: Shape; suffix: string }> {
  switch (shape.kind) {
    case 'object':
      return [{ shape, suffix: '' }];
    case 'map':
      return nested(shape.values).map((n) => ({ shape: n.shape, suffix: `.<${shape.keyNoun.replace(/ /g, '-')}>${n.suffix}` }));
    case 'list':
      return nested(shape.items).map((n) => ({ shape: n.shape, suffix: `[]${n.suffix}` }));
    case 'union':
      return shape.options.flatMap(nested);
    default:
      return [];
  }
}

function typeLabel(shape: Shape): string {
  switch (shape.kind) {
    case 'object':
      return 'mapping';
    case 'map':
      return `mapping by ${shape.keyNoun}`;
    case 'list':
      return `list of ${typeLabel(shape.items)}${shape.commaString ? ' (or "a,b")' : ''}`;
    case 'union':
      return shape.options
        .filter((o) => o.kind !== 'null')
        .map(typeLabel)
        .join(' \\| ');
    case 'string':
      if (shape.values) return shape.values.map((v) => `\`${v}\``).join(' \\| ');
      return shape.noun ? shape.noun.replace(/^an? /, '') : 'string';
    case 'integer':
      if (shape.min !== undefined && shape.max !== undefined) return `integer ${shape.min}–${shape.max}`;
      if (shape.min !== undefined) return `integer ≥ ${shape.min}`;
      return 'integer';
    case 'duration':
      return 'duration';
    case 'percent':
      return 'percentage';
    case 'rate':
      return 'rate';
    case 'literal':
      return `\`${shape.word}\``;
    case 'null':
      return 'null';
    case 'version':
      return `\`${shape.value}\``;
    case 'expectation':
      return 'expectation sentence';
  }
}

function defaultLabel(field: FieldSpec): string {
  if (field.required) return 'required';
  if (field.default !== undefined) return `\`${inlineYaml(field.default)}\``;
  if (field.defaultNote) return escape(field.defaultNote);
  return '—';
}

function inlineYaml(value: JsonValue): string {
  if (value === null) return 'null';
  return stringify(value, { collectionStyle: 'flow' }).trim();
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|');
}
