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

interface ToxicKind {
  /** Every attribute the type has, in the order Toxiproxy prints them; all default to 0. */
  keys: readonly string[];
  build(attributes: Attributes): Toxic;
}

/** The toxic types Toxiproxy 2.12 registers, and how to build each. */
const KINDS: Record<ToxicType, ToxicKind> = {
  latency: { keys: ['latency', 'jitter'], build: (a) => new LatencyToxic({ latency: a.latency, jitter: a.jitter }) },
  bandwidth: { keys: ['rate'], build: (a) => new BandwidthToxic({ rate: a.rate }) },
  slow_close: { keys: ['delay'], build: (a) => new SlowCloseToxic({ delay: a.delay }) },
  timeout: { keys: ['timeout'], build: (a) => new TimeoutToxic({ timeout: a.timeout }) },
  reset_peer: { keys: ['timeout'], build: (a) => new ResetPeerToxic({ timeout: a.timeout }) },
  slicer: {
    keys: ['average_size', 'size_variation', 'delay'],
    build: (a) => new SlicerToxic({ average_size: a.average_size, size_variation: a.size_variation, delay: a.delay }),
  },
  limit_data: { keys: ['bytes'], build: (a) => new LimitDataToxic({ bytes: a.bytes }) },
  noop: { keys: [], build: () => new NoopToxic() },
};

export const TOXIC_TYPES = Object.keys(KINDS) as ToxicType[];

export function isToxicType(type: unknown): type is ToxicType {
  return typeof type === 'string' && Object.hasOwn(KINDS, type);
}

/**
Builds a toxic from attributes given as JSON. Attributes not given keep their value in `base` (the
toxic being updated) or 0, as Go's JSON decoding into an existing struct does; unknown ones are
ignored. Throws an Error naming the attribute when a value is not an integer (Go's int fields
reject 1.5 and "100").
*/
export function buildToxic(type: ToxicType, given: unknown, base?: Readonly<Attributes>): Toxic {
  const kind = KINDS[type];
  const attributes: Attributes = {};
  for (const key of kind.keys) attributes[key] = base?.[key] ?? 0;
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || Array.isArray(given)) throw new Error(`attributes must be an object, got ${describeJson(given)}`);
    for (const key of kind.keys) {
      const value = (given as Record<string, unknown>)[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new Error(`attribute ${key} of a ${type} toxic must be an integer, got ${describeJson(value)}`);
      }
      attributes[key] = value;
    }
  }
  return kind.build(attributes);
}
