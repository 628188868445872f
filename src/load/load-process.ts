import { SeriesRecorder } from '../observe/timeline.ts';
import type { SparseSeries } from '../contract/series.ts';
import type { LoadPlan } from '../plan/plan-scenario.ts';
import { LoadGenerator } from './load-generator.ts';
import type { LoadSummary } from './load-summary.ts';
import { WorkerPacer } from './pacer.ts';
import { realTimePriority } from './real-time-priority.ts';
import { SocketSender } from './socket-sender.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import { LoopDelayMonitor } from '../util/loop-delay-monitor.ts';

/** `gc` of --expose-gc (LOAD_NODE_OPTIONS), when the process has it. */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
The load generator's own process. The harness polls sidecars, gathers events and writes reports
while the load runs; done in the same event loop, that work would delay sends and the measurement
of responses. Here the load has an event loop to itself (and its pacer a thread).

Protocol (IPC): this process sends `ready`; the parent sends `start`, later maybe `stop`; this
process sends `tick` once per second and `done` with the summary and the recorded `client` and
`client:sent` series, then exits.
*/
export type LoadCommand =
  | {
      type: 'start';
      url: string;
      plan: LoadPlan;
      /** Epoch ms the measured load starts. */
      t0: number;
      /**
      Until t0, warm-up traffic at a low rate opens the keep-alive connections and warms every
      process's JIT; it is recorded nowhere, so no figure counts it.
      */
      warmup: boolean;
      timeoutMs?: number;
      /** Keep every request's times in the summary (LoadTrace). */
      trace?: boolean;
    }
  | { type: 'stop' };

/** The load's own figures for one second: requests sent, intended ones dropped, worst lateness (ms). */
export interface LoadSecond {
  sent: number;
  dropped: number;
  latenessMaxMs: number;
}

export type LoadMessage =
  | { type: 'ready' }
  | { type: 'tick'; second: number; series: SparseSeries; load: LoadSecond }
  | { type: 'done'; summary: LoadSummary; series: SparseSeries };

if (process.send) {
  // The pacing thread boots before this process says it is ready, so the harness's own wait
  // (prepare) covers it and the first intended send is never late for it. Its argument says which
  // (RemoteLoadOptions.via).
  const via = process.argv[2] === 'undici' || process.argv[2] === 'socket' ? process.argv[2] : LOAD_DEFAULTS.openLoopVia;
  const pacer = via === 'undici' ? new WorkerPacer() : null;
  // Real-time pacing is asked for by the environment (documented in docs/load.md): a machine-wide
  // choice, not a scenario's, and one that needs root or CAP_SYS_NICE.
  // The whole process first (every thread it has, and those it starts), then the sender's thread
  // above it: a thread at real-time priority alone was still blocked for 10–40 ms at a time with both
  // cores busy, waiting on locks it shares with the process's other threads while those were
  // preempted (docs/load.md); with the rest of the process at the priority below, the holders run.
  const realtime = process.env.MESHPROOF_LOAD_REALTIME === '1';
  const processPriority = realtime ? realTimePriority(process.pid, LOAD_DEFAULTS.realtimePriority - 1, true) : null;
  const sender = via === 'socket' ? new SocketSender({ realtimePriority: realtime ? LOAD_DEFAULTS.realtimePriority : 0 }) : null;
  await pacer?.ready();
  await sender?.ready();
  let generator: LoadGenerator | null = null;
  let stopped = false;
  const send = (m: LoadMessage) => process.send!(m);
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: LoadCommand) => {
    if (m.type === 'stop') {
      stopped = true;
      return generator?.stop();
    }
    if (m.type !== 'start' || generator) return;
    const recorder = new SeriesRecorder({ t0: m.t0 });
    // An https target goes through undici, with a pacer thread of the generator's own.
    generator = new LoadGenerator({ url: m.url, plan: m.plan, recorder, timeoutMs: m.timeoutMs, pacer: pacer ?? undefined, sender: sender ?? undefined, via, trace: m.trace });
    await generator.ready();
    if (stopped) generator.stop();
    if (m.warmup) {
      await generator.warmUp(m.t0 - LOAD_DEFAULTS.warmupGapMs);
      // What start-up and warm-up left is collected now, in the gap, not by the load's first scavenges.
      if (Date.now() < m.t0 - LOAD_DEFAULTS.warmupGapMs / 2) collectGarbage?.();
    }
    let last = -1;
    const ticker = setInterval(() => {
      const second = recorder.second() - 1;
      if (second <= last || second < 0) return;
      last = second;
      send({ type: 'tick', second, series: recorder.toJSON(second), load: generator!.second(second) ?? { sent: 0, dropped: 0, latenessMaxMs: 0 } });
    }, 200);
    // Its own loop's delay over the measured load, judged as the sidecars' are (RunHealth.loadLoop).
    const loop = new LoopDelayMonitor();
    const measuring = setTimeout(() => loop.start(), Math.max(0, m.t0 - Date.now()));
    const summary: LoadSummary = await generator.run(m.t0);
    clearTimeout(measuring);
    loop.stop();
    summary.loopDelay = loop.read();
    summary.sender = { via, priority: sender?.priority ? `${sender.priority} (the rest of the load process: ${processPriority})` : null };
    clearInterval(ticker);
    await generator.close();
    await pacer?.close();
    await sender?.close();
    // Disconnect once the message is written: a large one (a trace) is still queued when send returns.
    process.send!({ type: 'done', summary, series: recorder.toJSON(0) } satisfies LoadMessage, () => process.disconnect());
  });
  send({ type: 'ready' });
}
