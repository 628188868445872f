import type { Socket } from 'node:net';
import type { Direction } from './direction.ts';
import { LinkStage, type Sink, type StageOwner } from './link-stage.ts';
import type { LinkCounters } from './metrics.ts';
import type { StageRandoms } from './seeds.ts';
import type { ToxicEntry } from './toxic-entry.ts';
import type { Chunk } from './toxics/toxic.ts';

/** Bytes a stage may hold per chunk of buffer before the link stops reading (a socket read is at most 64 KiB). */
const BYTES_PER_BUFFERED_CHUNK = 64 * 1024;

export interface LinkOptions {
  direction: Direction;
  source: Socket;
  dest: Socket;
  counters: LinkCounters;
  randoms(toxic: string): StageRandoms;
  /** The output has ended: the connection closes `dest`. */
  onFinish(link: Link): void;
}

/**
One direction of a connection (Toxiproxy's ToxicLink): bytes read from `source`, through the chain
of toxic stages, written to `dest`. With no toxics, bytes go straight from a read to a write, with
no allocation. Backpressure is TCP's: the source is paused while the destination's buffer is full
or while the chain holds more than its toxics' buffers allow (latency buffers 1024 chunks, as in
Toxiproxy; the others about one).
*/
export class Link implements Sink, StageOwner {
  readonly direction: Direction;
  private readonly source: Socket;
  private readonly dest: Socket;
  private readonly counters: LinkCounters;
  private readonly randoms: (toxic: string) => StageRandoms;
  private readonly onFinish: (link: Link) => void;
  private stages: LinkStage[] = [];
  private inChain = 0;
  private capacity = 0;
  private paused = false;
  private needDrain = false;
  private inputEnded = false;
  /** The output has ended (the destination is being closed). */
  private finished = false;
  private destroyed = false;

  constructor(options: LinkOptions) {
    this.direction = options.direction;
    this.source = options.source;
    this.dest = options.dest;
    this.counters = options.counters;
    this.randoms = options.randoms;
    this.onFinish = options.onFinish;
  }

  /** Builds the chain for the toxics the proxy has now, rolling each one's toxicity for this link. */
  start(entries: readonly ToxicEntry[]): void {
    let next: Sink = this;
    const stages: LinkStage[] = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const stage = new LinkStage(this, entries[i], next, this.randoms(entries[i].name));
      stages.unshift(stage);
      next = stage;
    }
    this.stages = stages;
    this.resize();
    for (const s of stages) s.start();
  }

  /** Toxics active on this link after their last roll, in chain order (for tests and diagnostics). */
  activeToxics(): string[] {
    return this.stages.filter((s) => s.active && !s.closed).map((s) => s.entry.name);
  }

  readonly onData = (buf: Buffer): void => {
    this.counters.received += buf.length;
    if (this.stages.length === 0) {
      this.write(buf);
      return;
    }
    this.inChain += buf.length;
    this.stages[0].push({ data: buf, ts: performance.now() });
    if (this.inChain > this.capacity && !this.paused) {
      this.paused = true;
      this.source.pause();
    }
  };

  /** The source sent FIN, or is gone: the end travels down the chain, then the destination is closed. */
  readonly onEnd = (): void => {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.stages.length === 0) this.end();
    else this.stages[0].end();
  };

  readonly onDrain = (): void => {
    this.needDrain = false;
    this.maybeResume();
  };

  /** From the last stage: a chunk leaves the chain. */
  push(chunk: Chunk): void {
    this.inChain -= chunk.data.length;
    this.write(chunk.data);
    this.maybeResume();
  }

  /** From the last stage: the output has ended. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish(this);
  }

  discard(bytes: number): void {
    this.inChain -= bytes;
    this.maybeResume();
  }

  /** Appends a toxic to this live link (Toxiproxy's ToxicLink.AddToxic). */
  addToxic(entry: ToxicEntry): void {
    if (this.destroyed || this.finished) return;
    const stage = new LinkStage(this, entry, this, this.randoms(entry.name));
    const last = this.stages.at(-1);
    if (last === undefined) {
      this.stages.push(stage);
      this.resize();
      stage.start();
      return;
    }
    // Toxiproxy interrupts the last stub (what it holds goes on to the old output), rewires it
    // to the new one, starts the new one, then restarts the old one: a fresh roll for it too.
    if (!last.interrupt()) return;
    last.next = stage;
    this.stages.push(stage);
    this.resize();
    stage.start();
    last.start();
    this.maybeResume();
  }

  /** Restarts the toxic with its new attributes and toxicity: a fresh roll, state kept. */
  updateToxic(entry: ToxicEntry): void {
    const stage = this.stages.find((s) => s.entry === entry);
    if (stage === undefined || this.destroyed) return;
    if (stage.interrupt()) stage.start();
  }

  /** Takes a toxic out of this live link (Toxiproxy's ToxicLink.RemoveToxic). */
  removeToxic(entry: ToxicEntry): void {
    const k = this.stages.findIndex((s) => s.entry === entry);
    if (k < 0 || this.destroyed) return;
    const stage = this.stages[k];
    if (!stage.interrupt()) return;
    if (entry.toxic.cleanup !== undefined) {
      entry.toxic.cleanup(stage);
      if (stage.closed) return;
    }
    const prev = k > 0 ? this.stages[k - 1] : undefined;
    const prevStopped = prev !== undefined && prev.interrupt();
    // What the previous stage held, and what waits here, goes on unharmed.
    if (stage.flush()) return;
    if (prev !== undefined) prev.next = stage.next;
    this.stages.splice(k, 1);
    stage.dispose();
    this.resize();
    if (prevStopped) prev!.start();
    this.maybeResume();
  }

  /** The connection is gone: timers cleared, nothing more is written. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const s of this.stages) s.dispose();
    this.stages = [];
  }

  private write(buf: Buffer): void {
    const dest = this.dest;
    if (this.destroyed || dest.destroyed || dest.writableEnded) return;
    this.counters.sent += buf.length;
    if (!dest.write(buf)) {
      this.needDrain = true;
      if (!this.paused) {
        this.paused = true;
        this.source.pause();
      }
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.needDrain && this.inChain <= this.capacity) {
      this.paused = false;
      if (!this.source.destroyed) this.source.resume();
    }
  }

  private resize(): void {
    let chunks = 1;
    for (const s of this.stages) chunks += s.entry.toxic.bufferSize + 1;
    this.capacity = chunks * BYTES_PER_BUFFERED_CHUNK;
  }
}
