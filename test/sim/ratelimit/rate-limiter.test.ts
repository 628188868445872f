import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../../src/sim/ratelimit/rate-limiter.ts';
import { RuleTree } from '../../../src/sim/ratelimit/rule-tree.ts';
import type { RateLimitRequest, RlsConfig } from '../../../src/contract/rate-limit-service.ts';
import { SeriesRecorder } from '../../../src/observe/timeline.ts';

/** envoyproxy/ratelimit's README examples, in meshproof's shape: a service, its callers, one caller of its own, a header. */
const CONFIG: RlsConfig = {
  domain: 'shop',
  descriptors: [
    {
      key: 'destination_cluster',
      value: 'orders',
      rate_limit: { unit: 'second', requests_per_unit: 5 },
      descriptors: [
        { key: 'client_cluster', rate_limit: { unit: 'minute', requests_per_unit: 3 } },
        { key: 'client_cluster', value: 'admin', rate_limit: { unlimited: true } },
        { key: 'client_cluster', value: 'batch', rate_limit: { unit: 'hour', requests_per_unit: 1 }, shadow_mode: true },
        { key: 'x-user', rate_limit: { unit: 'day', requests_per_unit: 2 } },
      ],
    },
  ],
};

const service = (): RateLimitRequest => ({ domain: 'shop', descriptors: [{ entries: [{ key: 'destination_cluster', value: 'orders' }] }] });
const caller = (who: string): RateLimitRequest => ({
  domain: 'shop',
  descriptors: [{ entries: [{ key: 'destination_cluster', value: 'orders' }, { key: 'client_cluster', value: who }] }],
});

/** A clock the test moves: epoch ms. */
function clock(start: number) {
  const c = { now: start, fn: () => c.now };
  return c;
}

describe('the rule tree (envoyproxy/ratelimit matching)', () => {
  const tree = new RuleTree(CONFIG);
  const keyOf = (entries: [string, string][]) => tree.match({ entries: entries.map(([key, value]) => ({ key, value })) })?.key ?? null;

  test('a descriptor matches the rule at its own depth; key+value wins over key alone', () => {
    assert.equal(keyOf([['destination_cluster', 'orders']]), 'shop.destination_cluster_orders');
    assert.equal(keyOf([['destination_cluster', 'orders'], ['client_cluster', 'web']]), 'shop.destination_cluster_orders.client_cluster');
    assert.equal(keyOf([['destination_cluster', 'orders'], ['client_cluster', 'admin']]), 'shop.destination_cluster_orders.client_cluster_admin');
  });

  test('no rule: another value at the root, a deeper descriptor than the config, an unknown key', () => {
    assert.equal(keyOf([['destination_cluster', 'payments']]), null);
    assert.equal(keyOf([['destination_cluster', 'orders'], ['client_cluster', 'web'], ['path', '/']]), null);
    assert.equal(keyOf([['destination_cluster', 'orders'], ['tenant', 'a']]), null);
    assert.equal(keyOf([]), null);
  });
});

describe('the rate limiter: fixed windows, shadow mode, unlimited rules', () => {
  test('the limit holds within a window and turns over at the window boundary of its unit (epoch-aligned)', () => {
    const c = clock(1_700_000_000_000); // a whole second
    const rl = new RateLimiter({ config: CONFIG, now: c.fn });
    const codes = () => Array.from({ length: 7 }, () => rl.decide(service()).overallCode);
    c.now += 200;
    assert.deepEqual(codes(), ['OK', 'OK', 'OK', 'OK', 'OK', 'OVER_LIMIT', 'OVER_LIMIT']);
    c.now += 799; // still the same second
    assert.equal(rl.decide(service()).overallCode, 'OVER_LIMIT');
    c.now += 1; // the next second: a new window
    assert.equal(rl.decide(service()).overallCode, 'OK');
  });

  test('the status says the limit, what is left and when the window ends', () => {
    const c = clock(1_700_000_000_000 + 250);
    const rl = new RateLimiter({ config: CONFIG, now: c.fn });
    const first = rl.decide(service()).statuses[0];
    assert.deepEqual(first, { code: 'OK', currentLimit: { requestsPerUnit: 5, unit: 'SECOND' }, limitRemaining: 4, durationUntilReset: '0.75s' });
  });

  test('a key without a value counts each value apart; a per-minute rule holds across seconds', () => {
    const c = clock(1_700_000_020_000); // 40s into a minute (1_699_999_980 is a whole minute)
    const rl = new RateLimiter({ config: CONFIG, now: c.fn });
    const web = [0, 1, 2, 3].map(() => rl.decide(caller('web')).overallCode);
    assert.deepEqual(web, ['OK', 'OK', 'OK', 'OVER_LIMIT']);
    assert.equal(rl.decide(caller('mobile')).overallCode, 'OK', 'another caller has a counter of its own');
    c.now += 10_000;
    assert.equal(rl.decide(caller('web')).overallCode, 'OVER_LIMIT', 'the same minute');
    c.now += 10_000; // the next minute
    assert.equal(rl.decide(caller('web')).overallCode, 'OK');
  });

  test('unlimited: never refused, counted in its stats', () => {
    const rl = new RateLimiter({ config: CONFIG, now: () => 1_700_000_000_000 });
    for (let i = 0; i < 20; i++) assert.equal(rl.decide(caller('admin')).overallCode, 'OK');
    assert.equal(rl.stats()['shop.destination_cluster_orders.client_cluster_admin'].total_hits, 20);
  });

  test('shadow mode lets everything through and counts what it would have refused', () => {
    const rl = new RateLimiter({ config: CONFIG, now: () => 1_700_000_000_000 });
    for (let i = 0; i < 4; i++) assert.equal(rl.decide(caller('batch')).overallCode, 'OK');
    assert.deepEqual(rl.stats()['shop.destination_cluster_orders.client_cluster_batch'], { total_hits: 4, over_limit: 3, near_limit: 1, shadow_mode: 3 });
  });

  test('several descriptors in one request: any one over its limit makes the request OVER_LIMIT, and each is counted', () => {
    const rl = new RateLimiter({ config: CONFIG, now: () => 1_700_000_000_000 });
    const both: RateLimitRequest = { domain: 'shop', descriptors: [...service().descriptors, ...caller('web').descriptors] };
    const answers = [0, 1, 2, 3].map(() => rl.decide(both));
    assert.deepEqual(answers.map((a) => a.overallCode), ['OK', 'OK', 'OK', 'OVER_LIMIT']);
    assert.deepEqual(answers[3].statuses.map((s) => s.code), ['OK', 'OVER_LIMIT']);
    const stats = rl.stats();
    assert.equal(stats['shop.destination_cluster_orders'].total_hits, 4);
    assert.equal(stats['shop.destination_cluster_orders.client_cluster'].over_limit, 1);
  });

  test('another domain, or a descriptor no rule matches, is not limited (and not counted)', () => {
    const rl = new RateLimiter({ config: CONFIG, now: () => 1_700_000_000_000 });
    for (let i = 0; i < 10; i++) {
      assert.equal(rl.decide({ domain: 'other', descriptors: service().descriptors }).overallCode, 'OK');
      assert.equal(rl.decide({ domain: 'shop', descriptors: [{ entries: [{ key: 'destination_cluster', value: 'payments' }] }] }).overallCode, 'OK');
    }
    assert.equal(rl.stats()['shop.destination_cluster_orders'].total_hits, 0);
  });

  test('hits per rule per second of the run, as quota:<rule>: 200 let through, 429 RL refused', () => {
    const t0 = 1_700_000_000_000;
    const recorder = new SeriesRecorder({ t0, now: () => t0 + 100 });
    const rl = new RateLimiter({ config: CONFIG, now: () => t0 + 100, recorder });
    for (let i = 0; i < 7; i++) rl.decide(service());
    const [bucket] = Object.values(recorder.toJSON()['quota:shop.destination_cluster_orders']);
    assert.deepEqual({ requests: bucket.requests, status: bucket.status, flags: bucket.flags }, { requests: 7, status: { 200: 5, 429: 2 }, flags: { RL: 2 } });
  });
});
