import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ConcurrencyLimiter } from '../../../src/sim/builtin/concurrency-limiter.ts';
import { latencySampler } from '../../../src/sim/builtin/latency-sampler.ts';
import { seededRandom } from '../../../src/util/random.ts';

describe('concurrency limiter', () => {
  it('grants up to the limit, queues up to the queue bound in FIFO order, refuses the rest', () => {
    const l = new ConcurrencyLimiter({ limit: 2, queue: 2 });
    const got: string[] = [];
    const take = (name: string) => l.acquire(() => got.push(name));
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map(take), ['granted', 'granted', 'queued', 'queued', 'rejected']);
    assert.deepEqual(got, ['a', 'b']);
    assert.equal(l.active, 2);
    assert.equal(l.queued, 2);
    l.release();
    assert.deepEqual(got, ['a', 'b', 'c'], 'the oldest waiter gets the freed slot');
    assert.equal(l.active, 2, 'the slot passed on, not freed');
    l.release();
    l.release();
    l.release();
    assert.deepEqual(got, ['a', 'b', 'c', 'd']);
    assert.equal(l.active, 0);
    assert.equal(l.queued, 0);
  });

  it('null concurrency means unlimited', () => {
    const l = new ConcurrencyLimiter({ limit: null, queue: 0 });
    for (let i = 0; i < 1000; i++) assert.equal(l.acquire(() => {}), 'granted');
  });

  it('queue 0 refuses as soon as the slots are taken', () => {
    const l = new ConcurrencyLimiter({ limit: 1, queue: 0 });
    assert.equal(l.acquire(() => {}), 'granted');
    assert.equal(l.acquire(() => {}), 'rejected');
  });

  it('stays FIFO over many cycles (queue storage is compacted)', () => {
    const l = new ConcurrencyLimiter({ limit: 1, queue: 5000 });
    const got: number[] = [];
    l.acquire(() => {});
    for (let i = 0; i < 3000; i++) l.acquire(() => got.push(i));
    for (let i = 0; i < 3000; i++) l.release();
    assert.deepEqual(got, Array.from({ length: 3000 }, (_, i) => i));
  });
});

describe('latency sampler', () => {
  it('fixed latency is always the same', () => {
    const s = latencySampler({ kind: 'fixed', ms: 7 }, seededRandom(1));
    assert.deepEqual([s(), s(), s()], [7, 7, 7]);
  });

  it('log-normal through p50 and p99: the empirical quantiles land on them', () => {
    const s = latencySampler({ kind: 'distribution', p50Ms: 5, p99Ms: 25 }, seededRandom(123));
    const xs = Array.from({ length: 50_000 }, s).sort((a, b) => a - b);
    const q = (p: number) => xs[Math.floor(p * xs.length)];
    assert.ok(Math.abs(q(0.5) - 5) < 0.15, `p50 ${q(0.5)}`);
    assert.ok(Math.abs(q(0.99) - 25) < 1.5, `p99 ${q(0.99)}`);
    assert.ok(xs[0] > 0);
  });

  it('rejects p99 below p50', () => {
    assert.throws(() => latencySampler({ kind: 'distribution', p50Ms: 10, p99Ms: 5 }, seededRandom(1)), /0 < p50 <= p99/);
  });
});
