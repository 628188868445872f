import { PacedRun } from './paced-run.ts';
import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

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

class BandwidthRun extends PacedRun {
  private readonly rate: number;
  /** When the link has earned the bytes sent so far (performance.now() ms). */
  private due = 0;

  constructor(rate: number, stub: ToxicStub) {
    super(stub);
    this.rate = rate;
  }

  protected next(): void {
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
    this.wait(Math.max(0, this.due - performance.now()));
  }

  protected release(): void {
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
  }
}
