import type { ServerResponse } from 'node:http';
import { writeOrPause, type DispatchController } from './upstream-pool.ts';

/**
Writes an upstream's response body to the caller's response, with back-pressure.

The first chunk is held until the end of the current tick. A body that arrives whole with its
headers (the usual small answer: the pool's parser hands over headers, body and end in one go) then
leaves as `res.end(chunk)`, which Node's HTTP server sends as one socket write carrying headers and
body with the response's finish attached to it, instead of `write(chunk)` and then `end()`, which
cost a second stream write (an empty final send), its callback and two more ticks per response
(profiled: docs/benchmarks.md). A body that keeps streaming is not delayed past the tick its first
chunk came in: the held chunk is written before the next one, or when the tick ends.
*/
export class ResponseRelay {
  private readonly out: ServerResponse;
  private held: Buffer | null = null;
  private controller: DispatchController | null = null;
  /** Set once a chunk went out (or the relay ended): chunks then go straight through. */
  private passing = false;

  constructor(out: ServerResponse) {
    this.out = out;
  }

  data(controller: DispatchController, chunk: Buffer): void {
    if (this.passing) {
      writeOrPause(this.out, controller, chunk);
      return;
    }
    if (this.held === null) {
      this.held = chunk;
      this.controller = controller;
      process.nextTick(flushRelay, this);
      return;
    }
    // A second chunk within the tick: the first goes out before it, back-pressure is judged on both.
    this.flush(false);
    writeOrPause(this.out, controller, chunk);
  }

  /** The body has ended: the response ends, with the held chunk if there is one. */
  end(): void {
    const h = this.held;
    this.held = null;
    this.controller = null;
    this.passing = true;
    if (h === null) this.out.end();
    else this.out.end(h);
  }

  /** Writes the held chunk, if any (`pause`: pause the upstream when the caller's buffer is full). */
  flush(pause = true): void {
    const h = this.held;
    this.passing = true;
    if (h === null) return;
    const controller = this.controller!;
    this.held = null;
    this.controller = null;
    if (pause) writeOrPause(this.out, controller, h);
    else this.out.write(h);
  }

  /** Nothing more is written (the exchange was aborted). */
  drop(): void {
    this.held = null;
    this.controller = null;
    this.passing = true;
  }
}

function flushRelay(relay: ResponseRelay): void {
  relay.flush();
}
