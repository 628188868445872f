import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

export interface LimitDataAttributes {
  /** Bytes that may pass on this link before it is closed. */
  bytes: number;
}

interface LimitDataState {
  transmitted: number;
}

/**
Lets `bytes` bytes through per link (a chunk that crosses the limit is cut), then closes the link.
The count is per connection and direction, and survives updates of the toxic, as in Toxiproxy; it
starts when the toxic is added. With 0 the link closes on its first data.
*/
export class LimitDataToxic implements Toxic {
  readonly type = 'limit_data' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<LimitDataAttributes>;

  constructor(attributes: LimitDataAttributes) {
    this.attributes = Object.freeze({ bytes: attributes.bytes });
  }

  newState(): LimitDataState {
    return { transmitted: 0 };
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new LimitDataRun(this.attributes.bytes, stub);
  }
}

class LimitDataRun implements ToxicRun {
  private readonly limit: number;
  private readonly stub: ToxicStub;
  private stopped = false;

  constructor(limit: number, stub: ToxicStub) {
    this.limit = limit;
    this.stub = stub;
  }

  onInput(): void {
    if (this.stopped) return;
    const stub = this.stub;
    const state = stub.state as LimitDataState;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        stub.close();
        return;
      }
      const remaining = Math.max(0, this.limit - state.transmitted);
      if (c.data.length > remaining) {
        stub.discard(c.data.length - remaining);
        c.data = c.data.subarray(0, remaining);
      }
      if (c.data.length > 0) {
        state.transmitted += c.data.length;
        stub.emit(c);
      }
      if (this.limit - state.transmitted <= 0) {
        stub.close();
        return;
      }
    }
  }

  interrupt(): boolean {
    this.stopped = true;
    return true;
  }

  dispose(): void {
    this.stopped = true;
  }
}
