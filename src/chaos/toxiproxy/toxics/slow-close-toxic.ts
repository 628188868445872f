import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

export interface SlowCloseAttributes {
  /** Milliseconds the close is held back after the source closes. */
  delay: number;
}

/** Passes data through; when the source closes, waits `delay` ms before closing the destination. */
export class SlowCloseToxic implements Toxic {
  readonly type = 'slow_close' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<SlowCloseAttributes>;

  constructor(attributes: SlowCloseAttributes) {
    this.attributes = Object.freeze({ delay: attributes.delay });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new SlowCloseRun(this.attributes.delay, stub);
  }
}

class SlowCloseRun implements ToxicRun {
  private readonly delay: number;
  private readonly stub: ToxicStub;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(delay: number, stub: ToxicStub) {
    this.delay = delay;
    this.stub = stub;
  }

  onInput(): void {
    if (this.timer !== undefined || this.stopped) return;
    const stub = this.stub;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        this.timer = setTimeout(this.close, Math.max(0, this.delay));
        return;
      }
      stub.emit(c);
    }
  }

  private readonly close = (): void => {
    this.timer = undefined;
    if (!this.stopped) this.stub.close();
  };

  interrupt(): boolean {
    this.dispose();
    return true;
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
