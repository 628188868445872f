/**
Just enough of JSON Schema draft 2020-12 to check meshproof's own schema against documents, so the
tests need no validator dependency: the keywords json-schema.ts emits, and a list of every keyword
2020-12 defines so an unknown or misspelt one is caught.
*/

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json } | boolean;

/** The keywords of the 2020-12 vocabularies (core, applicator, unevaluated, validation, meta-data, format, content). */
export const KEYWORDS_2020_12 = new Set([
  '$schema', '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', '$vocabulary', '$comment', '$defs',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'prefixItems', 'items', 'contains',
  'properties', 'patternProperties', 'additionalProperties', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties',
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties',
  'minProperties', 'required', 'dependentRequired', 'title', 'description', 'default', 'deprecated', 'readOnly',
  'writeOnly', 'examples', 'format', 'contentEncoding', 'contentMediaType', 'contentSchema',
]);

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);

/** Structural problems of a schema: unknown keywords, wrong keyword value types, unresolvable $refs, bad patterns. */
export function schemaProblems(root: Schema): string[] {
  const problems: string[] = [];
  const visit = (s: Json, at: string): void => {
    if (typeof s === 'boolean') return;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      problems.push(`${at}: a schema must be an object or a boolean`);
      return;
    }
    for (const [k, v] of Object.entries(s)) {
      const here = `${at}/${k}`;
      if (!KEYWORDS_2020_12.has(k)) problems.push(`${here}: not a draft 2020-12 keyword`);
      switch (k) {
        case 'type': {
          const list = Array.isArray(v) ? v : [v];
          if (!list.every((t) => typeof t === 'string' && TYPES.has(t))) problems.push(`${here}: invalid type ${JSON.stringify(v)}`);
          break;
        }
        case 'properties':
        case '$defs':
          if (typeof v !== 'object' || v === null || Array.isArray(v)) problems.push(`${here}: must be an object`);
          else for (const [name, sub] of Object.entries(v)) visit(sub, `${here}/${name}`);
          break;
        case 'additionalProperties':
        case 'items':
        case 'propertyNames':
        case 'not':
          visit(v, here);
          break;
        case 'anyOf':
        case 'oneOf':
        case 'allOf':
          if (!Array.isArray(v) || v.length === 0) problems.push(`${here}: must be a non-empty array`);
          else v.forEach((sub, i) => visit(sub, `${here}/${i}`));
          break;
        case 'required':
          if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) problems.push(`${here}: must be an array of strings`);
          else if (s.properties && typeof s.properties === 'object') {
            for (const r of v as string[]) if (!(r in (s.properties as object))) problems.push(`${here}: "${r}" is not a property`);
          }
          break;
        case 'enum':
          if (!Array.isArray(v) || v.length === 0) problems.push(`${here}: must be a non-empty array`);
          break;
        case 'pattern':
          try {
            new RegExp(v as string, 'u');
          } catch (e) {
            problems.push(`${here}: not an ECMA-262 regular expression: ${(e as Error).message}`);
          }
          break;
        case 'minimum':
        case 'maximum':
          if (typeof v !== 'number') problems.push(`${here}: must be a number`);
          break;
        case 'minItems':
        case 'minProperties':
        case 'maxItems':
        case 'maxProperties':
        case 'maxLength':
          if (!Number.isInteger(v) || (v as number) < 0) problems.push(`${here}: must be a non-negative integer`);
          break;
        case 'description':
        case 'title':
        case '$schema':
          if (typeof v !== 'string') problems.push(`${here}: must be a string`);
          break;
        case '$ref':
          if (typeof v !== 'string' || resolve(root, v) === undefined) problems.push(`${here}: cannot resolve ${JSON.stringify(v)}`);
          break;
      }
    }
  };
  visit(root as Json, '#');
  return problems;
}

function resolve(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = root as Json;
  for (const part of ref.slice(2).split('/')) {
    node = node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, Json>)[part] : undefined;
  }
  return node as Schema | undefined;
}

/** Validation errors of a value against a schema (the subset of keywords meshproof's schema uses). */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const check = (s: Schema, v: unknown, at: string): boolean => {
    const before = errors.length;
    if (s === true) return true;
    if (s === false) {
      errors.push(`${at}: not allowed`);
      return false;
    }
    const fail = (m: string) => errors.push(`${at}: ${m}`);
    if (typeof s.$ref === 'string') check(resolve(root, s.$ref)!, v, at);
    if (s.type !== undefined) {
      const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
      if (!types.some((t) => typeOk(t, v))) fail(`expected ${types.join('|')}`);
    }
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) fail(`expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) fail(`not one of ${JSON.stringify(s.enum)}`);
    if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) fail(`does not match ${s.pattern}`);
    if (typeof v === 'string' && typeof s.maxLength === 'number' && [...v].length > s.maxLength) fail(`longer than ${s.maxLength}`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) fail(`below ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) fail(`above ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) fail(`fewer than ${s.minItems} items`);
      if (typeof s.maxItems === 'number' && v.length > s.maxItems) fail(`more than ${s.maxItems} items`);
      if (s.items !== undefined) v.forEach((item, i) => check(s.items as Schema, item, `${at}[${i}]`));
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      if (typeof s.minProperties === 'number' && Object.keys(obj).length < s.minProperties) fail(`fewer than ${s.minProperties} properties`);
      if (typeof s.maxProperties === 'number' && Object.keys(obj).length > s.maxProperties) fail(`more than ${s.maxProperties} properties`);
      const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>);
      for (const r of (s.required ?? []) as string[]) if (!(r in obj)) fail(`missing "${r}"`);
      for (const [k, sub] of Object.entries(obj)) {
        if (s.propertyNames !== undefined) check(s.propertyNames as Schema, k, `${at}.${k}(name)`);
        const matching = patterns.filter(([p]) => new RegExp(p, 'u').test(k));
        for (const [, ps] of matching) check(ps, sub, `${at}.${k}`);
        if (k in props) check(props[k], sub, `${at}.${k}`);
        else if (matching.length === 0 && s.additionalProperties !== undefined) check(s.additionalProperties as Schema, sub, `${at}.${k}`);
      }
    }
    for (const [kw, want] of [
      ['anyOf', (n: number) => n >= 1],
      ['oneOf', (n: number) => n === 1],
    ] as const) {
      const options = s[kw];
      if (!Array.isArray(options)) continue;
      const passing = options.filter((o) => {
        const saved = errors.length;
        const ok = check(o as Schema, v, at);
        errors.length = saved;
        return ok;
      }).length;
      if (!want(passing)) fail(`${kw}: ${passing} of ${options.length} alternatives match`);
    }
    if (s.not !== undefined) {
      const saved = errors.length;
      const ok = check(s.not as Schema, v, at);
      errors.length = saved;
      if (ok) fail('matches a schema it must not');
    }
    return errors.length === before;
  };
  check(root, value, '$');
  return errors;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'null':
      return v === null;
    case 'integer':
      return Number.isInteger(v);
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return typeof v === type;
  }
}
