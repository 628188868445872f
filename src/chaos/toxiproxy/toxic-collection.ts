import { DIRECTIONS, parseDirection, type Direction } from './direction.ts';
import { badRequestBody, describeJson, invalidStream, invalidToxicType, objectBody, toxicAlreadyExists, toxicNotFound } from './errors.ts';
import type { Link } from './link.ts';
import { checkName } from './names.ts';
import { toxicJson, type ToxicEntry, type ToxicJson } from './toxic-entry.ts';
import { buildToxic, isToxicType } from './toxics/toxic-factory.ts';
import type { Toxic, ToxicType } from './toxics/toxic.ts';

/**
The toxics of one proxy (Toxiproxy's ToxicCollection): a chain per direction, in the order they were
added, and the live links they apply to. Adding, updating and removing a toxic takes effect on every
open connection at once, as in Toxiproxy.
*/
export class ToxicCollection {
  private readonly chains: Record<Direction, ToxicEntry[]> = { upstream: [], downstream: [] };
  private readonly links = new Set<Link>();

  /** Upstream toxics first, then downstream, each in chain order (Toxiproxy's listing order). */
  list(): ToxicEntry[] {
    return [...this.chains.upstream, ...this.chains.downstream];
  }

  toJSON(): ToxicJson[] {
    return this.list().map(toxicJson);
  }

  chain(direction: Direction): readonly ToxicEntry[] {
    return this.chains[direction];
  }

  hasType(type: ToxicType): boolean {
    return this.chains.upstream.some((t) => t.type === type) || this.chains.downstream.some((t) => t.type === type);
  }

  find(name: string): ToxicEntry | undefined {
    return this.chains.upstream.find((t) => t.name === name) ?? this.chains.downstream.find((t) => t.name === name);
  }

  get(name: string): ToxicEntry {
    const entry = this.find(name);
    if (entry === undefined) throw toxicNotFound();
    return entry;
  }

  /**
  Adds a toxic from a request body. Checks run in Toxiproxy's order (body, stream, type, name,
  attributes), so the same bad request gets the same answer.
  */
  add(body: unknown): ToxicEntry {
    const input = objectBody(body);
    const name = optionalString(input, 'name');
    const type = optionalString(input, 'type') ?? '';
    const stream = optionalString(input, 'stream') ?? 'downstream';
    const toxicity = optionalNumber(input, 'toxicity') ?? 1;
    const direction = parseDirection(stream);
    if (direction === undefined) throw invalidStream();
    const toxicName = name === undefined || name === '' ? `${type}_${stream}` : name;
    if (!isToxicType(type)) throw invalidToxicType();
    checkName('toxic', toxicName);
    if (this.find(toxicName) !== undefined) throw toxicAlreadyExists();
    const toxic = toxicFrom(type, input.attributes);
    const entry: ToxicEntry = { name: toxicName, type, stream, direction, toxicity, toxic };
    this.chains[direction].push(entry);
    for (const link of this.linksOf(direction)) link.addToxic(entry);
    return entry;
  }

  /** Updates attributes (merged over the current ones) and toxicity; name, type and stream stay. */
  update(name: string, body: unknown): ToxicEntry {
    const entry = this.get(name);
    const input = objectBody(body);
    const toxicity = optionalNumber(input, 'toxicity') ?? entry.toxicity;
    entry.toxic = toxicFrom(entry.type, input.attributes, entry.toxic.attributes);
    entry.toxicity = toxicity;
    for (const link of this.linksOf(entry.direction)) link.updateToxic(entry);
    return entry;
  }

  remove(name: string): void {
    const entry = this.get(name);
    const chain = this.chains[entry.direction];
    chain.splice(chain.indexOf(entry), 1);
    for (const link of this.linksOf(entry.direction)) link.removeToxic(entry);
  }

  /** Removes every toxic, first to last, upstream then downstream (POST /reset). */
  reset(): void {
    for (const direction of DIRECTIONS) {
      while (this.chains[direction].length > 0) this.remove(this.chains[direction][0].name);
    }
  }

  attach(link: Link): void {
    this.links.add(link);
  }

  detach(link: Link): void {
    this.links.delete(link);
  }

  private linksOf(direction: Direction): Link[] {
    const out: Link[] = [];
    for (const link of this.links) if (link.direction === direction) out.push(link);
    return out;
  }
}

/** buildToxic, with its complaint (a bad attribute) answered as a 400. */
function toxicFrom(type: ToxicType, attributes: unknown, base?: Readonly<Record<string, number>>): Toxic {
  try {
    return buildToxic(type, attributes, base);
  } catch (err) {
    throw badRequestBody((err as Error).message);
  }
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequestBody(`${key} must be a string, got ${describeJson(v)}`);
  return v;
}

function optionalNumber(input: Record<string, unknown>, key: string): number | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequestBody(`${key} must be a number, got ${describeJson(v)}`);
  return v;
}
