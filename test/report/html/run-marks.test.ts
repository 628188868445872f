import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import { faultBands, stateMarks, stoppedAtSecond } from '../../../src/report/html/run-marks.ts';
import { markedResult } from './helpers.ts';

describe('faultBands', () => {
  it('when each fault really held; one that never took effect where it was planned, marked so', () => {
    assert.deepEqual(faultBands(markedResult()), [
      { name: 's1-slow', fromMs: 4012, toMs: 7009, applied: true, detail: 'latency toxic (downstream, latency=250 jitter=0) on 1 link(s): front-0→store-1; removed from 1 link(s)', colour: 0 },
      { name: 's0-crash', fromMs: 8500, toMs: 9500, applied: false, detail: 'never took effect', colour: 1 },
    ]);
  });

  it('a fault still on at the end of the run reaches the end', () => {
    const r = markedResult();
    r.faults[0].endedMs = null;
    assert.equal(faultBands(r)[0].toMs, 10_000);
  });
});

describe('stateMarks', () => {
  it("ejections and their end from the callers' sidecars, kills from the harness, by time, about an instance of a service", () => {
    assert.deepEqual(
      stateMarks(markedResult(), describeMeshEvent).map((m) => [m.atMs, m.kind, m.instance, m.service, m.text]),
      [
        [5000, 'ejected', 'store-1', 'store', 'store-1 ejected: 5 consecutive 5xx (last 503), outlierDetection.consecutive5xx = 5; for 3s (ejection 1) (seen by front-0)'],
        [8000, 'returned', 'store-1', 'store', 'store-1 back in store after 3s: its ejection time is over (seen by front-0)'],
        [9000, 'killed', 'store-0', 'store', 'store-0 killed: SIGKILL sent (fault s0-crash)'],
      ],
    );
  });

  it('other sidecar events are not marks', () => {
    const result = markedResult();
    assert.deepEqual(stateMarks({ ...result, events: result.events.filter((e) => e.type !== 'ejected' && e.type !== 'unejected'), states: [] }, describeMeshEvent), []);
  });
});

describe('stoppedAtSecond', () => {
  it('a run that went to its end: none', () => {
    assert.equal(stoppedAtSecond(markedResult()), null);
  });

  it('an interrupted run: the second after the last one the client saw requests in', () => {
    const r = markedResult();
    r.error = 'interrupted: the run was stopped before the end of its load';
    for (let i = 4; i < 10; i++) r.timeline.series.client[i] = { ...r.timeline.series.client[i], requests: 0, ok: 0 };
    assert.equal(stoppedAtSecond(r), 4);
  });
});
