import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { isInert, rollAbort, rollDelay, shouldInject } from '../../../src/sim/policy/fault-injector.ts';
import { seededRandom } from '../../../src/util/random.ts';

describe('L7 fault rolls (Istio HTTPFaultInjection via Envoy fault filter)', () => {
  it('Istio fault injection: delay and abort apply to their percentage independently (virtual-service HTTPFaultInjection)', () => {
    const random = seededRandom(11);
    const fault = { delay: { ms: 100, percent: 0.5 }, abort: { status: 503, percent: 0.2 } };
    let delayed = 0;
    let aborted = 0;
    let both = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const d = rollDelay(fault, random) > 0;
      const a = rollAbort(fault, random) === 503;
      if (d) delayed++;
      if (a) aborted++;
      if (d && a) both++;
    }
    assert.ok(Math.abs(delayed / n - 0.5) < 0.02, `delayed ${delayed / n}`);
    assert.ok(Math.abs(aborted / n - 0.2) < 0.02, `aborted ${aborted / n}`);
    assert.ok(Math.abs(both / n - 0.1) < 0.02, `both ${both / n}: independent, 0.5 × 0.2`);
  });

  it('100% always and 0% never apply, without consuming a random draw', () => {
    let draws = 0;
    const random = () => {
      draws++;
      return 0.5;
    };
    assert.equal(shouldInject(1, random), true);
    assert.equal(shouldInject(0, random), false);
    assert.equal(draws, 0);
  });

  it('the same seed gives the same rolls', () => {
    const fault = { delay: null, abort: { status: 500, percent: 0.3 } };
    const a = seededRandom(3);
    const b = seededRandom(3);
    assert.deepEqual(
      Array.from({ length: 50 }, () => rollAbort(fault, a)),
      Array.from({ length: 50 }, () => rollAbort(fault, b)),
    );
  });

  it('a fault that can do nothing is inert', () => {
    assert.equal(isInert(null), true);
    assert.equal(isInert({ delay: null, abort: null }), true);
    assert.equal(isInert({ delay: { ms: 0, percent: 1 }, abort: { status: 503, percent: 0 } }), true);
    assert.equal(isInert({ delay: null, abort: { status: 503, percent: 0.01 } }), false);
  });
});
