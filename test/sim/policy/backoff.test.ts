import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { backoffCeilingMs, backoffDelayMs } from '../../../src/sim/policy/backoff.ts';
import { seededRandom } from '../../../src/util/random.ts';
import { ManualClock } from '../../../src/util/clock.ts';

const envoyDefault = { baseMs: 25, maxMs: 250 };

describe('back-off (Envoy router: full jitter, retry N waits U[0, (2^N − 1)·base), capped at max_interval)', () => {
  it('ceilings grow as (2^N − 1)·base: 25, 75, 175, then the 250ms cap (Envoy defaults)', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 10].map((n) => backoffCeilingMs(n, envoyDefault)), [25, 75, 175, 250, 250, 250]);
  });

  it('no wait before the first try (retry 0) and no overflow for huge retry numbers', () => {
    assert.equal(backoffCeilingMs(0, envoyDefault), 0);
    assert.equal(backoffCeilingMs(1000, envoyDefault), 250);
  });

  it('every draw is a whole number of ms in [0, ceiling)', () => {
    const random = seededRandom(1);
    for (let n = 1; n <= 6; n++) {
      const ceiling = backoffCeilingMs(n, envoyDefault);
      for (let i = 0; i < 2000; i++) {
        const d = backoffDelayMs(n, envoyDefault, random);
        assert.ok(Number.isInteger(d) && d >= 0 && d < ceiling, `retry ${n}: ${d} not in [0, ${ceiling})`);
      }
    }
  });

  it('draws are uniform over [0, ceiling) (full jitter): mean ≈ ceiling/2, each quarter ≈ 25%', () => {
    const random = seededRandom(77);
    const n = 20_000;
    const quarters = [0, 0, 0, 0];
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const d = backoffDelayMs(3, { baseMs: 100, maxMs: 10_000 }, random); // ceiling 700
      sum += d;
      quarters[Math.min(3, Math.floor(d / 175))]++;
    }
    const mean = sum / n;
    // floor() lowers the mean by ~0.5ms
    assert.ok(Math.abs(mean - 349.5) < 8, `mean ${mean} should be ~349.5`);
    for (const q of quarters) assert.ok(Math.abs(q / n - 0.25) < 0.02, `quarter share ${q / n} should be ~0.25`);
  });

  it('a back-off timer on a ManualClock fires exactly after the drawn delay', () => {
    const clock = new ManualClock();
    const delay = backoffDelayMs(2, envoyDefault, seededRandom(3));
    let fired = false;
    clock.setTimeout(() => (fired = true), delay);
    if (delay > 0) {
      clock.advance(delay - 1);
      assert.equal(fired, false);
    }
    clock.advance(1);
    assert.equal(fired, true);
  });
});
