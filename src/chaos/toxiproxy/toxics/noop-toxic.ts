import type { Toxic, ToxicRun, ToxicStub } from './toxic.ts';

/** Passes everything through. It is also what a toxic runs as on a link where its toxicity roll failed. */
export class NoopToxic implements Toxic {
  readonly type = 'noop' as const;
  readonly attributes = {};
  readonly bufferSize = 0;

  pipe(stub: ToxicStub): ToxicRun {
    return new NoopRun(stub);
  }
}

export const NOOP_TOXIC = new NoopToxic();

class NoopRun implements ToxicRun {
  private readonly stub: ToxicStub;
  constructor(stub: ToxicStub) {
    this.stub = stub;
  }

  onInput(): void {
    const stub = this.stub;
    for (let c = stub.take(); c !== undefined; c = stub.take()) {
      if (c === null) {
        stub.close();
        return;
      }
      stub.emit(c);
    }
  }

  interrupt(): boolean {
    return true;
  }

  dispose(): void {}
}
