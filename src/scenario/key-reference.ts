import { stringify } from 'yaml';
import { formatLimit, LIMITS } from './limits.ts';
import { METRICS } from './metrics.ts';
import type { Unit } from './scenario.ts';
import { SCENARIO_SHAPE, type FieldSpec, type JsonValue, type ObjectShape, type Shape } from './shape.ts';

/**
The generated tables of docs/scenario-language.md (every key; every metric), made from shape.ts and
metrics.ts like the JSON Schema, so the reference cannot drift from what the checker accepts.
`npm run schema` rewrites them between their markers; a test fails when the committed document is stale.
*/
const BLOCKS = {
  limits: { generate: scenarioLimitReference, source: 'src/scenario/limits.ts' },
  keys: { generate: scenarioKeyReference, source: 'src/scenario/shape.ts' },
  metrics: { generate: scenarioMetricReference, source: 'src/scenario/metrics.ts' },
};

export function blockStart(name: keyof typeof BLOCKS): string {
  return `<!-- ${name}:start (generated from ${BLOCKS[name].source} by npm run schema; do not edit) -->`;
}

export function blockEnd(name: keyof typeof BLOCKS): string {
  return `<!-- ${name}:end -->`;
}

/** Every key of the language: path, type, default, meaning. */
export function scenarioKeyReference(): string {
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  walkObject(SCENARIO_SHAPE, '', rows);
  return rows.join('\n');
}

/** Every limit: what it bounds, its maximum, and why. */
export function scenarioLimitReference(): string {
  const rows = ['| what | at most | why |', '|---|---|---|'];
  for (const limit of Object.values(LIMITS)) rows.push(`| ${escape(limit.what)} | ${formatLimit(limit).replace(/(\d)(?=(\d{3})+(?!\d))/g, '$1 ')} | ${escape(limit.why)} |`);
  return rows.join('\n');
}

/** Every metric an expectation may name, with its value's form and the scopes it takes. */
export function scenarioMetricReference(): string {
  const rows = ['| metric | value | scopes | meaning |', '|---|---|---|---|'];
  for (const m of METRICS) {
    const all = ['client', 'service', 'instance', 'edge', 'version'];
    const scopes = m.edgeOnly ? 'edge only' : m.versionOnly ? 'version only (`service version`)' : all.filter((k) => !m.notOn?.[k as keyof typeof m.notOn]).join(', ');
    rows.push(`| \`${m.name}\` | ${UNIT_FORM[m.unit]} | ${scopes} | ${escape(m.doc)} |`);
  }
  return rows.join('\n');
}

const UNIT_FORM: Record<Unit, string> = {
  ratio: 'percentage (`99.5%`)',
  ms: 'duration (`250ms`, `1s`)',
  rps: 'rate (`200/s`, or a bare number)',
  count: 'whole number (`0`)',
};

/** Replaces each generated block of a Markdown document (between its markers) with the current text. */
export function withGeneratedReference(markdown: string): string {
  let out = markdown;
  for (const name of Object.keys(BLOCKS) as Array<keyof typeof BLOCKS>) {
    const start = out.indexOf(blockStart(name));
    const end = out.indexOf(blockEnd(name));
    if (start < 0 || end < start) throw new Error(`the document has no ${blockStart(name)} … ${blockEnd(name)} block`);
    out = `${out.slice(0, start)}${blockStart(name)}\n${BLOCKS[name].generate()}\n${out.slice(end)}`;
  }
  return out;
}

function walkObject(shape: ObjectShape, prefix: string, rows: string[]): void {
  walkFields(shape.fields, prefix, rows);
}

function walkFields(fields: Record<string, FieldSpec>, prefix: string, rows: string[]): void {
  for (const [key, field] of Object.entries(fields)) {
    const path = prefix ? `${prefix}.${key}` : key;
    rows.push(`| \`${path}\` | ${typeLabel(field.shape)} | ${defaultLabel(field)} | ${escape(field.doc)} |`);
    // A mapping's own settings (mesh.profile) come before its entries.
    if (field.shape.kind === 'map' && field.shape.fields) walkFields(field.shape.fields, path, rows);
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
      return `mapping by ${shape.keyNoun}${shape.limit ? `, at most ${shape.limit.max}` : ''}`;
    case 'list': {
      const most = shape.limit ? `, at most ${shape.limit.max}` : '';
      return `list of ${typeLabel(shape.items)}${shape.commaString ? ' (or "a,b")' : ''}${most}`;
    }
    case 'union':
      return shape.options
        .filter((o) => o.kind !== 'null')
        .map(typeLabel)
        .join(' \\| ');
    case 'string':
      if (shape.values) return shape.values.map((v) => `\`${v}\``).join(' \\| ');
      return `${shape.noun ? shape.noun.replace(/^an? /, '') : 'string'}${shape.limit ? ` (≤ ${shape.limit.max} characters)` : ''}`;
    case 'integer': {
      const unit = shape.unit ? ` (${shape.unit.split(',')[0]})` : '';
      const max = shape.max ?? (shape.limit && shape.limit !== LIMITS.seed ? shape.limit.max : undefined);
      if (shape.min !== undefined && max !== undefined) return `integer ${shape.min}–${max}${unit}`;
      if (shape.min !== undefined) return `integer ≥ ${shape.min}${unit}`;
      return `integer${unit}`;
    }
    case 'number':
      return shape.min !== undefined ? `number ≥ ${shape.min}` : 'number';
    case 'boolean':
      return '`true` \\| `false`';
    case 'duration':
      return 'duration';
    case 'percent':
      return 'percentage';
    case 'rate':
      return 'rate';
    case 'size':
      return 'size';
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
