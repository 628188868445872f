import type { Chunk, Toxic, ToxicRun, ToxicStub } from './toxic.ts';

export interface BandwidthAttributes {
  /** KB/s (1 KB = 1000 bytes). 0 or less: nothing flows until the toxic is removed. */
  rate: number;
}

/** A slice is at most this much of a second's worth of data, as in Toxiproxy. */
const SLICE_MS = 100;

/**
Limits a link to `rate` KB/s. Each chunk is released when the link has "earned" it at that rate;
a chunk bigger than 100 ms worth of data is sent in 100 ms slices. Idle time earns no credit, so a
burst after a pause is paced too. Deadlines are absolute, so timer lateness does not accumulate.
*/
export class BandwidthToxic implements Toxic {
  readonly type = 'bandwidth' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<BandwidthAttributes>;

  constructor(attributes: BandwidthAttributes) {
    this.attributes = Object.freeze({ rate: attributes.rate });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new BandwidthRun(this.attributes.rate, stub);
  }
}

class BandwidthRun implements ToxicRun {
  private readonly rate: number;
  private readonly stub: ToxicStub;
  private held: Chunk | null = null;
  /** When the link has earned the bytes sent so far (performance.now() ms). */
  private due = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(rate: number, stub: ToxicStub) {
    this.rate = rate;
    this.stub = stub;
  }

  onInput(): void {
    if (this.held === null && !this.stopped) this.next();
  }

  private next(): void {
    const c = this.stub.take();
    if (c === undefined) return;
    if (c === null) {
      this.stub.close();
      return;
    }
    this.held = c;
    // rate <= 0: Toxiproxy loops forever sending empty slices; the data never flows.
    if (this.rate <= 0) return;
    this.due = Math.max(this.due, performance.now());
    this.step();
  }

  private step(): void {
    const c = this.held!;
    const slice = this.rate * SLICE_MS;
    const bytes = Math.min(c.data.length, slice);
    this.due += bytes / this.rate;
    this.timer = setTimeout(this.release, Math.max(0, this.due - performance.now()));
  }

  private readonly release = (): void => {
    this.timer = undefined;
    const c = this.held!;
    const slice = this.rate * SLICE_MS;
    if (c.data.length > slice) {
      const head = c.data.subarray(0, slice);
      c.data = c.data.subarray(slice);
      this.stub.emit({ data: head, ts: c.ts });
      if (!this.stopped) this.step();
      return;
    }
    this.held = null;
    this.stub.emit(c);
    if (!this.stopped) this.next();
  };

  interrupt(): boolean {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.held;
    this.held = null;
    if (c !== null) this.stub.emit(c);
    return true;
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held = null;
  }
}
