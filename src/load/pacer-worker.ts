import { parentPort, workerData } from 'node:worker_threads';
import { ArrivalSchedule } from './arrival-schedule.ts';
import { monotonicMs, type PacerMessage, type PacerPlan } from './pacer.ts';

/**
The worker thread of `WorkerPacer`: walks the schedule and posts each intended time when it falls
due. `Atomics.wait` sleeps with sub-millisecond resolution and returns early when the main thread
sets the control word (stop).
*/
const { startAt, phases, arrivals, seed, control } = workerData as PacerPlan & { control: SharedArrayBuffer };
const ctl = new Int32Array(control);
const post = (m: PacerMessage) => parentPort!.postMessage(m);
const schedule = new ArrivalSchedule(phases, arrivals, seed);

run: for (let t = schedule.next(); t !== null; t = schedule.next()) {
  for (;;) {
    if (Atomics.load(ctl, 0) !== 0) break run;
    const wait = startAt + t - monotonicMs();
    if (wait <= 0) break;
    Atomics.wait(ctl, 0, 0, wait);
  }
  post(t);
}
post(null);
