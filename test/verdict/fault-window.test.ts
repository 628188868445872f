// A fault window reads the seconds at least half inside it, for a fault of any length; a window that
// covers no second by half is too short to judge (no data), never judged on a whole second it barely touched.
import { describe, expect, test } from 'vitest';
import type { Fault } from '../../src/scenario/scenario.ts';
import { evaluateExpectation } from '../../src/verdict/evaluate.ts';
import type { RunFacts } from '../../src/verdict/verdict.ts';
import { bucketRange } from '../../src/verdict/window.ts';
import { expectation, makeScenario, makeTimeline, steady, T0 } from './helpers.ts';

const timeline = { seconds: 10 };
const half = (fromMs: number, toMs: number) => bucketRange({ fromMs, toMs }, timeline, 'half');

describe('half rounding: the seconds at least half inside the window', () => {
  test('whole seconds are read as they are', () => {
    expect(half(2000, 8000)).toEqual({ first: 2, end: 8 });
    expect(half(9000, 10_000)).toEqual({ first: 9, end: 10 });
  });

  test('an edge a little past a second does not take that second; one a little before it does', () => {
    expect(half(5004, 13_004)).toEqual({ first: 5, end: 10 });
    expect(half(5004, 9004)).toEqual({ first: 5, end: 9 });
    expect(half(4996, 8996)).toEqual({ first: 5, end: 9 });
    expect(half(8600, 9900)).toEqual({ first: 9, end: 10 });
  });

  test('exactly half a second counts, at either edge', () => {
    expect(half(2500, 6000)).toEqual({ first: 2, end: 6 });
    expect(half(2000, 5500)).toEqual({ first: 2, end: 6 });
    expect(half(2501, 5499)).toEqual({ first: 3, end: 5 });
  });

  test('a fault under a second takes the one second it covers by at least half', () => {
    expect(half(8200, 8900)).toEqual({ first: 8, end: 9 });
    expect(half(8000, 8500)).toEqual({ first: 8, end: 9 });
    expect(half(8600, 9700)).toEqual({ first: 9, end: 10 });
  });

  test('a fault covering no second by half is too short to judge', () => {
    // The 1 ms toxic at 9.999 s of issue 16: it must not judge the whole of second 9.
    expect(half(9999, 10_000)).toEqual({ first: 9, end: 9, tooShort: true });
    expect(half(8000, 8499)).toEqual({ first: 8, end: 8, tooShort: true });
    // 0.6 s across a boundary: 0.3 s of each second.
    expect(half(8700, 9300)).toEqual({ first: 8, end: 8, tooShort: true });
    expect(half(0, 1)).toEqual({ first: 0, end: 0, tooShort: true });
  });

  test('outside the timeline is not "too short", and cover rounding is unchanged', () => {
    expect(half(12_000, 12_300)).toEqual({ first: 10, end: 10 });
    expect(half(-3000, -2000)).toEqual({ first: 0, end: 0 });
    expect(bucketRange({ fromMs: 9999, toMs: 10_000 }, timeline, 'cover')).toEqual({ first: 9, end: 10 });
    expect(bucketRange({ fromMs: 8700, toMs: 9300 }, timeline, 'cover')).toEqual({ first: 8, end: 10 });
  });
});

describe('an expectation during a short fault', () => {
  const store = { kind: 'service', service: 'store' } as const;
  const toxic = (name: string, atMs: number, forMs: number): Fault => ({
    name,
    atMs,
    forMs,
    target: { kind: 'service', service: 'store' },
    action: { kind: 'toxic', toxic: { type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } } },
    line: 1,
    col: 1,
  });
  // Second 9 is slow; the others are fast.
  const t = makeTimeline(10, [...steady('instance:store-0', 0, 9, { count: 10, latencyMs: 5 }), ...steady('instance:store-0', 9, 10, { count: 10, latencyMs: 900 })]);
  const facts = (name: string, startedMs: number, endedMs: number): RunFacts => ({
    t0: T0,
    faults: [{ name, scheduledAtMs: startedMs, startedMs, endedMs, detail: '' }],
    events: [],
    states: [],
  });

  test('a 1 ms toxic at 9.999 s is too short to judge, not judged on the whole second 9', () => {
    const scenario = makeScenario({ faults: [toxic('blip', 9999, 1)] });
    const e = expectation({ metric: 'p99', scope: store, op: '<', value: 100, window: { kind: 'during', fault: 'blip', fromOffsetMs: 0 } });
    const v = evaluateExpectation(e, scenario, t, facts('blip', 9999, 10_000));
    expect(v.status).toBe('no_data');
    expect(v.explanation).toBe(
      'nothing was measured for p99(store): the window during blip (9.999s–10s) lasts 1ms and covers no second by at least half; results are kept per second, so it is too short to judge; needed < 100ms',
    );
  });

  test('a 700 ms fault is judged on the one second it covers by at least half', () => {
    const scenario = makeScenario({ faults: [toxic('slow', 9200, 700)] });
    const e = expectation({ metric: 'p99', scope: store, op: '<', value: 100, window: { kind: 'during', fault: 'slow', fromOffsetMs: 0 } });
    const v = evaluateExpectation(e, scenario, t, facts('slow', 9200, 9900));
    expect(v.status).toBe('failed');
    expect(v.window).toEqual({ fromMs: 9000, toMs: 10_000 });
    expect(v.evidence.requests).toBe(10);
  });

  test('a fault from 8.6 s reads from second 9, not the 0.4 s of second 8 before it', () => {
    const scenario = makeScenario({ faults: [toxic('late', 8600, 1400)] });
    const e = expectation({ metric: 'requests', scope: { kind: 'instance', service: 'store', instance: 'store-0' }, op: '>', value: 0, window: { kind: 'during', fault: 'late', fromOffsetMs: 0 } });
    const v = evaluateExpectation(e, scenario, t, facts('late', 8600, 10_000));
    expect(v.window).toEqual({ fromMs: 9000, toMs: 10_000 });
    expect(v.measured).toBe(10);
  });
});
