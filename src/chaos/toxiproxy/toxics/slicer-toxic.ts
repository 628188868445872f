import type { Random } from '../../../util/random.ts';
import { PacedRun } from './paced-run.ts';
import { randomInt, type Chunk, type Toxic, type ToxicRun, type ToxicStub } from './toxic.ts';

export interface SlicerAttributes {
  /** Bytes: the average size of a slice. */
  average_size: number;
  /** Bytes: how far a split point may move from the middle. Keep it below average_size. */
  size_variation: number;
  /** Microseconds to wait after each slice. */
  delay: number;
}

/**
Cuts every chunk into slices of about average_size bytes by splitting it near the middle, again and
again, each split point moved by up to ±size_variation, and waits `delay` µs after each slice.
Values that make Toxiproxy panic or loop (no variation, a variation as large as the chunk, a size
below one byte) are clamped so a slice is always at least one byte.
*/
export class SlicerToxic implements Toxic {
  readonly type = 'slicer' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<SlicerAttributes>;

  constructor(attributes: SlicerAttributes) {
    this.attributes = Object.freeze({
      average_size: attributes.average_size,
      size_variation: attributes.size_variation,
      delay: attributes.delay,
    });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new SlicerRun(this.attributes, stub);
  }
}

/** Offsets of the slice boundaries of a chunk of `size` bytes: [0, a, b, …, size]. */
export function sliceOffsets(size: number, averageSize: number, variation: number, random: Random): number[] {
  const out = [0];
  const average = Math.max(1, averageSize);
  const vary = Math.max(0, variation);
  const split = (start: number, end: number): void => {
    const length = end - start;
    if (length <= 1 || length - average <= vary) {
      out.push(end);
      return;
    }
    let mid = start + Math.floor(length / 2) + (vary > 0 ? randomInt(random, vary * 2) - vary : 0);
    mid = Math.min(end - 1, Math.max(start + 1, mid));
    split(start, mid);
    split(mid, end);
  };
  split(0, size);
  return out;
}

class SlicerRun extends PacedRun {
  private readonly attributes: SlicerAttributes;
  private offsets: number[] = [];
  /** Index in offsets of the end of the next slice to send. */
  private index = 0;

  constructor(attributes: SlicerAttributes, stub: ToxicStub) {
    super(stub);
    this.attributes = attributes;
  }

  protected next(): void {
    const stub = this.stub;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        stub.close();
        return;
      }
      const a = this.attributes;
      this.held = c;
      this.offsets = sliceOffsets(c.data.length, a.average_size, a.size_variation, stub.random);
      this.index = 1;
      if (a.delay > 0) {
        this.sendOne();
        return;
      }
      // No delay: every slice goes out now, each as its own write.
      while (this.held !== null && !this.stopped) this.sendOne();
      if (this.stopped) return;
    }
  }

  /** Sends the next slice of the held chunk; with a delay, schedules the one after. */
  private sendOne(): void {
    const c = this.held!;
    const from = this.offsets[this.index - 1];
    const to = this.offsets[this.index];
    this.index++;
    const last = this.index >= this.offsets.length;
    if (last) this.held = null;
    this.stub.emit({ data: c.data.subarray(from, to), ts: c.ts });
    if (this.attributes.delay > 0 && !this.stopped) this.wait(this.attributes.delay / 1000);
  }

  /** The delay after a slice is over: the next slice, or the next chunk. */
  protected release(): void {
    if (this.held !== null) this.sendOne();
    else this.next();
  }

  /** The rest of the chunk being sliced goes on in one piece, as in Toxiproxy. */
  protected override rest(held: Chunk): Chunk {
    return { data: held.data.subarray(this.offsets[this.index - 1]), ts: held.ts };
  }
}
