import { BandwidthToxic } from './bandwidth-toxic.ts';
import { LatencyToxic } from './latency-toxic.ts';
import { LimitDataToxic } from './limit-data-toxic.ts';
import { NoopToxic } from './noop-toxic.ts';
import { ResetPeerToxic } from './reset-peer-toxic.ts';
import { SlicerToxic } from './slicer-toxic.ts';
import { SlowCloseToxic } from './slow-close-toxic.ts';
import { TimeoutToxic } from './timeout-toxic.ts';
import { describeJson } from '../errors.ts';
import type { Toxic, ToxicType } from './toxic.ts';

type Attributes = Record<string, number>;

/**
The longest wait a time attribute may ask for, in ms: Node's timers hold at most 2^31 - 1 ms (about
24.8 days) and fire at once beyond it. Toxiproxy accepts up to about 292 years.
*/
export const MAX_WAIT_MS = 2 ** 31 - 1;

/** What values an attribute accepts beyond being an integer, and why. */
interface AttributeRule {
  name: string;
  /** Smallest accepted value, with why a smaller one is refused. */
  min?: { value: number; why: string };
  /** Largest accepted value, with why. */
  max?: { value: number; why: string };
}

const waitMs = (name: string): AttributeRule => ({ name, max: { value: MAX_WAIT_MS, why: 'the longest timer Node keeps (about 24.8 days)' } });

interface ToxicKind {
  /** Every attribute the type has, in the order Toxiproxy prints them; all default to 0. */
  attributes: readonly AttributeRule[];
  build(attributes: Attributes): Toxic;
}

/**
The toxic types Toxiproxy 2.12 registers, and how to build each. Toxiproxy validates no attribute:
every integer is accepted. The same values are accepted here, with Toxiproxy's meaning (docs/toxiproxy.md
says what a negative value does for each), except those that crash Toxiproxy (a negative bandwidth
rate makes it slice with a negative bound, a Go panic that ends the server) and waits longer than a
Node timer can hold: those are refused, so a test that passes here does not kill a real server.
*/
const KINDS = new Map<ToxicType, ToxicKind>([
  ['latency', { attributes: [waitMs('latency'), waitMs('jitter')], build: (a) => new LatencyToxic({ latency: a.latency, jitter: a.jitter }) }],
  [
    'bandwidth',
    {
      attributes: [{ name: 'rate', min: { value: 0, why: 'Toxiproxy crashes on a negative rate (it slices data with a negative bound); 0 lets nothing through' } }],
      build: (a) => new BandwidthToxic({ rate: a.rate }),
    },
  ],
  ['slow_close', { attributes: [waitMs('delay')], build: (a) => new SlowCloseToxic({ delay: a.delay }) }],
  ['timeout', { attributes: [waitMs('timeout')], build: (a) => new TimeoutToxic({ timeout: a.timeout }) }],
  ['reset_peer', { attributes: [waitMs('timeout')], build: (a) => new ResetPeerToxic({ timeout: a.timeout }) }],
  [
    'slicer',
    {
      attributes: [{ name: 'average_size' }, { name: 'size_variation' }, { name: 'delay', max: { value: MAX_WAIT_MS, why: 'the longest wait this engine keeps' } }],
      build: (a) => new SlicerToxic({ average_size: a.average_size, size_variation: a.size_variation, delay: a.delay }),
    },
  ],
  ['limit_data', { attributes: [{ name: 'bytes' }], build: (a) => new LimitDataToxic({ bytes: a.bytes }) }],
  ['noop', { attributes: [], build: () => new NoopToxic() }],
]);

export const TOXIC_TYPES = [...KINDS.keys()];

export function isToxicType(type: unknown): type is ToxicType {
  return typeof type === 'string' && KINDS.has(type as ToxicType);
}

/**
Builds a toxic from attributes given as JSON. Attributes not given keep their value in `base` (the
toxic being updated) or 0, as Go's JSON decoding into an existing struct does; unknown ones are
ignored. Throws an Error naming the attribute when a value is not an integer (Go's int fields
reject 1.5 and "100") or is outside what the attribute accepts (above).
*/
export function buildToxic(type: ToxicType, given: unknown, base?: Readonly<Attributes>): Toxic {
  const kind = KINDS.get(type)!;
  const attributes: Attributes = {};
  for (const { name } of kind.attributes) attributes[name] = base?.[name] ?? 0;
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) throw new Error(`attributes must be an object, got ${describeJson(given)}`);
    for (const rule of kind.attributes) {
      const value = Object.hasOwn(given, rule.name) ? (given as Record<string, unknown>)[rule.name] : undefined;
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new Error(`attribute ${rule.name} of a ${type} toxic must be an integer, got ${describeJson(value)}`);
      }
      if (rule.min !== undefined && value < rule.min.value) {
        throw new Error(`attribute ${rule.name} of a ${type} toxic must be at least ${rule.min.value}, got ${value}: ${rule.min.why}`);
      }
      if (rule.max !== undefined && value > rule.max.value) {
        throw new Error(`attribute ${rule.name} of a ${type} toxic must be at most ${rule.max.value}, got ${value}: ${rule.max.why}`);
      }
      attributes[rule.name] = value;
    }
  }
  return kind.build(attributes);
}
