import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

export interface TimeoutAttributes {
  /** Milliseconds without data before the connection is closed; 0: never, a black hole until removed. */
  timeout: number;
}

/**
Drops every byte, and closes the link once `timeout` ms pass without any data arriving (Toxiproxy
restarts its timer on every chunk it drops). With timeout 0 the link stays open and silent until the
toxic is removed. Removing it closes every link it was on (Toxiproxy's Cleanup), even links where its
toxicity roll had left it inactive.
*/
export class TimeoutToxic implements Toxic {
  readonly type = 'timeout' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<TimeoutAttributes>;

  constructor(attributes: TimeoutAttributes) {
    this.attributes = Object.freeze({ timeout: attributes.timeout });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new TimeoutRun(this.attributes.timeout, stub);
  }

  cleanup(stub: ToxicStub): void {
    stub.close();
  }
}

class TimeoutRun implements ToxicRun {
  private readonly stub: ToxicStub;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(timeout: number, stub: ToxicStub) {
    this.stub = stub;
    if (timeout > 0) this.timer = setTimeout(this.expire, timeout);
  }

  private readonly expire = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.stub.close();
  };

  onInput(): void {
    if (this.stopped) return;
    const stub = this.stub;
    let dropped = false;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        this.dispose();
        stub.close();
        return;
      }
      stub.discard(c.data.length);
      dropped = true;
    }
    if (dropped) this.timer?.refresh();
  }

  interrupt(): boolean {
    this.dispose();
    return true;
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
