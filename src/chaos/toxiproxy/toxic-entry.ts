import type { Direction } from './direction.ts';
import type { Toxic, ToxicType } from './toxics/toxic.ts';

/**
A toxic as the API knows it: Toxiproxy's ToxicWrapper. One entry is shared by every link of its
proxy; an update changes `toxic` and `toxicity` in place, so links find it by identity.
*/
export interface ToxicEntry {
  readonly name: string;
  readonly type: ToxicType;
  /** The stream as the client wrote it (Toxiproxy echoes it unchanged). */
  readonly stream: string;
  readonly direction: Direction;
  toxicity: number;
  toxic: Toxic;
}

export interface ToxicJson {
  attributes: Readonly<Record<string, number>>;
  name: string;
  type: ToxicType;
  stream: string;
  toxicity: number;
}

/** The JSON shape, in Toxiproxy's field order. */
export function toxicJson(entry: ToxicEntry): ToxicJson {
  return { attributes: entry.toxic.attributes, name: entry.name, type: entry.type, stream: entry.stream, toxicity: entry.toxicity };
}
