import { Worker } from 'node:worker_threads';
import { codeLayout } from '../util/code-layout.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import type { PacerPlan } from './pacer.ts';

/** Where a SocketSender sends: a plaintext HTTP/1.1 listener on this machine, and the request it repeats. */
export interface SenderTarget {
  host: string;
  port: number;
  /** Sent as the Host header (the service the requests are for). */
  hostHeader: string;
  path: string;
  /** A request with no complete response this long after it was written fails with `timeout`, ms. */
  timeoutMs: number;
}

/** An open-loop load's target when its requests are written by the sender's thread (OpenLoopLoad's fast path). */
export interface SocketTarget {
  sender: SocketSender;
  target: SenderTarget;
}

/** One play of a schedule, main thread → sender thread. */
export interface SenderPlay {
  id: number;
  plan: PacerPlan;
  target: SenderTarget;
  /** Most requests in flight (connections open at most); a request finding this many is dropped. */
  cap: number;
  /** A request reached later than this after its intended time is dropped, ms. */
  lateBudgetMs: number;
  /** Idle connections kept open ahead of the requests: the peak rate's requests in this many ms (LOAD_DEFAULTS.spareConnectionsMs). */
  spareMs: number;
}

export type SenderCommand = { type: 'play'; play: SenderPlay } | { type: 'stop' };
export type SenderMessage = { type: 'ready'; priority: string | null } | { type: 'records'; records: Float64Array; kinds: string[] } | { type: 'end'; play: number };

/**
The layout of a record the sender thread posts (RECORD.size numbers: type, play, intended, t1, t2, v,
wait; times in ms from the play's start):
- sent: t1 when the thread reached the request, t2 when it wrote it, v requests in flight after it,
  wait the time the machine had kept the thread from running by then: its total wait for a core, and
  how much later than their due time its waits for one returned beyond that (NaN unless recording);
- dropped: t1 when reached, v 0 at the cap, 1 late; wait as above;
- done: t1 when the request reached the socket, t2 when its response ended, v its status, or -(k+1)
  for an error of kind `kinds[k]` of the same batch.
*/
export const RECORD = { sent: 0, dropped: 1, done: 2, size: 7 } as const;

/** What a play reports, as the sender thread's records come in. */
export interface SenderSink {
  sent(intended: number, reached: number, wrote: number, inFlight: number, waitMs: number): void;
  dropped(intended: number, reached: number, reason: 'cap' | 'late', waitMs: number): void;
  done(intended: number, wrote: number, doneAt: number, code: number | 'error', kind: string | null): void;
}

/**
The open loop's pacer and sender in one thread: it owns keep-alive connections to the target and
writes each request itself at its intended time (socket-sender-worker.ts). The `WorkerPacer` posts
each time to the main thread, which then sends through undici; measured at the kernel, that hand-off
and undici's write added most of the spread left at 2000/s (docs/load.md). Plaintext HTTP/1.1 only.

Boot it (`ready()`) before the schedule starts and reuse it for the next play (the warm-up, then the
load): the connections the warm-up opened are the ones the load uses.
*/
export class SocketSender {
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly booted: Promise<void>;
  /** Sinks of the plays whose responses may still come (the warm-up's last ones arrive during the load). */
  private readonly sinks = new Map<number, SenderSink>();
  private ending: { id: number; resolve: () => void } | null = null;
  private lastId = 0;
  private closed = false;
  /** What the kernel granted the thread when a real-time priority was asked for (`SCHED_FIFO 1`, or `refused: …`); null when none was. */
  priority: string | null = null;

  /**
  @param o.realtimePriority Run the sender's thread (only it) under SCHED_FIFO at this priority (1–99), so
  the kernel wakes it on time whatever else runs; 0 leaves it to the normal scheduler. Needs root or
  CAP_SYS_NICE: otherwise it runs as without, and `priority` says why. @default 0
  */
  constructor(o: { realtimePriority?: number } = {}) {
    this.worker = new Worker(codeLayout.file('load/socket-sender-worker.ts'), { workerData: { control: this.control.buffer, realtimePriority: o.realtimePriority ?? 0 } });
    // Idle between plays, it must not keep the process alive.
    this.worker.unref();
    this.booted = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: SenderMessage) => {
        if (m.type === 'records') this.deliver(m.records, m.kinds);
        else if (m.type === 'ready') {
          this.priority = m.priority;
          resolve();
        }
        else if (this.ending?.id === m.play) this.end();
      });
    });
    this.worker.on('exit', () => this.end());
    this.worker.on('error', () => this.end());
  }

  /** Resolves once the thread is up and can keep time. */
  ready(): Promise<void> {
    return this.booted;
  }

  /** Plays `plan` against `target`; resolves when the schedule is over (responses may still come to `sink`). */
  play(target: SenderTarget, plan: PacerPlan, cap: number, lateBudgetMs: number, sink: SenderSink): Promise<void> {
    if (this.ending) throw new Error('SocketSender: a plan is already playing');
    if (this.closed) return Promise.resolve();
    const id = ++this.lastId;
    this.sinks.set(id, sink);
    this.sinks.delete(id - 2);
    Atomics.store(this.control, 0, 0);
    return new Promise((resolve) => {
      this.ending = { id, resolve };
      this.worker.postMessage({ type: 'play', play: { id, plan, target, cap, lateBudgetMs, spareMs: LOAD_DEFAULTS.spareConnectionsMs } } satisfies SenderCommand);
    });
  }

  /** No more requests for the plan playing; its `play()` resolves. */
  stop(): void {
    Atomics.store(this.control, 0, 1);
    Atomics.notify(this.control, 0);
    if (this.ending && !this.closed) this.worker.postMessage({ type: 'stop' } satisfies SenderCommand);
  }

  /** Ends the thread and closes its connections (requests in flight get no answer). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.worker.terminate();
    this.end();
  }

  private end(): void {
    const e = this.ending;
    this.ending = null;
    e?.resolve();
  }

  private deliver(r: Float64Array, kinds: string[]): void {
    for (let i = 0; i < r.length; i += RECORD.size) {
      const sink = this.sinks.get(r[i + 1]);
      if (!sink) continue;
      const type = r[i];
      const intended = r[i + 2];
      if (type === RECORD.sent) sink.sent(intended, r[i + 3], r[i + 4], r[i + 5], r[i + 6]);
      else if (type === RECORD.dropped) sink.dropped(intended, r[i + 3], r[i + 5] === 0 ? 'cap' : 'late', r[i + 6]);
      else {
        const v = r[i + 5];
        sink.done(intended, r[i + 3], r[i + 4], v < 0 ? 'error' : v, v < 0 ? kinds[-v - 1] : null);
      }
    }
  }
}
