import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { RetryBudget } from '../../../src/sim/policy/retry-budget.ts';

describe('retry budget (Envoy circuit_breakers retry_budget)', () => {
  it('limit = max(min_retry_concurrency, budget_percent × active requests), defaults 20% and 3', () => {
    const b = new RetryBudget({ percent: 0.2, minRetryConcurrency: 3 });
    assert.equal(b.limit(0), 3);
    assert.equal(b.limit(10), 3, '20% of 10 is 2, below the minimum of 3');
    assert.equal(b.limit(15), 3);
    assert.equal(b.limit(20), 4);
    assert.equal(b.limit(100), 20);
  });

  it('the product is truncated to an integer, as Envoy does (19 requests at 20% allow 3, not 3.8)', () => {
    const b = new RetryBudget({ percent: 0.2, minRetryConcurrency: 0 });
    assert.equal(b.limit(19), 3);
    assert.equal(b.limit(4), 0);
  });

  it('float products that are whole numbers stay whole (0.29 × 100 = 29)', () => {
    assert.equal(new RetryBudget({ percent: 0.29, minRetryConcurrency: 0 }).limit(100), 29);
    assert.equal(new RetryBudget({ percent: 0.7, minRetryConcurrency: 0 }).limit(10), 7);
  });

  it('a retry is allowed only while active retries < limit', () => {
    const b = new RetryBudget({ percent: 0.2, minRetryConcurrency: 3 });
    assert.equal(b.allows(2, 0), true);
    assert.equal(b.allows(3, 0), false, 'min_retry_concurrency 3: the 4th concurrent retry overflows');
    assert.equal(b.allows(3, 20), true, '20 active → limit 4');
    assert.equal(b.allows(4, 20), false);
  });

  it('min_retry_concurrency 0 and percent 0 allow no retry at all', () => {
    assert.equal(new RetryBudget({ percent: 0, minRetryConcurrency: 0 }).allows(0, 1000), false);
  });
});
