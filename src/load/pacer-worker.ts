import { parentPort, workerData } from 'node:worker_threads';
import { ArrivalSchedule } from './arrival-schedule.ts';
import { monotonicMs, type PacerCommand, type PacerMessage } from './pacer.ts';

/**
The thread of `WorkerPacer`: for each plan it is sent, walks the schedule and posts each intended
time when it falls due, then `end` with how late it posted each. `Atomics.wait` sleeps with sub-millisecond resolution and
returns early when the main thread sets the control word (stop). Between plans the thread's event
loop waits for the next one.
*/
const ctl = new Int32Array((workerData as { control: SharedArrayBuffer }).control);
const post = (m: PacerMessage) => parentPort!.postMessage(m);

parentPort!.on('message', (m: PacerCommand) => {
  const { startAt, phases, arrivals, seed, record } = m.plan;
  const schedule = new ArrivalSchedule(phases, arrivals, seed);
  // How late each intended time was posted (the thread woke late, or caught up after a stall):
  // what the kernel's scheduling did to the load, apart from what the sending thread did.
  const late: number[] | null = record ? [] : null;
  play: for (let t = schedule.next(); t !== null; t = schedule.next()) {
    for (;;) {
      if (Atomics.load(ctl, 0) !== 0) break play;
      const wait = startAt + t - monotonicMs();
      if (wait <= 0) break;
      Atomics.wait(ctl, 0, 0, wait);
    }
    late?.push(monotonicMs() - startAt - t);
    post(t);
  }
  post({ type: 'end', wakeLateMs: late });
});
post({ type: 'ready' });
