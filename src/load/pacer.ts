import { Worker } from 'node:worker_threads';
import { codeLayout } from '../util/code-layout.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';

/** Milliseconds on the process's monotonic clock, with sub-µs resolution; the same clock in every thread (and process) of the machine. */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}

/** What a pacer plays: the schedule of one open-loop load, starting at `startAt` (monotonicMs). */
export interface PacerPlan {
  startAt: number;
  phases: LoadPhasePlan[];
  arrivals: Arrivals;
  seed: number;
  /** Keep how late each intended time was posted, for `onEnd` (a number per request). @default false */
  record?: boolean;
}

/**
Wakes the dispatcher at each intended send time of a schedule. The real one is `WorkerPacer`; tests
of what the dispatcher does with a wake-up can pass their own.
*/
export interface Pacer {
  /**
  Calls `onDue` with each request's intended time (ms from the start of the load) when it is due,
  then `onEnd` once, with how late (ms) the pacer posted each intended time it reached, in schedule
  order, when it kept that record (null when it did not, or was closed before the end).
  */
  start(plan: PacerPlan, onDue: (intendedMs: number) => void, onEnd: (wakeLateMs?: readonly number[] | null) => void): void;
  /** No more wake-ups for the plan playing; its `onEnd` follows. */
  stop(): void;
}

/** Main thread → pacer thread. */
export type PacerCommand = { type: 'play'; plan: PacerPlan };
/** Pacer thread → main thread: ready once booted, then for each plan its intended times as they fall due, and `end`. */
export type PacerMessage = number | { type: 'ready' } | { type: 'end'; wakeLateMs: number[] | null };

/**
A pacer whose clock is a worker thread. Node's timers have 1 ms resolution (and fire in the loop's
timer phase, after whatever I/O is being handled), so at 2000/s a timer-driven sender goes in pairs
every millisecond — an inter-arrival CV near 1 instead of 0. The thread sleeps on `Atomics.wait`,
whose timeout has sub-millisecond resolution, and posts each intended time as it falls due; the
message wakes the main thread's event loop at once (measured in docs/load.md). It sleeps between
sends, so pacing costs next to no CPU, and it walks the schedule itself, never waiting for the main
thread.

A thread takes tens of milliseconds to boot (more on a busy machine): create the pacer and await
`ready()` before the schedule starts, and reuse it for the next plan (the warm-up, then the load).
*/
export class WorkerPacer implements Pacer {
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private readonly booted: Promise<void>;
  private current: { onDue: (t: number) => void; onEnd: (wakeLateMs?: readonly number[] | null) => void } | null = null;
  private closed = false;

  constructor() {
    this.worker = new Worker(codeLayout.file('load/pacer-worker.ts'), { workerData: { control: this.control.buffer } });
    // Idle between plans, it must not keep the process alive.
    this.worker.unref();
    this.booted = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: PacerMessage) => {
        if (typeof m === 'number') this.current?.onDue(m);
        else if (m.type === 'ready') resolve();
        else this.end(m.wakeLateMs);
      });
    });
    this.worker.on('exit', () => this.end(null));
    this.worker.on('error', () => this.end(null));
  }

  /** Resolves once the thread is up and can keep time. */
  ready(): Promise<void> {
    return this.booted;
  }

  start(plan: PacerPlan, onDue: (intendedMs: number) => void, onEnd: (wakeLateMs?: readonly number[] | null) => void): void {
    if (this.current) throw new Error('WorkerPacer: a plan is already playing');
    if (this.closed) return onEnd(null);
    this.current = { onDue, onEnd };
    Atomics.store(this.control, 0, 0);
    this.worker.postMessage({ type: 'play', plan } satisfies PacerCommand);
  }

  stop(): void {
    Atomics.store(this.control, 0, 1);
    Atomics.notify(this.control, 0);
  }

  /** Ends the thread (a plan playing ends too). */
  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.worker.terminate();
    this.end(null);
  }

  private end(wakeLateMs: readonly number[] | null): void {
    const c = this.current;
    this.current = null;
    c?.onEnd(wakeLateMs);
  }
}
