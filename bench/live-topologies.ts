import type { StartedTopology } from '../src/runtime/runtime.ts';

/**
Runs a benchmark's rounds with the topologies it has up tracked in `live` (add each once started,
delete it once stopped): Ctrl-C or SIGTERM stops every one still live and exits 130, and whatever
`rounds` ends with, success or a throw, nothing it started is left running.
*/
export async function withLiveTopologies<T>(rounds: (live: Set<StartedTopology>) => Promise<T>): Promise<T> {
  const live = new Set<StartedTopology>();
  const stopAll = () => Promise.all([...live].map((t) => t.stop()));
  const onSignal = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await rounds(live);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}
