import type { Random } from '../../util/random.ts';
import type { StageRandoms } from './seeds.ts';
import type { ToxicEntry } from './toxic-entry.ts';
import { NOOP_TOXIC } from './toxics/noop-toxic.ts';
import type { Chunk, ToxicRun, ToxicStub } from './toxics/toxic.ts';

/** Where a stage sends its output: the next stage, or the link's destination. */
export interface Sink {
  push(chunk: Chunk): void;
  end(): void;
}

/** The link a stage belongs to, told about bytes that will never be written. */
export interface StageOwner {
  discard(bytes: number): void;
}

/**
One toxic on one link (Toxiproxy's ToxicStub): an input queue, the toxic running on it, and where
its output goes. Whether the toxic is active on this link is rolled against its toxicity every time
the stage (re)starts: when the link starts, when the toxic is added, when it is updated, and, as in
Toxiproxy, when the toxic after it is added or removed (Toxiproxy restarts that stub too).
*/
export class LinkStage implements ToxicStub, Sink {
  readonly entry: ToxicEntry;
  next: Sink;
  readonly random: Random;
  state: unknown;
  closed = false;
  /** Whether the last roll made the toxic active here (otherwise it runs as noop). */
  active = false;
  private readonly rolls: Random;
  private readonly owner: StageOwner;
  private queue: (Chunk | undefined)[] = [];
  private head = 0;
  private ended = false;
  private run: ToxicRun | null = null;

  constructor(owner: StageOwner, entry: ToxicEntry, next: Sink, randoms: StageRandoms) {
    this.owner = owner;
    this.entry = entry;
    this.next = next;
    this.random = randoms.data;
    this.rolls = randoms.rolls;
    this.state = entry.toxic.newState?.();
  }

  /** Rolls the toxicity and starts the toxic (or noop) on whatever is waiting. */
  start(): void {
    if (this.closed) return;
    this.active = this.rolls() < this.entry.toxicity;
    this.run = (this.active ? this.entry.toxic : NOOP_TOXIC).pipe(this);
    this.run.onInput();
  }

  push(chunk: Chunk): void {
    if (this.closed) {
      this.owner.discard(chunk.data.length);
      return;
    }
    this.queue.push(chunk);
    this.run?.onInput();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.run?.onInput();
  }

  take(): Chunk | null | undefined {
    const q = this.queue;
    if (this.head < q.length) {
      const c = q[this.head];
      q[this.head++] = undefined;
      if (this.head === q.length) {
        q.length = 0;
        this.head = 0;
      }
      return c;
    }
    return this.ended ? null : undefined;
  }

  emit(chunk: Chunk): void {
    if (this.closed) this.owner.discard(chunk.data.length);
    else this.next.push(chunk);
  }

  discard(bytes: number): void {
    this.owner.discard(bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropQueue();
    this.next.end();
  }

  /** Stops the toxic for an update or a removal; false when it cannot be stopped or the stage is closed. */
  interrupt(): boolean {
    if (this.closed || this.run === null) return false;
    if (!this.run.interrupt()) return false;
    this.run = null;
    return true;
  }

  /**
  For a removal, after interrupt(): passes whatever waits here straight on. Returns true when that
  included the end of the input (the stage is then closed, and so is everything after it).
  */
  flush(): boolean {
    for (let c = this.take(); c !== undefined; c = this.take()) {
      if (c === null) {
        this.close();
        return true;
      }
      this.next.push(c);
    }
    return false;
  }

  /** The connection is gone: stop everything, pass nothing on. */
  dispose(): void {
    this.closed = true;
    this.run?.dispose();
    this.run = null;
    this.queue = [];
    this.head = 0;
  }

  private dropQueue(): void {
    let bytes = 0;
    for (let i = this.head; i < this.queue.length; i++) bytes += this.queue[i]!.data.length;
    this.queue = [];
    this.head = 0;
    if (bytes > 0) this.owner.discard(bytes);
  }
}
