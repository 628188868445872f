import { SeriesRecorder } from '../observe/timeline.ts';
import { type SparseSeries } from '../contract/series.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import { LoadGenerator, type LoadSummary } from './load-generator.ts';

/**
The load generator's own process. The harness polls sidecars, gathers events and writes reports
while the load runs; done in the same event loop, that work would delay the measurement of
responses and inflate the client's latency. Here autocannon has an event loop to itself.

Protocol (IPC): this process sends `ready`; the parent sends `start`, later maybe `stop`; this
process sends `tick` once per second and `done` with the summary and the recorded `client` series,
then exits.
*/
export type LoadCommand =
  | {
      type: 'start';
      url: string;
      host: string;
      path: string;
      phases: LoadPhasePlan[];
      connections: number;
      /** Epoch ms the measured load starts. */
      t0: number;
      /**
      Until t0, warm-up traffic at a low rate opens the keep-alive connections and warms every
      process's JIT; it is recorded before second 0, so no figure counts it.
      */
      warmup: boolean;
      timeoutMs?: number;
    }
  | { type: 'stop' };

export type LoadMessage =
  | { type: 'ready' }
  | { type: 'tick'; second: number; series: SparseSeries }
  | { type: 'done'; summary: LoadSummary; series: SparseSeries };

/** Rate of the warm-up: enough to open the connections and exercise every hop, far below any scenario's own load. */
const WARMUP_RATE = 20;

if (process.send) {
  let generator: LoadGenerator | null = null;
  let stopped = false;
  const send = (m: LoadMessage) => process.send!(m);
  const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: LoadCommand) => {
    if (m.type === 'stop') {
      stopped = true;
      return generator?.stop();
    }
    if (m.type !== 'start' || generator) return;
    const recorder = new SeriesRecorder({ t0: m.t0 });
    const base = { url: m.url, host: m.host, path: m.path, recorder, timeoutMs: m.timeoutMs };
    const warmupMs = m.t0 - Date.now() - 50;
    if (m.warmup && warmupMs > 100) {
      const rate = Math.max(1, Math.min(WARMUP_RATE, m.phases[0]?.rate ?? WARMUP_RATE));
      generator = new LoadGenerator({ ...base, phases: [{ startMs: 0, durationMs: warmupMs, rate }], connections: Math.min(m.connections, rate) });
      await generator.run();
    }
    await sleepUntil(m.t0);
    generator = new LoadGenerator({ ...base, phases: m.phases, connections: m.connections });
    if (stopped) generator.stop();
    let last = -1;
    const ticker = setInterval(() => {
      const second = recorder.second() - 1;
      if (second <= last || second < 0) return;
      last = second;
      send({ type: 'tick', second, series: recorder.toJSON(second) });
    }, 200);
    const summary = await generator.run();
    clearInterval(ticker);
    send({ type: 'done', summary, series: recorder.toJSON(0) });
    process.disconnect();
  });
  send({ type: 'ready' });
}
