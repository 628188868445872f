import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { AlwaysOnSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { RateLimitingSampler } from '../../src/trace/rate-limiting-sampler.ts';
import { newTraceId } from '../../src/contract/trace-context.ts';
import { seededRandom } from '../../src/util/random.ts';

describe('rate-limiting sampler (head sampling at the ingress)', () => {
  it('keeps at most maxPerSecond traces a second, a second’s worth as a burst, refilled continuously', () => {
    let now = 0;
    const s = new RateLimitingSampler(new AlwaysOnSampler(), 10, () => now);
    const random = seededRandom(1);
    let kept = 0;
    for (let i = 0; i < 50; i++) if (s.sample(newTraceId(random))) kept++;
    assert.equal(kept, 10, 'the burst');
    assert.equal(s.limited, 40);
    // 1000 requests over the next 10 s, evenly: about 10 a second get through.
    kept = 0;
    for (let i = 0; i < 1000; i++) {
      now += 10;
      if (s.sample(newTraceId(random))) kept++;
    }
    assert.ok(kept >= 99 && kept <= 101, `~100 kept in 10 s, got ${kept}`);
  });

  it('the ratio decides first, by trace id as OTel does; 0 = no rate limit', () => {
    const s = new RateLimitingSampler(new TraceIdRatioBasedSampler(0.5), 0, () => 0);
    const ratio = new TraceIdRatioBasedSampler(0.5);
    const random = seededRandom(2);
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      const id = newTraceId(random);
      const k = s.sample(id);
      assert.equal(k, ratio.shouldSample({} as never, id).decision !== 0, 'the same answer as the ratio sampler alone');
      if (k) kept++;
    }
    assert.ok(kept > 900 && kept < 1100, `about half, got ${kept}`);
    assert.equal(s.limited, 0);
  });
});
