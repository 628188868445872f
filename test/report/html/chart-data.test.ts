import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { chartData, figures } from '../../../src/report/html/chart-data.ts';
import { Histogram } from '../../../src/contract/histogram.ts';
import { exampleResult } from '../helpers.ts';

describe('chartData', () => {
  it('the client, the edges in call order, then the services', () => {
    const scopes = chartData(exampleResult());
    assert.deepEqual(
      scopes.map((s) => [s.kind, s.key, s.services]),
      [
        ['client', 'client', ['front', 'store']],
        ['edge', 'edge:client->front', ['front']],
        ['edge', 'edge:front->store', ['store']],
        ['service', 'service:front', ['front']],
        ['service', 'service:store', ['store']],
      ],
    );
    for (const s of scopes) assert.equal(s.seconds.length, 10, s.key);
  });

  it("a service is its instances' inbound series merged, second by second", () => {
    const r = exampleResult();
    const store = chartData(r).find((s) => s.key === 'service:store')!;
    const s0 = r.timeline.series['instance:store-0'];
    const s1 = r.timeline.series['instance:store-1'];
    assert.deepEqual(store.instances?.map((x) => x.instance), ['store-0', 'store-1']);
    assert.deepEqual(store.instances?.[1].seconds.map((f) => f.requests), s1.map((b) => b.requests));
    for (let i = 0; i < 10; i++) {
      assert.equal(store.seconds[i].requests, s0[i].requests + s1[i].requests);
      assert.equal(store.seconds[i].errors, s0[i].requests - s0[i].ok + s1[i].requests - s1[i].ok);
      const merged = Histogram.from(s0[i].latency).merge(s1[i].latency);
      assert.equal(store.seconds[i].p99, merged.quantile(0.99));
    }
  });

  it('an edge carries its retries and latency percentiles in order', () => {
    const edge = chartData(exampleResult()).find((s) => s.key === 'edge:front->store')!;
    assert.ok(edge.seconds.some((f) => f.retries > 0));
    for (const f of edge.seconds) if (f.requests) assert.ok(f.p50 <= f.p90 && f.p90 <= f.p99, JSON.stringify(f));
  });
});

describe('figures', () => {
  it('errors are 5xx and no response; a second with nothing in it has no rate and no latency', () => {
    const h = new Histogram();
    for (const ms of [1, 2, 3, 4, 100]) h.record(ms);
    const f = figures({ requests: 6, ok: 4, status: { 200: 4, 503: 1, error: 1 }, flags: {}, retries: 2, latency: h.toJSON() });
    assert.equal(f.errors, 2);
    assert.equal(f.errorRate, 2 / 6);
    assert.equal(f.retries, 2);
    assert.equal(f.p99, 100);
    const empty = figures(undefined);
    assert.equal(empty.requests, 0);
    assert.ok(Number.isNaN(empty.errorRate) && Number.isNaN(empty.p50));
  });
});
