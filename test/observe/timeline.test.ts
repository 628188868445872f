import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { SeriesRecorder } from '../../src/observe/timeline.ts';

describe('SeriesRecorder', () => {
  it('keeps each series and second apart when samples of several series interleave', () => {
    let now = 10_000;
    const r = new SeriesRecorder({ t0: 10_000, now: () => now });
    r.add('edge:a->b', 200, 1, null);
    r.add('upstream:a->b-0', 503, 2, ['UF']);
    r.record('edge:a->b', { status: 503, latencyMs: 3, flags: ['URX'] });
    now += 1000;
    r.add('upstream:a->b-0', 200, 4, null);
    r.add('edge:a->b', 'error', NaN, ['DC']);
    r.retry('edge:a->b');
    const json = r.toJSON();
    assert.deepEqual(Object.keys(json).sort(), ['edge:a->b', 'upstream:a->b-0']);
    const e0 = json['edge:a->b']['0'];
    assert.equal(e0.requests, 2);
    assert.equal(e0.ok, 1);
    assert.deepEqual(e0.status, { '200': 1, '503': 1 });
    assert.deepEqual(e0.flags, { URX: 1 });
    assert.equal(e0.latency.count, 2);
    const e1 = json['edge:a->b']['1'];
    assert.deepEqual(e1.status, { error: 1 });
    assert.equal(e1.latency.count, 0, 'no latency for a request without a response');
    assert.equal(e1.retries, 1);
    assert.deepEqual(json['upstream:a->b-0']['0'].flags, { UF: 1 });
    assert.deepEqual(json['upstream:a->b-0']['1'].status, { '200': 1 });
    assert.deepEqual(Object.keys(r.toJSON(1)['edge:a->b']), ['1']);
  });

  it('starts afresh after clear(), even in the same second', () => {
    const r = new SeriesRecorder({ t0: 0, now: () => 500 });
    r.add('k', 200, 1, null);
    r.clear();
    r.add('k', 200, 1, null);
    assert.equal(r.toJSON()['k']['0'].requests, 1);
  });
});
