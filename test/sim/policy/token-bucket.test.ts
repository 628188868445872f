import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../src/sim/policy/token-bucket.ts';

describe('token bucket (Envoy local_ratelimit token_bucket)', () => {
  it('Envoy local rate limit: the bucket starts full, so a burst of max_tokens passes and the next is refused (local_rate_limit_filter docs)', () => {
    const b = new TokenBucket({ requestsPerSecond: 10, burst: 5 }, 0);
    const got = Array.from({ length: 7 }, () => b.tryTake(0));
    assert.deepEqual(got, [true, true, true, true, true, false, false]);
  });

  it('Envoy local rate limit: tokens come back at the fill rate and never beyond max_tokens', () => {
    const b = new TokenBucket({ requestsPerSecond: 10, burst: 5 }, 0);
    for (let i = 0; i < 5; i++) b.tryTake(0);
    assert.equal(b.tryTake(50), false, '50ms at 10/s is half a token');
    assert.equal(b.tryTake(100), true, '100ms: one token');
    assert.equal(b.tryTake(100), false);
    assert.equal(b.available(60_000), 5, 'capped at the burst');
  });

  it('over a long run admits rate × time + burst', () => {
    const b = new TokenBucket({ requestsPerSecond: 100, burst: 20 }, 0);
    let ok = 0;
    for (let t = 0; t < 10_000; t++) if (b.tryTake(t)) ok++; // 1000 offered per second
    assert.equal(ok, 100 * 10 + 20 - 1, 'the last token of the 10th second has not come back yet at t = 9999');
  });

  it('a new rate from a config push keeps the tokens in the bucket (capped at the new burst)', () => {
    const b = new TokenBucket({ requestsPerSecond: 10, burst: 10 }, 0);
    for (let i = 0; i < 4; i++) b.tryTake(0);
    b.reconfigure({ requestsPerSecond: 1, burst: 3 }, 0);
    assert.equal(b.available(0), 3);
    assert.equal(b.requestsPerSecond, 1);
  });
});
