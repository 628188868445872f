import { Worker } from 'node:worker_threads';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';

/** Milliseconds on the process's monotonic clock, with sub-µs resolution; the same clock in every thread of the process. */
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
}

/**
Wakes the dispatcher at each intended send time of a schedule. The real one is `WorkerPacer`; tests
of what the dispatcher does with a wake-up can pass their own.
*/
export interface Pacer {
  /** Calls `onDue` with each request's intended time (ms from the start of the load) when it is due, then `onEnd` once. */
  start(plan: PacerPlan, onDue: (intendedMs: number) => void, onEnd: () => void): void;
  /** No more wake-ups; `onEnd` follows. */
  stop(): void;
}

/** The pacer's messages: an intended time, or null at the end of the schedule. */
export type PacerMessage = number | null;

/**
A pacer whose clock is a worker thread. Node's timers have 1 ms resolution (and fire in the loop's
timer phase, after whatever I/O is being handled), so at 2000/s a timer-driven sender goes in pairs
every millisecond — an inter-arrival CV near 1 instead of 0. The worker sleeps on `Atomics.wait`,
whose timeout has sub-millisecond resolution, and posts each intended time as it falls due; the
message wakes the main thread's event loop at once (measured in docs/load.md). The thread sleeps
between sends, so pacing costs next to no CPU, and it walks the schedule itself, so it never waits
for the main thread.
*/
export class WorkerPacer implements Pacer {
  private worker: Worker | null = null;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));

  start(plan: PacerPlan, onDue: (intendedMs: number) => void, onEnd: () => void): void {
    const worker = new Worker(new URL('./pacer-worker.ts', import.meta.url), { workerData: { ...plan, control: this.control.buffer } });
    this.worker = worker;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.worker = null;
      onEnd();
    };
    worker.on('message', (m: PacerMessage) => {
      if (m === null) {
        void worker.terminate();
        end();
      } else if (!ended) onDue(m);
    });
    worker.on('error', end);
    worker.on('exit', end);
  }

  stop(): void {
    Atomics.store(this.control, 0, 1);
    Atomics.notify(this.control, 0);
  }
}
