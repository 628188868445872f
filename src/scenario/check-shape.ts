import { Document, isAlias, isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ScenarioIssue } from '../errors.ts';
import { readDuration } from './duration.ts';
import { atMost, LIMITS, type Limit } from './limits.ts';
import { describeFound, shortText, tidy, type Parsed } from './parsed.ts';
import { readPercent } from './percent.ts';
import { readSize } from './size.ts';
import { readRate } from './rate.ts';
import { lowerFirst, type LeafShape, type ListShape, type MapShape, type ObjectShape, type Shape, type UnionShape } from './shape.ts';
import { childPath, indexPath, type SourceFile } from './source-file.ts';
import { closest, didYouMean } from './suggest.ts';

/** Marks a value that failed its check; an issue has been recorded for it. */
export const INVALID: unique symbol = Symbol('invalid');

/**
What the walk produced: plain values in meshproof's units (durations in ms, percentages as
fractions, rates per second), with static defaults filled in. Objects become records, `map` shapes
become ordered Maps. An invalid value is left out of a record, and kept as undefined in a list or a
Map so that indices and names still line up with the file (an issue says why).
*/
export interface ShapeCheck {
  value: unknown;
  issues: ScenarioIssue[];
  warnings: ScenarioIssue[];
  /** Source offset of every value written in the file, by path. Paths filled from defaults are absent. */
  at: Map<string, number>;
  /** Source offset of every key written in the file, by the path it names. */
  keyAt: Map<string, number>;
}

/** Walks a YAML node tree against a shape, collecting every problem rather than stopping at the first. */
export function checkShape(root: unknown, shape: Shape, source: SourceFile, doc: Document): ShapeCheck {
  const walker = new ShapeWalker(source, doc);
  const value = walker.check(root, shape, '', 0);
  return { value, issues: walker.issues, warnings: walker.warnings, at: walker.at, keyAt: walker.keyAt };
}

/** A short phrase for what a shape accepts: "a duration such as 150ms or 10s, or "none"". */
export function describeShape(shape: Shape): string {
  switch (shape.kind) {
    case 'object':
      return `a mapping with keys ${Object.keys(shape.fields).join(', ')}`;
    case 'map':
      return shape.fields
        ? `a mapping of ${shape.keyNoun}s to their settings (and ${Object.keys(shape.fields).join(', ')})`
        : `a mapping of ${shape.keyNoun}s to their settings`;
    case 'list':
      return shape.noun ? `a list of ${shape.noun}` : 'a list';
    case 'union': {
      const parts = shape.options.filter((o) => o.kind !== 'null').map(describeShape);
      return parts.length <= 1 ? (parts[0] ?? 'nothing') : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
    }
    case 'string':
      if (shape.values) return `one of ${shape.values.join(', ')}`;
      return shape.noun ?? 'a string';
    case 'integer':
      return describeInteger(shape);
    case 'number':
      return shape.min !== undefined ? `a number >= ${shape.min}` : 'a number';
    case 'boolean':
      return 'true or false';
    case 'duration':
      return shape.positive ? 'a duration above 0 such as 150ms or 10s' : 'a duration such as 150ms or 10s';
    case 'percent':
      return 'a percentage such as 10%';
    case 'rate':
      return 'a rate such as 200/s';
    case 'size':
      return 'a size such as 64KiB or 1MB';
    case 'literal':
      return `"${shape.word}"`;
    case 'null':
      return 'nothing';
    case 'version':
      return String(shape.value);
    case 'expectation':
      return 'an expectation sentence such as success_rate(client) >= 99.5%';
  }
}

function describeInteger(shape: { min?: number; max?: number; unit?: string }): string {
  const unit = shape.unit ? ` (${shape.unit})` : '';
  if (shape.min !== undefined && shape.max !== undefined) return `an integer from ${shape.min} to ${shape.max}${unit}`;
  if (shape.min !== undefined) return `an integer >= ${shape.min}${unit}`;
  if (shape.max !== undefined) return `an integer <= ${shape.max}${unit}`;
  return `an integer${unit}`;
}

/** For a number written with a unit where a bare number in that unit is expected: `300ms` → `; write 300`. */
function bareNumberHint(value: unknown, unit: string | undefined): string {
  if (typeof value !== 'string' || !unit) return '';
  const d = readDuration(value);
  if (!d.ok) return '';
  if (unit.startsWith('ms')) return `; write ${tidy(d.value)}`;
  if (unit.startsWith('µs')) return `; write ${tidy(d.value * 1000)}`;
  return '';
}

function nodeKindOf(node: unknown): 'map' | 'seq' | 'scalar' {
  if (isMap(node)) return 'map';
  if (isSeq(node)) return 'seq';
  return 'scalar';
}

function scalarValue(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  return undefined;
}

function foundNode(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  return describeFound(scalarValue(node));
}

interface KeyedPair {
  key: string;
  keyNode: unknown;
  value: unknown;
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<') && (key as { source?: string }).source === '<<';
}

/** Compose's extension keys: `x-anything` at any level is allowed and ignored, so anchors have a home. */
export function isExtensionKey(key: string): boolean {
  return key.startsWith('x-');
}

/**
A key as a segment of an issue's path: whole, unless it is longer than any valid key could be (a
pasted 100 000-character name), which is cut so the path stays a path and not a copy of the file.
*/
function pathKey(key: string): string {
  return key.length > LIMITS.text.max ? `${key.slice(0, 40)}…` : key;
}

/** `found 300 characters ("aaaa…")`: a string over its limit, shown by its length and its start. */
function tooLong(text: string, limit: Limit): string {
  return `found ${text.length} characters (${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}); ${atMost(limit)}`;
}

class ShapeWalker {
  readonly issues: ScenarioIssue[] = [];
  readonly warnings: ScenarioIssue[] = [];
  readonly at = new Map<string, number>();
  readonly keyAt = new Map<string, number>();
  readonly #source: SourceFile;
  readonly #doc: Document;
  /** Nodes on the current walk, so an alias to an ancestor cannot recurse forever. */
  readonly #stack = new Set<unknown>();
  /** Each merged mapping's pairs, merges expanded, by node. */
  readonly #merged = new Map<unknown, KeyedPair[]>();
  /** Offset of the nearest enclosing node that has one, for values that come from defaults or aliases. */
  #fallbackOffset = 0;

  constructor(source: SourceFile, doc: Document) {
    this.#source = source;
    this.#doc = doc;
  }

  #offsetOf(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? range[0] : this.#fallbackOffset;
  }

  #error(node: unknown, path: string, message: string): typeof INVALID {
    this.issues.push(this.#source.issue(this.#offsetOf(node), path, message));
    return INVALID;
  }

  #errorAt(offset: number, path: string, message: string): void {
    this.issues.push(this.#source.issue(offset, path, message));
  }

  check(input: unknown, shape: Shape, path: string, fallbackOffset: number): unknown {
    let node = input;
    if (isAlias(node)) {
      const target = node.resolve(this.#doc);
      if (target === undefined) return this.#error(node, path, `unknown alias *${node.source}`);
      node = target;
    }
    if (this.#stack.has(node)) return this.#error(input, path, 'an alias refers to a mapping or list that contains it');
    const saved = this.#fallbackOffset;
    this.#fallbackOffset = (node as { range?: unknown } | null)?.range ? this.#offsetOf(node) : fallbackOffset;
    if ((node as { range?: unknown } | null)?.range) this.at.set(path, this.#offsetOf(node));
    this.#stack.add(node);
    try {
      return this.#dispatch(node, shape, path);
    } finally {
      this.#stack.delete(node);
      this.#fallbackOffset = saved;
    }
  }

  /**
  Pairs of a mapping, with `<<: *anchor` merge keys expanded as the yaml library reads them (YAML
  1.1's merge): keys written here win over merged ones, an earlier merged mapping wins over a later
  one, and a merged mapping's own merge keys are expanded first, so merges chain. A merged pair is
  positioned at the alias that brought it in (`via`), where the person wrote it into this mapping.
  */
  #pairs(map: { items: Pair[] }, path: string, chain: Set<unknown> = new Set(), via?: unknown): KeyedPair[] {
    const own: KeyedPair[] = [];
    const merged: KeyedPair[] = [];
    const seen = new Map<string, unknown>();
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const s of sources) {
          const target = isAlias(s) ? s.resolve(this.#doc) : s;
          const at = via ?? s;
          if (!isMap(target)) {
            if (via !== undefined) continue;
            if (isAlias(s) && target === undefined) this.#error(s, path, `unknown alias *${s.source}; an alias refers to an anchor (&${s.source}) written before it`);
            else this.#error(s, path, `a merge key (<<) takes an alias to a mapping, found ${foundNode(target)}`);
            continue;
          }
          if (chain.has(target) || target === map) {
            this.#error(at, path, 'a merge key (<<) merges a mapping that merges this one back');
            continue;
          }
          if (chain.size + 1 >= LIMITS.depth.max) {
            this.#error(at, path, `merge keys (<<) chained more than ${LIMITS.depth.max} deep; ${atMost(LIMITS.depth)}`);
            continue;
          }
          // Expanded once per mapping: a mapping merged from many places (or merged twice along a
          // diamond of merges) costs its size once, not once per path to it.
          let expanded = this.#merged.get(target);
          if (expanded === undefined) {
            chain.add(map);
            expanded = this.#pairs(target, path, chain, at);
            chain.delete(map);
            this.#merged.set(target, expanded);
          }
          for (const p of expanded) merged.push({ key: p.key, keyNode: at, value: p.value });
        }
        continue;
      }
      const key = keyText(pair.key);
      const first = seen.get(key);
      if (first !== undefined) {
        // A merged mapping's own mistakes are reported where it is written, not once per use.
        if (via === undefined) {
          const line = this.#source.position(this.#offsetOf(first)).line;
          this.#error(pair.key, childPath(path, key), `duplicate key "${key}" (already set on line ${line}); a key may appear once in a mapping`);
        }
        continue;
      }
      seen.set(key, pair.key);
      own.push({ key, keyNode: pair.key, value: pair.value });
    }
    for (const m of merged) {
      if (seen.has(m.key)) continue;
      seen.set(m.key, m.keyNode);
      own.push(m);
    }
    return own;
  }

  /** A mapping with more entries than its limit is refused before any of them is read. */
  #tooManyEntries(node: unknown, map: { items: Pair[] }, path: string, limit: Limit, noun: string): boolean {
    if (map.items.length <= limit.max) return false;
    this.#error(node, path, `found a mapping of ${map.items.length} ${noun}; ${atMost(limit)}`);
    return true;
  }

  #expectMapping(node: unknown, path: string, what: string, nullAsEmpty: boolean | undefined): { items: Pair[] } | typeof INVALID {
    if (isMap(node)) return node;
    if (nullAsEmpty && scalarValue(node) === null) return { items: [] };
    return this.#error(node, path, `found ${foundNode(node)}; expected ${what}`);
  }

  #object(node: unknown, shape: ObjectShape, path: string): unknown {
    const map = this.#expectMapping(node, path, describeShape(shape), shape.nullAsEmpty);
    if (map === INVALID) return INVALID;
    if (this.#tooManyEntries(node, map, path, LIMITS.mapEntries, 'keys')) return INVALID;
    const out: Record<string, unknown> = {};
    const valid = Object.keys(shape.fields);
    const given = new Set<string>();
    for (const { key, keyNode, value } of this.#pairs(map, path)) {
      if (isExtensionKey(key)) continue;
      const keyPath = childPath(path, pathKey(key));
      const keyOffset = this.#offsetOf(keyNode);
      this.keyAt.set(keyPath, keyOffset);
      const field = Object.hasOwn(shape.fields, key) ? shape.fields[key] : undefined;
      if (!field) {
        if (shape.otherNames && Object.hasOwn(shape.otherNames, key)) {
          this.#errorAt(keyOffset, keyPath, `unknown key "${key}": ${shape.otherNames[key]} (valid: ${valid.join(', ')})`);
        } else if (shape.notYet?.includes(key)) {
          this.#errorAt(keyOffset, keyPath, `"${key}" is not supported yet by this meshproof (scenario language v1); remove it (valid: ${valid.join(', ')})`);
        } else {
          const shown = key.length > LIMITS.name.max ? shortText(key, 40) : `"${key}"`;
          this.#errorAt(keyOffset, keyPath, `unknown key ${shown}${didYouMean(key, valid)} (valid: ${valid.join(', ')})`);
        }
        continue;
      }
      given.add(key);
      const v = this.check(value, field.shape, keyPath, keyOffset);
      if (v !== INVALID) out[key] = v;
    }
    const mapOffset = this.#offsetOf(node);
    for (const [key, field] of Object.entries(shape.fields)) {
      if (given.has(key)) continue;
      if (field.required) {
        this.#errorAt(mapOffset, childPath(path, key), `missing required key "${key}": ${lowerFirst(field.doc)}`);
      } else if (field.default !== undefined) {
        const v = this.check(this.#doc.createNode(field.default), field.shape, childPath(path, key), mapOffset);
        if (v !== INVALID) out[key] = v;
      }
    }
    if (shape.exactlyOne) {
      const present = shape.exactlyOne.filter((k) => given.has(k));
      if (present.length !== 1) {
        const options = shape.exactlyOne.map((k) => `{ ${k}: [...] }`).join(' or ');
        const found = present.length === 0 ? 'none of them' : `${present.join(' and ')}`;
        const hint = shape.exactlyOneHint ?? `(write ${options})`;
        this.#errorAt(mapOffset, path, `expected exactly one of ${shape.exactlyOne.join(', ')} ${hint}; found ${found}`);
        return INVALID;
      }
    }
    if (shape.atLeastOne && !shape.atLeastOne.some((k) => given.has(k))) {
      const hint = shape.atLeastOneHint ? `, ${shape.atLeastOneHint}` : '';
      this.#errorAt(mapOffset, path, `expected at least one of ${shape.atLeastOne.join(', ')}${hint}; found none of them`);
      return INVALID;
    }
    return out;
  }

  #map(node: unknown, shape: MapShape, path: string): unknown {
    const map = this.#expectMapping(node, path, describeShape(shape), shape.nullAsEmpty);
    if (map === INVALID) return INVALID;
    if (this.#tooManyEntries(node, map, path, shape.limit ?? LIMITS.mapEntries, `${shape.keyNoun}s`)) return INVALID;
    const out = new Map<string, unknown>();
    const pattern = new RegExp(shape.keyPattern);
    const fixed = shape.fields ?? {};
    const keyLimit = shape.keyLimit ?? LIMITS.name;
    let entries = 0;
    for (const { key, keyNode, value } of this.#pairs(map, path)) {
      if (!shape.dataKeys && isExtensionKey(key)) continue;
      const keyPath = childPath(path, pathKey(key));
      const keyOffset = this.#offsetOf(keyNode);
      this.keyAt.set(keyPath, keyOffset);
      if (Object.hasOwn(fixed, key)) {
        const v = this.check(value, fixed[key].shape, keyPath, keyOffset);
        if (v !== INVALID) out.set(key, v);
        continue;
      }
      const meant = closest(key, Object.keys(fixed));
      if (meant !== undefined && isScalar(value) && value.value !== null) {
        // `profiel: istio` is a misspelt setting, not a destination named "profiel".
        this.#errorAt(keyOffset, keyPath, `unknown key "${key}"; did you mean "${meant}"? (${describeShape(fixed[meant].shape)})`);
        continue;
      }
      entries++;
      let keyOk = true;
      if (key.length > keyLimit.max) {
        this.#errorAt(keyOffset, keyPath, `invalid ${shape.keyNoun}: ${tooLong(key, keyLimit)}`);
        keyOk = false;
      } else if (shape.reserved && Object.hasOwn(shape.reserved, key)) {
        this.#errorAt(keyOffset, keyPath, `${shape.reserved[key]}; use another ${shape.keyNoun}`);
        keyOk = false;
      } else if (!pattern.test(key)) {
        this.#errorAt(keyOffset, keyPath, `invalid ${shape.keyNoun} "${key}"; expected ${shape.keyHint}`);
        keyOk = false;
      }
      // A valid key with an invalid value stays (as undefined): the name exists, and references to it are not errors.
      const v = this.check(value, shape.values, keyPath, keyOffset);
      if (keyOk) out.set(key, v === INVALID ? undefined : v);
    }
    for (const [key, field] of Object.entries(fixed)) {
      if (out.has(key) || this.keyAt.has(childPath(path, key)) || field.default === undefined) continue;
      const v = this.check(this.#doc.createNode(field.default), field.shape, childPath(path, key), this.#offsetOf(node));
      if (v !== INVALID) out.set(key, v);
    }
    if (shape.minEntries !== undefined && entries < shape.minEntries) {
      this.#error(node, path, `found an empty mapping; expected at least ${shape.minEntries} ${shape.keyNoun}`);
      return INVALID;
    }
    return out;
  }

  #list(node: unknown, shape: ListShape, path: string): unknown {
    const out: unknown[] = [];
    const limit = shape.limit ?? LIMITS.listItems;
    const tooMany = (count: number) => this.#error(node, path, `found a list of ${count} ${shape.noun ?? 'items'}; ${atMost(limit)}`);
    if (isSeq(node) && node.items.length > limit.max) return tooMany(node.items.length);
    if (shape.commaString && isScalar(node) && typeof node.value === 'string') {
      // "5xx, reset": each item is checked on its own and positioned at its own column.
      const text = node.value;
      const commas = text.split(',').length;
      if (commas > limit.max) return tooMany(commas);
      const base = this.#offsetOf(node) + contentShift(this.#source.text, this.#offsetOf(node), text);
      let from = 0;
      text.split(',').forEach((raw, i) => {
        const item = raw.trim();
        const offset = base + from + (raw.length - raw.trimStart().length);
        from += raw.length + 1;
        const itemPath = indexPath(path, i);
        this.at.set(itemPath, offset);
        const r = this.#leafValue(item, shape.items as LeafShape);
        out.push(r.ok ? r.value : undefined);
        if (!r.ok) this.#errorAt(offset, itemPath, r.message);
      });
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        // An invalid item stays as undefined so indices keep matching the paths issues refer to.
        const v = this.check(item, shape.items, indexPath(path, i), this.#offsetOf(node));
        out.push(v === INVALID ? undefined : v);
      });
    } else if (shape.nullAsEmpty && scalarValue(node) === null) {
      // `expect:` with nothing under it is an empty list.
    } else {
      let also = shape.commaString ? ' (or one string of comma-separated items)' : '';
      const text = scalarValue(node);
      if (!shape.commaString && typeof text === 'string') also = `; write each item on its own line starting with "- " (or [${text}])`;
      return this.#error(node, path, `found ${foundNode(node)}; expected ${describeShape(shape)}${also}`);
    }
    const count = isSeq(node) ? node.items.length : out.length;
    if (shape.minItems !== undefined && count < shape.minItems) {
      const found = count === 0 ? 'an empty list' : `a list of ${count}`;
      return this.#error(node, path, `found ${found}; expected at least ${shape.minItems} of ${shape.noun ?? 'item'}`);
    }
    if (shape.maxItems !== undefined && count > shape.maxItems) {
      return this.#error(node, path, `found a list of ${count}; expected at most ${shape.maxItems} of ${shape.noun ?? 'item'}`);
    }
    return out;
  }

  #union(node: unknown, shape: UnionShape, path: string): unknown {
    const kind = nodeKindOf(node);
    if (kind !== 'scalar') {
      const option = shape.options.find((o) =>
        kind === 'map' ? o.kind === 'object' || o.kind === 'map' : o.kind === 'list',
      );
      if (option) return this.#dispatch(node, option, path);
      return this.#error(node, path, `found ${foundNode(node)}; expected ${describeShape(shape)}`);
    }
    const value = scalarValue(node);
    for (const o of shape.options) {
      if (o.kind === 'literal' && value === o.word) return o.means;
      if (o.kind === 'null' && value === null) return null;
    }
    if (value === null) {
      const empty = shape.options.find((o) => (o.kind === 'object' || o.kind === 'list' || o.kind === 'map') && o.nullAsEmpty);
      if (empty) return this.#dispatch(node, empty, path);
    }
    const leaves = shape.options.filter((o): o is LeafShape => !['object', 'map', 'list', 'union', 'literal', 'null'].includes(o.kind));
    for (const leaf of leaves) {
      const r = this.#leafValue(value, leaf, node);
      if (r.ok) return r.value;
    }
    if (leaves.length === 1) {
      const r = this.#leafValue(value, leaves[0], node);
      const words = shape.options.filter((o) => o.kind === 'literal').map(describeShape);
      const others = shape.options.filter((o) => ['object', 'map', 'list'].includes(o.kind)).map(describeShape);
      const alternatives = [...words, ...others];
      const tail = alternatives.length ? `; or ${alternatives.join(', or ')}` : '';
      return this.#error(node, path, `${(r as { message: string }).message}${tail}`);
    }
    return this.#error(node, path, `found ${foundNode(node)}; expected ${describeShape(shape)}`);
  }

  #dispatch(node: unknown, shape: Shape, path: string): unknown {
    switch (shape.kind) {
      case 'object':
        return this.#object(node, shape, path);
      case 'map':
        return this.#map(node, shape, path);
      case 'list':
        return this.#list(node, shape, path);
      case 'union':
        return this.#union(node, shape, path);
      default:
        return this.#leaf(node, shape, path);
    }
  }

  #leaf(node: unknown, shape: LeafShape, path: string): unknown {
    if (isMap(node) || isSeq(node)) {
      let hint = '';
      if (shape.kind === 'expectation' && isMap(node)) hint = '; a sentence containing ": " reads as a mapping in YAML, so quote it';
      return this.#error(node, path, `found ${foundNode(node)}; expected ${describeShape(shape)}${hint}`);
    }
    const r = this.#leafValue(scalarValue(node), shape, node);
    if (!r.ok) return this.#error(node, path, r.message);
    if (shape.kind === 'percent' && typeof scalarValue(node) === 'number' && (r.value as number) > 0 && (r.value as number) < 0.01) {
      const n = scalarValue(node) as number;
      this.warnings.push(
        this.#source.issue(this.#offsetOf(node), path, `${n} is read as ${n}% (a bare number is a percentage); write ${tidy(n * 100)}% if you meant a fraction`),
      );
    }
    return r.value;
  }

  /** The value read (in meshproof's units) if it is within the limit; else a message showing it as written. */
  #withinLimit(value: number, written: unknown, limit: Limit): Parsed<unknown> {
    if (value <= limit.max) return { ok: true, value };
    return { ok: false, message: `found ${typeof written === 'number' ? written : describeFound(written)}; ${atMost(limit)}` };
  }

  #leafValue(value: unknown, shape: LeafShape, node?: unknown): Parsed<unknown> {
    switch (shape.kind) {
      case 'string': {
        if (typeof value !== 'string') return { ok: false, message: `found ${describeFound(value)}; expected ${describeShape(shape)}` };
        const limit = shape.limit ?? LIMITS.text;
        if (value.length > limit.max) return { ok: false, message: tooLong(value, limit) };
        if (shape.values && !shape.values.includes(value)) {
          return { ok: false, message: `found ${shortText(value)}${didYouMean(value, shape.values)} (valid: ${shape.values.join(', ')})` };
        }
        if (shape.pattern && !new RegExp(shape.pattern).test(value)) {
          return { ok: false, message: `found ${shortText(value)}; expected ${shape.patternHint ?? `a string matching ${shape.pattern}`}` };
        }
        return { ok: true, value };
      }
      case 'integer': {
        // Past 2^53 a number is no longer exact: it is over any limit, and is said as such.
        if (typeof value === 'number' && Number.isInteger(value) && value > Number.MAX_SAFE_INTEGER) return this.#withinLimit(value, value, shape.limit ?? LIMITS.count);
        if (typeof value !== 'number' || !Number.isInteger(value) || !Number.isSafeInteger(value)) {
          return { ok: false, message: `found ${describeFound(value)}; expected ${describeInteger(shape)}${bareNumberHint(value, shape.unit)}` };
        }
        if ((shape.min !== undefined && value < shape.min) || (shape.max !== undefined && value > shape.max)) {
          return { ok: false, message: `found ${value}; expected ${describeInteger(shape)}` };
        }
        return this.#withinLimit(value, value, shape.limit ?? LIMITS.count);
      }
      case 'number': {
        if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false, message: `found ${describeFound(value)}; expected ${describeShape(shape)}` };
        if (shape.min !== undefined && value < shape.min) return { ok: false, message: `found ${value}; expected ${describeShape(shape)}` };
        return this.#withinLimit(value, value, shape.limit ?? LIMITS.count);
      }
      case 'boolean':
        if (typeof value !== 'boolean') return { ok: false, message: `found ${describeFound(value)}; expected true or false` };
        return { ok: true, value };
      case 'duration': {
        const r = readDuration(value);
        if (r.ok && shape.positive && r.value <= 0) return { ok: false, message: `found ${describeFound(value)}; expected a duration above 0` };
        return r.ok ? this.#withinLimit(r.value, value, shape.limit ?? LIMITS.duration) : r;
      }
      case 'percent':
        return readPercent(value);
      case 'rate': {
        const r = readRate(value);
        if (r.ok && shape.positive && r.value <= 0) return { ok: false, message: `found ${describeFound(value)}; expected a rate above 0 such as 200/s` };
        return r.ok ? this.#withinLimit(r.value, value, shape.limit ?? LIMITS.rate) : r;
      }
      case 'size': {
        const r = readSize(value);
        return r.ok ? this.#withinLimit(r.value, value, shape.limit ?? LIMITS.size) : r;
      }
      case 'literal':
        return value === shape.word ? { ok: true, value: shape.means } : { ok: false, message: `found ${describeFound(value)}; expected "${shape.word}"` };
      case 'null':
        return value === null ? { ok: true, value: null } : { ok: false, message: `found ${describeFound(value)}; expected nothing` };
      case 'version':
        if (typeof value === 'number' && value !== shape.value) {
          return { ok: false, message: `unsupported version ${value}; this meshproof reads version ${shape.value}` };
        }
        if (value !== shape.value) return { ok: false, message: `found ${describeFound(value)}; expected version: ${shape.value}` };
        return { ok: true, value };
      case 'expectation': {
        if (typeof value !== 'string' || value.trim() === '') {
          return { ok: false, message: `found ${describeFound(value)}; expected ${describeShape(shape)}` };
        }
        if (value.length > LIMITS.text.max) return { ok: false, message: tooLong(value, LIMITS.text) };
        // Kept with its position: the expectation parser needs the column of the sentence in the file.
        const offset = this.#offsetOf(node);
        return { ok: true, value: { text: value, offset: offset + contentShift(this.#source.text, offset, value) } };
      }
    }
  }
}

/** A sentence and where its first character is in the file. */
export interface SentenceAt {
  text: string;
  offset: number;
}

/**
How far into a scalar node's source its content starts: 0 for a plain scalar, 1 past an opening quote,
further for a block scalar (`|`). Found by looking for the text itself, so escapes before it are the
only case where columns drift.
*/
function contentShift(source: string, offset: number, value: string): number {
  const first = value.split('\n')[0];
  if (first === '') return 0;
  const found = source.indexOf(first, offset);
  return found >= 0 && found - offset < 1000 ? found - offset : 0;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return String((key as Node | null)?.toString() ?? '');
}
