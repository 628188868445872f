import { SeriesRecorder, type SparseSeries } from '../observe/timeline.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import { LoadGenerator, type LoadSummary } from './load-generator.ts';

/**
The load generator's own process. The harness polls sidecars, gathers events and writes reports
while the load runs; done in the same event loop, that work would delay the measurement of
responses and inflate the client's latency. Here autocannon has an event loop to itself.

Protocol (IPC): the parent sends `start`, later maybe `stop`; this process sends `tick` once per
second and `done` with the summary and the recorded `client` series, then exits.
*/
export type LoadCommand =
  | { type: 'start'; url: string; host: string; path: string; phases: LoadPhasePlan[]; connections: number; t0: number; timeoutMs?: number }
  | { type: 'stop' };

export type LoadMessage =
  | { type: 'tick'; second: number; series: SparseSeries }
  | { type: 'done'; summary: LoadSummary; series: SparseSeries };

if (process.send) {
  let generator: LoadGenerator | null = null;
  const send = (m: LoadMessage) => process.send!(m);
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: LoadCommand) => {
    if (m.type === 'stop') return generator?.stop();
    if (m.type !== 'start' || generator) return;
    const recorder = new SeriesRecorder({ t0: m.t0 });
    generator = new LoadGenerator({ url: m.url, host: m.host, path: m.path, phases: m.phases, connections: m.connections, recorder, timeoutMs: m.timeoutMs });
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
  send({ type: 'tick', second: -1, series: {} });
}
