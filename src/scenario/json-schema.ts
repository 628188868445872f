import { LIMITS } from './limits.ts';
import { EXPECTATION_PATTERN, SCENARIO_SHAPE, type FieldSpec, type JsonValue, type ObjectShape, type Shape } from './shape.ts';

type Schema = { [key: string]: JsonValue };

const NUMBER = '(\\d+(\\.\\d+)?|\\.\\d+)';

/** Compose's extension keys: allowed anywhere the language names the keys, and ignored. */
const EXTENSIONS: Schema = { '^x-': true };

/** Reused value types, referenced as `#/$defs/<name>`. The patterns accept what duration.ts, percent.ts and rate.ts read. */
const DEFS: Record<string, Schema> = {
  duration: {
    description: 'A duration with a unit: 150ms, 2s, 1.5s, 1m, 1m30s, 500us.',
    type: 'string',
    pattern: `^(${NUMBER}(µs|us|ms|s|m|h))+$`,
  },
  percent: {
    description: 'A percentage: 99.5%, or a bare number n meaning n%.',
    anyOf: [
      { type: 'string', pattern: `^${NUMBER}\\s*%$` },
      { type: 'number', minimum: 0, maximum: 100 },
    ],
  },
  size: {
    description: 'A number of bytes: 64KiB, 1MB, 512B, or a bare number of bytes.',
    anyOf: [
      { type: 'string', pattern: `^${NUMBER}\\s*(B|KB|KiB|MB|MiB)?$` },
      { type: 'integer', minimum: 0 },
    ],
  },
  rate: {
    description: 'Requests per second: 200/s, 200rps, 12000/m, 3600/h, or a bare number per second.',
    anyOf: [
      { type: 'string', pattern: `^${NUMBER}\\s*(/s|rps|/m|/h)?$` },
      { type: 'number', minimum: 0 },
    ],
  },
};

/**
The JSON Schema (draft 2020-12) of the scenario language, generated from shape.ts, the same
description the checker walks, so the two cannot disagree. Editors use it through
schema/scenario.schema.json (`npm run schema` rewrites that file; a test keeps it current).
*/
export function scenarioJsonSchema(): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'meshproof scenario',
    description:
      'A meshproof scenario (language version 1): services and their sidecars, mesh policies, load, faults, and expectations. Reference: docs/scenario-language.md.',
    ...shapeSchema(SCENARIO_SHAPE),
    $defs: DEFS,
  };
}

function shapeSchema(shape: Shape): Schema {
  switch (shape.kind) {
    case 'object':
      return objectSchema(shape);
    case 'map': {
      const names: Schema = { pattern: shape.keyPattern, maxLength: (shape.keyLimit ?? LIMITS.name).max };
      if (shape.reserved) names.not = { enum: Object.keys(shape.reserved) };
      const s: Schema = { type: shape.nullAsEmpty ? ['object', 'null'] : 'object' };
      // Settings of the mapping itself (mesh.profile) are properties; every other key is an entry.
      if (shape.fields) s.properties = Object.fromEntries(Object.entries(shape.fields).map(([k, f]) => [k, fieldSchema(f)]));
      if (shape.dataKeys) s.propertyNames = names;
      else {
        s.patternProperties = EXTENSIONS;
        s.propertyNames = { anyOf: [names, { pattern: '^x-' }] };
      }
      s.additionalProperties = shapeSchema(shape.values);
      if (shape.minEntries !== undefined) s.minProperties = shape.minEntries;
      s.maxProperties = (shape.limit ?? LIMITS.mapEntries).max;
      return s;
    }
    case 'list': {
      const s: Schema = { type: shape.nullAsEmpty ? ['array', 'null'] : 'array', items: shapeSchema(shape.items) };
      if (shape.minItems !== undefined) s.minItems = shape.minItems;
      s.maxItems = Math.min(shape.maxItems ?? Infinity, (shape.limit ?? LIMITS.listItems).max);
      if (!shape.commaString) return s;
      const item = shape.items.kind === 'string' && shape.items.values ? `(${shape.items.values.join('|')})` : '[^,]+';
      return { anyOf: [s, { type: 'string', pattern: `^\\s*${item}\\s*(,\\s*${item}\\s*)*$` }] };
    }
    case 'union':
      return { anyOf: shape.options.map(shapeSchema) };
    case 'string': {
      const s: Schema = { type: 'string' };
      if (shape.values) s.enum = [...shape.values];
      else s.maxLength = (shape.limit ?? LIMITS.text).max;
      if (shape.pattern) s.pattern = shape.pattern;
      return s;
    }
    case 'integer': {
      const s: Schema = { type: 'integer' };
      if (shape.min !== undefined) s.minimum = shape.min;
      s.maximum = Math.min(shape.max ?? Infinity, (shape.limit ?? LIMITS.count).max);
      return s;
    }
    case 'number': {
      const s: Schema = { type: 'number' };
      if (shape.min !== undefined) s.minimum = shape.min;
      s.maximum = (shape.limit ?? LIMITS.count).max;
      return s;
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'duration':
      return { $ref: '#/$defs/duration' };
    case 'percent':
      return { $ref: '#/$defs/percent' };
    case 'rate':
      return { $ref: '#/$defs/rate' };
    case 'size':
      return { $ref: '#/$defs/size' };
    case 'literal':
      return { const: shape.word };
    case 'null':
      return { type: 'null' };
    case 'version':
      return { const: shape.value };
    case 'expectation':
      return { type: 'string', pattern: EXPECTATION_PATTERN, maxLength: LIMITS.text.max };
  }
}

function objectSchema(shape: ObjectShape): Schema {
  const properties: Record<string, Schema> = {};
  for (const [key, field] of Object.entries(shape.fields)) properties[key] = fieldSchema(field);
  const required = Object.entries(shape.fields)
    .filter(([, f]) => f.required)
    .map(([k]) => k);
  const s: Schema = { type: shape.nullAsEmpty ? ['object', 'null'] : 'object', properties, patternProperties: EXTENSIONS, additionalProperties: false };
  if (required.length) s.required = required;
  if (shape.exactlyOne) s.oneOf = shape.exactlyOne.map((k) => ({ required: [k] }));
  if (shape.atLeastOne) s.anyOf = shape.atLeastOne.map((k) => ({ required: [k] }));
  return s;
}

function fieldSchema(field: FieldSpec): Schema {
  const s: Schema = { description: fieldDescription(field), ...shapeSchema(field.shape) };
  if (field.default !== undefined) s.default = field.default;
  return s;
}

/** The field's sentence plus its default in words when the default depends on other fields. */
export function fieldDescription(field: FieldSpec): string {
  return field.defaultNote ? `${field.doc} Default: ${field.defaultNote}.` : field.doc;
}
