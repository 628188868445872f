import { PacedRun } from './paced-run.ts';
import { randomInt, type Toxic, type ToxicRun, type ToxicStub } from './toxic.ts';

export interface LatencyAttributes {
  /** Milliseconds added to every chunk. */
  latency: number;
  /** Milliseconds; each chunk draws uniformly from latency - jitter to latency + jitter - 1. */
  jitter: number;
}

/**
Delays every chunk by latency ± jitter, counted from when the chunk was read, not from when the
previous one left: a burst of chunks is delayed once, not once per chunk (Toxiproxy PR #47). Chunks
keep their order, so a chunk whose draw is shorter than the one before waits for it. Stacked
latency toxics add up.
*/
export class LatencyToxic implements Toxic {
  readonly type = 'latency' as const;
  readonly bufferSize = 1024;
  readonly attributes: Readonly<LatencyAttributes>;

  constructor(attributes: LatencyAttributes) {
    this.attributes = Object.freeze({ latency: attributes.latency, jitter: attributes.jitter });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new LatencyRun(this.attributes, stub);
  }
}

class LatencyRun extends PacedRun {
  private readonly latency: number;
  private readonly jitter: number;
  /** The sleep drawn for the held chunk. */
  private sleep = 0;

  constructor(attributes: LatencyAttributes, stub: ToxicStub) {
    super(stub);
    this.latency = attributes.latency;
    this.jitter = attributes.jitter;
  }

  private delay(): number {
    const jitter = this.jitter;
    return jitter > 0 ? this.latency + randomInt(this.stub.random, jitter * 2) - jitter : this.latency;
  }

  protected next(): void {
    const stub = this.stub;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        stub.close();
        return;
      }
      const sleep = this.delay() - (performance.now() - c.ts);
      if (sleep > 0) {
        this.held = c;
        this.sleep = sleep;
        this.wait(sleep);
        return;
      }
      // Toxiproxy moves the stamp by the sleep it applied, so a following latency toxic counts from there.
      c.ts += sleep;
      stub.emit(c);
    }
  }

  protected release(): void {
    const c = this.held!;
    this.held = null;
    c.ts += this.sleep;
    this.stub.emit(c);
    if (!this.stopped) this.next();
  }
}
