import autocannon from 'autocannon';
import { ArrivalSchedule } from '../src/load/arrival-schedule.ts';
import { HttpTarget } from '../src/load/http-target.ts';
import { LOAD_DEFAULTS } from '../src/load/load-defaults.ts';
import { OpenLoopLoad } from '../src/load/open-loop-load.ts';
import { realTimePriority } from '../src/load/real-time-priority.ts';
import { monotonicMs, WorkerPacer, type Pacer, type PacerPlan } from '../src/load/pacer.ts';
import { SocketSender, type SocketTarget } from '../src/load/socket-sender.ts';
import { SeriesRecorder } from '../src/observe/timeline.ts';
import type { Arrivals } from '../src/scenario/scenario.ts';

/**
One engine of `bench/load-arrivals.ts`, in a process of its own as the load of a run is: sends
`rate`/s to `url` for `durationMs` from `start` (monotonicMs), after a second of warm-up, and
reports its CPU time and (open-loop engines) what it says it sent.

Engines:
- `autocannon`: the load generator meshproof had before the open loop: the rate split over ten
  autocannon instances started 100 ms apart, each with `overallRate` (autocannon paces per
  connection per one-second window);
- `timer`: the open loop with a pacer on the main thread's timers (1 ms resolution);
- `worker`: the open loop paced by a worker thread, sent by the main thread through undici (meshproof's
  `via: undici`, the way for https targets);
- `socket`: the open loop as meshproof runs it over plaintext, a thread that paces and writes each
  request itself (SocketSender);
- `socket-rt`: the same, its thread under SCHED_FIFO (MESHPROOF_LOAD_REALTIME=1).
*/
export type Engine = 'autocannon' | 'timer' | 'worker' | 'socket' | 'socket-rt';

export interface EngineArgs {
  engine: Engine;
  url: string;
  arrivals: Arrivals;
  rate: number;
  durationMs: number;
  connections: number;
  /** monotonicMs of the measured start. */
  start: number;
}

export interface EngineResult {
  /** CPU the process used during the measured window, cores. */
  cores: number;
  sent: number | null;
  dropped: number | null;
  latenessP99: number | null;
  /** The sender's own inter-arrival CV of its sends (open-loop engines). */
  senderCv: number | null;
}

/** The main thread's timers as a pacer: each wake-up sends every request that has fallen due. */
class TimerPacer implements Pacer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private end: (() => void) | null = null;
  start(plan: PacerPlan, onDue: (t: number) => void, onEnd: () => void): void {
    const s = new ArrivalSchedule(plan.phases, plan.arrivals, plan.seed);
    let t = s.next();
    this.end = onEnd;
    const tick = () => {
      while (t !== null && plan.startAt + t <= monotonicMs()) {
        onDue(t);
        t = s.next();
      }
      if (t === null) return this.stop();
      this.timer = setTimeout(tick, Math.max(0, plan.startAt + t - monotonicMs()));
    };
    tick();
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    const end = this.end;
    this.end = null;
    end?.();
  }
}

function autocannonSlices(a: EngineArgs, rate: number, durationMs: number, slices: number): Promise<number> {
  let sent = 0;
  const runs: Promise<void>[] = [];
  slices = Math.max(1, Math.min(slices, rate, a.connections));
  for (let i = 0; i < slices; i++) {
    const sliceRate = Math.floor(rate / slices) + (i < rate % slices ? 1 : 0);
    const connections = Math.max(1, Math.floor(a.connections / slices) + (i < a.connections % slices ? 1 : 0));
    const offset = Math.round((i * 1000) / slices);
    runs.push(
      new Promise((r) => setTimeout(r, offset)).then(
        () =>
          new Promise<void>((resolve) => {
            const instance = autocannon({
              url: a.url,
              connections: Math.min(connections, sliceRate),
              overallRate: sliceRate,
              duration: (durationMs - offset) / 1000,
              sampleInt: 50,
            }) as unknown as autocannon.Instance;
            instance.on('response', () => sent++);
            instance.on('done', () => resolve());
          }),
      ),
    );
  }
  return Promise.all(runs).then(() => sent);
}

async function main(a: EngineArgs, thread: WorkerPacer, sender: SocketSender, rtSender: SocketSender): Promise<EngineResult> {
  const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - monotonicMs())));
  if (a.engine === 'autocannon') {
    await autocannonSlices(a, 20, Math.max(100, a.start - monotonicMs() - 100), 1);
    await sleepUntil(a.start);
    const cpu = process.cpuUsage();
    const sent = await autocannonSlices(a, a.rate, a.durationMs, 10);
    const used = process.cpuUsage(cpu);
    return { cores: (used.user + used.system) / 1000 / a.durationMs, sent, dropped: null, latenessP99: null, senderCv: null };
  }
  const url = new URL(a.url);
  const target =
    a.engine === 'socket' || a.engine === 'socket-rt'
      ? ({ sender: a.engine === 'socket' ? sender : rtSender, target: { host: url.hostname, port: Number(url.port), hostHeader: 'bench', path: '/', timeoutMs: 10_000 } } satisfies SocketTarget)
      : new HttpTarget({ url: a.url, host: 'bench', path: '/', connections: a.connections, timeoutMs: 10_000 });
  const worker = a.engine === 'worker' ? thread : null;
  const pacer = () => worker ?? new TimerPacer();
  const warm = new OpenLoopLoad({ target, phases: [{ startMs: 0, durationMs: Math.max(100, a.start - monotonicMs() - 100), rate: 20 }], cap: a.connections, recorder: new SeriesRecorder(), pacer: pacer(), drainMs: 0 });
  await warm.run();
  const load = new OpenLoopLoad({ target, phases: [{ startMs: 0, durationMs: a.durationMs, rate: a.rate }], arrivals: a.arrivals, seed: 11, cap: a.connections, recorder: new SeriesRecorder(), pacer: pacer() });
  // Played 50 ms ahead, as the load process's gap after its warm-up lets the sender's thread collect its garbage first.
  await sleepUntil(a.start - 50);
  const cpu = process.cpuUsage();
  const { honesty: h } = await load.run(a.start);
  const used = process.cpuUsage(cpu);
  if ('destroy' in target) await target.destroy();
  return { cores: (used.user + used.system) / 1000 / a.durationMs, sent: h.sent, dropped: h.dropped.total, latenessP99: h.lateness?.p99 ?? null, senderCv: h.interArrivalCv };
}

if (process.send) {
  // The pacer thread boots before `ready`, as the load process's does.
  // socket-rt: the process at real-time priority, its sender's thread one above, as the load process does with MESHPROOF_LOAD_REALTIME=1.
  if (process.env.ENGINE_REALTIME === '1') realTimePriority(process.pid, LOAD_DEFAULTS.realtimePriority - 1, true);
  const thread = new WorkerPacer();
  const sender = new SocketSender();
  const rtSender = new SocketSender({ realtimePriority: LOAD_DEFAULTS.realtimePriority });
  await thread.ready();
  await sender.ready();
  await rtSender.ready();
  process.once('message', async (a: EngineArgs) => {
    process.send!(await main(a, thread, sender, rtSender));
    await thread.close();
    await sender.close();
    await rtSender.close();
    process.disconnect();
  });
  process.on('disconnect', () => process.exit(0));
  // Everything is imported: the parent sets the start from now, so start-up is never part of the load.
  process.send('ready');
}
