import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

export interface ResetPeerAttributes {
  /** Milliseconds between the first data (or the end of input) and the reset. */
  timeout: number;
}

/**
On the first data (or the end of the input), drops it, waits `timeout` ms and closes the link; the
link then closes its sockets with SO_LINGER 0, so the peers see a TCP RST (ECONNRESET).

As in Toxiproxy, the RST needs the connection to have started while a reset_peer toxic was on the
proxy (that is when Toxiproxy sets linger 0 on both sockets): on a connection that was already open
when the toxic was added, the close is a plain FIN. And on a connection that started with it, every
close is an RST, even where its toxicity roll left it inactive (Toxiproxy issue #603). Once it has
seen data it cannot be interrupted: updating or removing it does not stop the reset.
*/
export class ResetPeerToxic implements Toxic {
  readonly type = 'reset_peer' as const;
  readonly bufferSize = 0;
  readonly attributes: Readonly<ResetPeerAttributes>;

  constructor(attributes: ResetPeerAttributes) {
    this.attributes = Object.freeze({ timeout: attributes.timeout });
  }

  pipe(stub: ToxicStub): ToxicRun {
    return new ResetPeerRun(this.attributes.timeout, stub);
  }
}

class ResetPeerRun implements ToxicRun {
  private readonly timeout: number;
  private readonly stub: ToxicStub;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private triggered = false;
  private stopped = false;

  constructor(timeout: number, stub: ToxicStub) {
    this.timeout = timeout;
    this.stub = stub;
  }

  onInput(): void {
    if (this.triggered || this.stopped) return;
    const c = this.stub.take();
    if (c === undefined) return;
    if (c !== null) this.stub.discard(c.data.length);
    this.triggered = true;
    this.timer = setTimeout(this.reset, Math.max(0, this.timeout));
  }

  private readonly reset = (): void => {
    this.timer = undefined;
    this.stub.close();
  };

  interrupt(): boolean {
    if (this.triggered) return false;
    this.stopped = true;
    return true;
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
