import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { evaluateExpectation, evaluateExpectations } from '../../src/verdict/evaluate.ts';
import type { Comparator, Expectation, Scope } from '../../src/scenario/scenario.ts';
import type { Timeline } from '../../src/observe/timeline.ts';
import { expectation, makeScenario, makeTimeline, steady, type Samples } from './helpers.ts';

const client: Scope = { kind: 'client' };
const store: Scope = { kind: 'service', service: 'store' };
const store1: Scope = { kind: 'instance', service: 'store', instance: 'store-1' };
const frontToStore: Scope = { kind: 'edge', from: 'front', to: 'store' };
const frontToStore1: Scope = { kind: 'edge', from: 'front', to: 'store', toInstance: 'store-1' };

function verdict(timeline: Timeline, e: Parameters<typeof expectation>[0]) {
  const scenario = makeScenario();
  return evaluateExpectation(expectation(e), scenario, timeline);
}

/** 1200 client requests over 10s, 5 of them 503 UF in second 3. */
const clientTimeline = makeTimeline(10, [
  ...steady('client', 0, 10, { count: 115, latencyMs: 20 }),
  ...steady('client', 0, 10, { count: 5, latencyMs: 20 }).filter((s) => s.second !== 3),
  { key: 'client', second: 3, count: 5, status: 503, latencyMs: 2, flags: ['UF'] },
]);

describe('evaluateExpectations', () => {
  it('decides every expectation in declaration order', () => {
    const scenario = makeScenario({
      expect: [
        expectation({ metric: 'success_rate', scope: client, op: '>=', value: 0.995 }),
        expectation({ metric: 'success_rate', scope: client, op: '>=', value: 0.999 }),
        expectation({ metric: 'p99', scope: store1, op: '<', value: 100 }),
      ],
    });
    const verdicts = evaluateExpectations(scenario, clientTimeline);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['held', 'failed', 'no_data'],
    );
    assert.equal(verdicts[0].expectation, scenario.expect[0]);
  });
});

describe('metrics on the client', () => {
  it('success_rate is ok / requests, explained with the counts', () => {
    const v = verdict(clientTimeline, { metric: 'success_rate', scope: client, op: '>=', value: 0.995 });
    assert.equal(v.status, 'held');
    assert.equal(v.measured, 1195 / 1200);
    assert.equal(v.explanation, 'success_rate(client) was 99.58% (1195 of 1200 ok) over 0s–10s; needed >= 99.5%');
    assert.deepEqual(v.window, { fromMs: 0, toMs: 10_000 });
  });

  it('a failed success_rate names the errors', () => {
    const v = verdict(clientTimeline, { metric: 'success_rate', scope: client, op: '>=', value: 0.999 });
    assert.equal(v.status, 'failed');
    assert.match(v.explanation, /^success_rate\(client\) was 99\.58% \(1195 of 1200 ok\) over 0s–10s; needed >= 99\.9% \(5 responses were 503 UF\)$/);
  });

  it('error_rate is (requests - ok) / requests', () => {
    const v = verdict(clientTimeline, { metric: 'error_rate', scope: client, op: '<=', value: 0.005 });
    assert.equal(v.measured, 5 / 1200);
    assert.equal(v.status, 'held');
    assert.match(v.explanation, /^error_rate\(client\) was 0\.42% \(5 of 1200 failed\)/);
  });

  it('rps is requests per second of the window', () => {
    const v = verdict(clientTimeline, { metric: 'rps', scope: client, op: '>=', value: 100 });
    assert.equal(v.measured, 120);
    assert.equal(v.status, 'held');
    assert.match(v.explanation, /^rps\(client\) was 120\/s \(1200 requests\) over 0s–10s; needed >= 100\/s$/);
  });

  it('requests is a count', () => {
    const v = verdict(clientTimeline, { metric: 'requests', scope: client, op: '==', value: 1200 });
    assert.equal(v.measured, 1200);
    assert.equal(v.status, 'held');
  });

  it('latency percentiles come from the merged histograms, in ms', () => {
    // 100 requests: 1..100 ms, spread over two seconds.
    const lat = Array.from({ length: 100 }, (_, i) => i + 1);
    const t = makeTimeline(4, [
      { key: 'client', second: 1, latencyMs: lat.slice(0, 50) },
      { key: 'client', second: 2, latencyMs: lat.slice(50) },
    ]);
    const p = (metric: Expectation['metric']) => verdict(t, { metric, scope: client, op: '<', value: 1000 }).measured;
    // Histogram precision is ~1% (log buckets of ratio 1.02).
    assert.ok(Math.abs(p('p50') - 50) / 50 < 0.02, `p50 ${p('p50')}`);
    assert.ok(Math.abs(p('p90') - 90) / 90 < 0.02, `p90 ${p('p90')}`);
    assert.ok(Math.abs(p('p99') - 99) / 99 < 0.02, `p99 ${p('p99')}`);
    assert.equal(p('max'), 100);
  });

  it('a failed latency says what the slowest was and what the errors were', () => {
    const t = makeTimeline(10, [
      ...steady('instance:front-0', 0, 10, { count: 90, latencyMs: 300 }),
      { key: 'instance:front-0', second: 5, count: 37, status: 504, latencyMs: 412, flags: ['UT'] },
    ]);
    const v = verdict(t, { metric: 'p99', scope: { kind: 'service', service: 'front' }, op: '<', value: 250, window: { kind: 'between', fromMs: 2000, toMs: 8000 } });
    assert.equal(v.status, 'failed');
    assert.match(v.explanation, /^p99\(front\) was 4\d\dms over 2s–8s; needed < 250ms \(slowest 412ms; 37 responses were 504 UT\)$/);
    assert.equal(v.evidence.status_504, 37);
    assert.equal(v.evidence.flag_UT, 37);
    assert.equal(v.evidence.max, 412);
  });
});

describe('scopes', () => {
  const t = makeTimeline(10, [
    ...steady('instance:store-0', 0, 10, { count: 6, latencyMs: 5 }),
    ...steady('instance:store-1', 0, 10, { count: 4, latencyMs: 50 }),
    { key: 'instance:store-1', second: 4, count: 10, status: 500, latencyMs: 1 },
    ...steady('edge:front->store', 0, 10, { count: 10, latencyMs: 30, retries: 1 }),
    ...steady('upstream:front->store-0', 0, 10, { count: 6, latencyMs: 5 }),
    ...steady('upstream:front->store-1', 0, 10, { count: 5, latencyMs: 50, retries: 2 }),
    // A series nobody asks about must not leak into another scope.
    ...steady('instance:other-0', 0, 10, { count: 1000 }),
  ]);

  it('service merges the inbound series of all its instances', () => {
    const v = verdict(t, { metric: 'requests', scope: store, op: '>', value: 0 });
    assert.equal(v.measured, 60 + 40 + 10);
    assert.equal(v.evidence['requests_store-0'], 60);
    assert.equal(v.evidence['requests_store-1'], 50);
    const sr = verdict(t, { metric: 'success_rate', scope: store, op: '>=', value: 0.9 });
    assert.equal(sr.measured, 100 / 110);
    assert.equal(sr.evidence.status_500, 10);
  });

  it('instance reads only its own inbound series', () => {
    const v = verdict(t, { metric: 'requests', scope: store1, op: '==', value: 50 });
    assert.equal(v.measured, 50);
    assert.equal(v.status, 'held');
    const p = verdict(t, { metric: 'p50', scope: store1, op: '<=', value: 60 });
    assert.ok(Math.abs(p.measured - 50) / 50 < 0.02);
  });

  it('edge to a service reads the caller-side edge series, retries and retry_ratio included', () => {
    assert.equal(verdict(t, { metric: 'requests', scope: frontToStore, op: '>', value: 0 }).measured, 100);
    assert.equal(verdict(t, { metric: 'retries', scope: frontToStore, op: '<', value: 100 }).measured, 10);
    const r = verdict(t, { metric: 'retry_ratio', scope: frontToStore, op: '<=', value: 0.2 });
    assert.equal(r.measured, 0.1);
    assert.equal(r.status, 'held');
    assert.match(r.explanation, /^retry_ratio\(front -> store\) was 10% \(10 retries for 100 requests\) over 0s–10s; needed <= 20%$/);
  });

  it('edge to an instance reads the upstream series of that instance', () => {
    const v = verdict(t, { metric: 'requests', scope: frontToStore1, op: '==', value: 0 });
    assert.equal(v.measured, 50);
    assert.equal(v.status, 'failed');
    assert.match(v.explanation, /^requests\(front -> store-1\) was 50 over 0s–10s; needed == 0$/);
    assert.equal(verdict(t, { metric: 'retries', scope: frontToStore1, op: '>=', value: 0 }).measured, 20);
  });

  it('a service the scenario does not declare has no data', () => {
    const v = verdict(t, { metric: 'success_rate', scope: { kind: 'service', service: 'other' }, op: '>=', value: 0.9 });
    assert.equal(v.status, 'no_data');
    assert.match(v.explanation, /other is not a service of this scenario/);
  });
});

describe('windows', () => {
  // second s has s+1 requests: 1, 2, …, 10.
  const t = makeTimeline(10, Array.from({ length: 10 }, (_, s): Samples => ({ key: 'client', second: s, count: s + 1 })));
  const between = (fromMs: number, toMs: number) => ({ kind: 'between' as const, fromMs, toMs });

  it('between 2s and 8s counts exactly seconds 2..7', () => {
    const v = verdict(t, { metric: 'requests', scope: client, op: '>', value: 0, window: between(2000, 8000) });
    assert.equal(v.measured, 3 + 4 + 5 + 6 + 7 + 8);
    assert.deepEqual(v.window, { fromMs: 2000, toMs: 8000 });
    assert.equal(v.evidence.window_s, 6);
    const rps = verdict(t, { metric: 'rps', scope: client, op: '>', value: 0, window: between(2000, 8000) });
    assert.equal(rps.measured, 33 / 6);
  });

  it('an unaligned window covers the seconds it touches', () => {
    const v = verdict(t, { metric: 'requests', scope: client, op: '>', value: 0, window: between(2500, 7200) });
    assert.equal(v.measured, 33);
    assert.deepEqual(v.window, { fromMs: 2000, toMs: 8000 });
  });

  it('run is the whole scenario duration, clamped to the timeline when the run stopped early', () => {
    assert.equal(verdict(t, { metric: 'requests', scope: client, op: '>', value: 0 }).measured, 55);
    const short = makeTimeline(4, Array.from({ length: 4 }, (_, s): Samples => ({ key: 'client', second: s })));
    const v = verdict(short, { metric: 'rps', scope: client, op: '>', value: 0 });
    assert.deepEqual(v.window, { fromMs: 0, toMs: 4000 });
    assert.equal(v.measured, 1);
  });

  it('a window outside the timeline has no data, even for counts', () => {
    const v = verdict(t, { metric: 'requests', scope: client, op: '==', value: 0, window: between(20_000, 30_000) });
    assert.equal(v.status, 'no_data');
    assert.ok(Number.isNaN(v.measured));
    assert.match(v.explanation, /the window 20s–30s lies outside the run's timeline \(0s–10s\)/);
  });
});

describe('no data', () => {
  const t = makeTimeline(10, [
    ...steady('client', 0, 10, { count: 10 }),
    ...steady('instance:front-0', 0, 10, { count: 10 }),
    ...steady('instance:store-0', 0, 10, { count: 10 }),
    ...steady('edge:front->store', 0, 10, { count: 10 }),
    ...steady('upstream:front->store-0', 0, 10, { count: 10 }),
  ]);
  const w = { kind: 'between' as const, fromMs: 2000, toMs: 8000 };

  it('a ratio or latency with no requests is no_data with NaN and a likely reason', () => {
    for (const metric of ['success_rate', 'error_rate', 'retry_ratio', 'p50', 'p90', 'p99', 'max'] as const) {
      const v = verdict(t, { metric, scope: store1, op: '<', value: 250, window: w });
      assert.equal(v.status, 'no_data', metric);
      assert.ok(Number.isNaN(v.measured), metric);
      assert.match(
        v.explanation,
        new RegExp(`^nothing was measured for ${metric}\\(store-1\\): no request reached store-1 in 2s–8s while the other instances of store received 60 \\(likely ejected, down or unreachable\\); needed < `),
      );
      assert.equal(v.evidence.requests, 0);
    }
  });

  it('counts and rps of zero are real measurements', () => {
    const r = verdict(t, { metric: 'requests', scope: store1, op: '==', value: 0, window: w });
    assert.equal(r.status, 'held');
    assert.equal(r.measured, 0);
    assert.equal(verdict(t, { metric: 'retries', scope: store1, op: '==', value: 0, window: w }).status, 'held');
    const rps = verdict(t, { metric: 'rps', scope: store1, op: '<', value: 1, window: w });
    assert.equal(rps.status, 'held');
    assert.equal(rps.measured, 0);
  });

  it('names the likely reason for each kind of scope', () => {
    const empty = makeTimeline(10, []);
    const reason = (scope: Scope, timeline = empty) =>
      verdict(timeline, { metric: 'success_rate', scope, op: '>=', value: 0.99, window: w }).explanation;
    assert.match(reason(client), /: the load generator completed no request in 2s–8s;/);
    assert.match(reason(store), /: no request reached any instance of store in 2s–8s;/);
    assert.match(reason({ kind: 'service', service: 'front' }), /no request reached any instance of front in 2s–8s;/);
    assert.match(reason(frontToStore), /: front made no calls to store in 2s–8s \(front itself received no requests\);/);
    assert.match(reason({ kind: 'edge', from: 'store', to: 'front' }), /store made no calls to front in 2s–8s \(store does not call front\);/);
    assert.match(reason({ kind: 'edge', from: 'client', to: 'store' }), /\(the load goes to front, not store\)/);
    assert.match(reason(frontToStore1, t), /: front sent no request to store-1 in 2s–8s while front -> store carried 60 \(likely ejected, down or unreachable\);/);
    assert.match(reason({ kind: 'instance', service: 'store', instance: 'store-7' }), /\(store has no instance store-7\)/);
  });

  it('a scope nothing calls says so', () => {
    const scenario = makeScenario();
    scenario.services[1].calls = [];
    scenario.services[0].calls = [];
    const v = evaluateExpectation(expectation({ metric: 'p99', scope: store, op: '<', value: 100 }), scenario, makeTimeline(10, []));
    assert.match(v.explanation, /\(nothing in the scenario calls store\)/);
  });

  it('a latency over requests that all got no response is no_data', () => {
    const errs = makeTimeline(10, steady('client', 0, 10, { count: 3, status: 'error', latencyMs: NaN }));
    const v = verdict(errs, { metric: 'p99', scope: client, op: '<', value: 100 });
    assert.equal(v.status, 'no_data');
    assert.equal(v.evidence.status_error, 30);
    assert.equal(v.evidence.p99, undefined);
    assert.match(v.explanation, /all 30 requests to client in 0s–10s got no response, so there is no latency to measure/);
    // …while the success rate over them is a real 0%.
    const sr = verdict(errs, { metric: 'success_rate', scope: client, op: '>=', value: 0.5 });
    assert.equal(sr.status, 'failed');
    assert.equal(sr.measured, 0);
    assert.match(sr.explanation, /\(30 requests got no response\)$/);
  });
});

describe('comparators', () => {
  // 1195 / 1200 = 0.995833…; 120 rps exactly.
  const cases: [Expectation['metric'], Comparator, number, boolean][] = [
    ['rps', '<', 121, true],
    ['rps', '<', 120, false],
    ['rps', '<=', 120, true],
    ['rps', '<=', 119.9, false],
    ['rps', '>', 119, true],
    ['rps', '>', 120, false],
    ['rps', '>=', 120, true],
    ['rps', '>=', 120.1, false],
    ['rps', '==', 120, true],
    ['rps', '==', 121, false],
    ['rps', '!=', 121, true],
    ['rps', '!=', 120, false],
    // Floating point only: a ratio written as 1195/1200 by a different route still equals it…
    ['success_rate', '==', 0.9958333333333333 + 1e-12, true],
    ['success_rate', '<', 0.9958333333333333 + 1e-12, false],
    ['success_rate', '>=', 0.9958333333333333 + 1e-12, true],
    // …but a real difference is not swallowed.
    ['success_rate', '>=', 0.99584, false],
    ['success_rate', '!=', 0.99584, true],
  ];
  for (const [metric, op, value, holds] of cases) {
    it(`${metric} ${op} ${value} ${holds ? 'holds' : 'fails'}`, () => {
      const v = verdict(clientTimeline, { metric, scope: client, op, value });
      assert.equal(v.status, holds ? 'held' : 'failed');
    });
  }

  it('never prints a failing value the same as its threshold', () => {
    const t = makeTimeline(1, [
      { key: 'client', second: 0, count: 99_499 },
      { key: 'client', second: 0, count: 501, status: 503 },
    ]);
    const v = verdict(t, { metric: 'success_rate', scope: client, op: '>=', value: 0.995 });
    assert.equal(v.status, 'failed');
    assert.match(v.explanation, /was 99\.499% .*needed >= 99\.5%/);
  });
});

describe('evidence', () => {
  it('carries the raw numbers, statuses and flags', () => {
    const t = makeTimeline(10, [
      ...steady('edge:front->store', 0, 10, { count: 9, latencyMs: 10, retries: 1 }),
      { key: 'edge:front->store', second: 4, count: 12, status: 503, latencyMs: 1, flags: ['UO'] },
      { key: 'edge:front->store', second: 5, count: 4, status: 504, latencyMs: 100, flags: ['UT'] },
    ]);
    const v = verdict(t, { metric: 'success_rate', scope: frontToStore, op: '>=', value: 0.9 });
    assert.deepEqual(
      { ...v.evidence, p50: undefined, p90: undefined, p99: undefined },
      {
        window_s: 10,
        requests: 106,
        ok: 90,
        errors: 16,
        retries: 10,
        p50: undefined,
        p90: undefined,
        p99: undefined,
        max: 100,
        status_200: 90,
        status_503: 12,
        status_504: 4,
        flag_UO: 12,
        flag_UT: 4,
      },
    );
    assert.ok(Math.abs(v.evidence.p50 - 10) < 0.2);
    assert.ok(Math.abs(v.evidence.p99 - 100) < 2);
    assert.match(v.explanation, /\(12 responses were 503, 4 were 504; flags UO 12, UT 4\)$/);
  });
});

describe('latency over requests of which some got no response', () => {
  it('says how many requests the percentile covers', () => {
    const t = makeTimeline(10, [
      ...steady('client', 0, 10, { count: 3, status: 'error', latencyMs: NaN }),
      ...steady('client', 0, 10, { count: 7, latencyMs: 20 }),
    ]);
    const v = verdict(t, { metric: 'p99', scope: client, op: '<', value: 100 });
    assert.equal(v.status, 'held');
    assert.equal(v.explanation, 'p99(client) was 20ms (70 of 100 requests got a response) over 0s–10s; needed < 100ms');
  });

  it('an instance of a service nobody reached says so', () => {
    const v = verdict(makeTimeline(10, []), { metric: 'p99', scope: store1, op: '<', value: 100 });
    assert.equal(v.explanation, 'nothing was measured for p99(store-1): no request reached store-1 in 0s–10s (no instance of store received any); needed < 100ms');
  });
});
