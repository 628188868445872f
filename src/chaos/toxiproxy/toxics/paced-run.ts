import type { Chunk, ToxicRun, ToxicStub } from './toxic.ts';

/** Latency plus jitter may add up beyond what one attribute may be; the wait is capped there. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
A toxic run that holds one chunk at a time and lets it go on a timer: latency, bandwidth and
slicer. It owns the held chunk, the timer and the stop flag, so each toxic only says how long a
chunk waits and what it sends when the timer fires. While a chunk is held, new input waits in the
stub's queue. An interrupt passes the held chunk on at once, as Toxiproxy does rather than drop
it; a dispose drops it.
*/
export abstract class PacedRun implements ToxicRun {
  protected readonly stub: ToxicStub;
  /** The chunk waiting for the timer (or, for slicer, the rest of the chunk being sliced). */
  protected held: Chunk | null = null;
  protected stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(stub: ToxicStub) {
    this.stub = stub;
  }

  onInput(): void {
    if (this.held === null && !this.stopped) this.next();
  }

  /** Takes input and passes it on until a chunk has to wait (it is then held, with wait() called) or the input runs out. */
  protected abstract next(): void;

  /** The timer set by wait() has fired. */
  protected abstract release(): void;

  /** What of the held chunk an interrupt passes on: all of it, unless part of it has gone already. */
  protected rest(held: Chunk): Chunk {
    return held;
  }

  /** Calls release() after `ms` milliseconds (at most 2^31 - 1: a Node timer fires at once beyond it). */
  protected wait(ms: number): void {
    this.timer = setTimeout(this.fire, Math.min(ms, LONGEST_TIMER_MS));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.release();
  };

  interrupt(): boolean {
    this.stop();
    const c = this.held;
    this.held = null;
    if (c !== null) this.stub.emit(this.rest(c));
    return true;
  }

  dispose(): void {
    this.stop();
    this.held = null;
  }

  private stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
