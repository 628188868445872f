import type { Random } from '../../../util/random.ts';

/** A piece of a stream as it was read from a socket, stamped with when (performance.now(), ms). */
export interface Chunk {
  data: Buffer;
  /** Toxiproxy's StreamChunk.Timestamp: latency counts from here, so delays do not pile up. */
  ts: number;
}

/**
What a toxic sees of one link it runs on: Toxiproxy's ToxicStub. Its input is a queue fed by the
stage before it; its output goes to the next stage, or to the socket at the end of the link.
*/
export interface ToxicStub {
  /**
  The next input: a chunk; `null` once the input has ended (and forever after, like a closed Go
  channel); `undefined` when nothing is waiting yet.
  */
  take(): Chunk | null | undefined;
  /** Passes a chunk on. */
  emit(chunk: Chunk): void;
  /** Tells the link that `bytes` will never be written (dropped or cut off), so it can read on. */
  discard(bytes: number): void;
  /** Closes the output: every later stage sees the end, and the link closes its destination. */
  close(): void;
  readonly closed: boolean;
  /** Seeded randomness for this toxic on this link (jitter, slice sizes). */
  readonly random: Random;
  /** Per-link state of a stateful toxic; kept across updates, as Toxiproxy keeps it. */
  state: unknown;
}

/** One toxic running on one link, from a start (or re-roll) until it is interrupted or disposed. */
export interface ToxicRun {
  /** Input is waiting (a chunk or the end). A busy run ignores this and takes the next input when done. */
  onInput(): void;
  /**
  Stops the run so the toxic can be updated or removed, as Toxiproxy interrupts a stub: whatever is
  held is passed on at once (latency, bandwidth, slicer), timers are cleared. Returns false when the
  run cannot be stopped: a reset_peer that has seen data resets the connection whatever happens.
  */
  interrupt(): boolean;
  /** Stops everything without passing anything on (the connection is gone). */
  dispose(): void;
}

export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' | 'noop';

/** A toxic's configuration and behaviour. Immutable: an update builds a new one. */
export interface Toxic {
  readonly type: ToxicType;
  /** Every attribute with its value, defaults included, as the API shows it. */
  readonly attributes: Readonly<Record<string, number>>;
  /**
  How many chunks may wait at this toxic's input before the link stops reading its source
  (Toxiproxy's channel buffer: 1024 for latency, none for the others).
  */
  readonly bufferSize: number;
  /** Starts the toxic on a stub. */
  pipe(stub: ToxicStub): ToxicRun;
  /** Fresh per-link state for a stateful toxic (limit_data counts bytes across updates). */
  newState?(): unknown;
  /** Toxiproxy's CleanupToxic: runs when the toxic is removed from a live link (timeout closes it). */
  cleanup?(stub: ToxicStub): void;
}

/** Integer in [0, n), from a seeded source: Go's rand.Intn. */
export function randomInt(random: Random, n: number): number {
  return n > 0 ? Math.floor(random() * n) : 0;
}
