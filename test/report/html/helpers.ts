import type { RunResult } from '../../../src/report/run-result.ts';
import { exampleResult } from '../helpers.ts';

/**
The example run (front → store ×2, a latency fault on store-1 at 4s–7s, 4 expectations, one
failed) with what the charts mark added: store-1 ejected by front-0 at 5s and back at 8s, a second
fault that never took effect, and a kill of store-0 at 9s.
*/
export function markedResult(): RunResult {
  const r = exampleResult();
  const t0 = r.timeline.t0;
  r.events.push(
    {
      seq: 90,
      at: t0 + 5000,
      instance: 'front-0',
      type: 'ejected',
      data: { cluster: 'store', endpoint: 'store-1', reason: 'consecutive_5xx', consecutive: 5, threshold: 5, lastStatus: 503, ejectionMs: 3000, timesEjected: 1, multiplier: 1, capped: false },
    },
    { seq: 91, at: t0 + 8000, instance: 'front-0', type: 'unejected', data: { cluster: 'store', endpoint: 'store-1', reason: 'ejection-time-elapsed', ejectedMs: 3000 } },
  );
  r.states.push({ atMs: 9000, instance: 'store-0', state: 'killed', reason: 'SIGKILL sent (fault s0-crash)' });
  const first = r.scenario.faults[0];
  r.scenario.faults.push({ ...first, name: 's0-crash', atMs: 8500, forMs: 1000 });
  r.faults.push({ name: 's0-crash', scheduledAtMs: 8500, startedMs: null, endedMs: null, detail: '' });
  return r;
}
