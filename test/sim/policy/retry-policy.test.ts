import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { RetryOn } from '../../../src/contract/mesh-policy.ts';
import { compileRetryOn, decideRetry, isRetriable, type TryOutcome } from '../../../src/sim/policy/retry-policy.ts';

const outcomes: Record<string, TryOutcome> = {
  '200': { kind: 'response', status: 200 },
  '404': { kind: 'response', status: 404 },
  '409': { kind: 'response', status: 409 },
  '500': { kind: 'response', status: 500 },
  '502': { kind: 'response', status: 502 },
  '503': { kind: 'response', status: 503 },
  '504': { kind: 'response', status: 504 },
  '503 overloaded': { kind: 'response', status: 503, neverRetry: true },
  reset: { kind: 'reset' },
  'connect-failure': { kind: 'connect-failure' },
  'per-try-timeout': { kind: 'per-try-timeout' },
};

/**
Expected classification, from Envoy's retry_policy_impl.cc (wouldRetryFromHeaders/wouldRetryFromReset)
and the router docs: 5xx and gateway-error also cover every reset (a reset "will result in" a 5xx);
reset covers any failure to answer (reset, connect failure, per-try timeout); retriable-status-codes
is here [409, 503].
*/
const table: Record<RetryOn, string[]> = {
  '5xx': ['500', '502', '503', '504', 'reset', 'connect-failure', 'per-try-timeout'],
  'gateway-error': ['502', '503', '504', 'reset', 'connect-failure', 'per-try-timeout'],
  reset: ['reset', 'connect-failure', 'per-try-timeout'],
  'connect-failure': ['connect-failure'],
  'retriable-status-codes': ['409', '503'],
};

describe('retryOn classification (Envoy x-envoy-retry-on semantics)', () => {
  for (const [on, retriable] of Object.entries(table) as [RetryOn, string[]][]) {
    it(`${on}: retries ${retriable.join(', ')} and nothing else`, () => {
      const c = compileRetryOn({ retryOn: [on], retriableStatusCodes: [409, 503] });
      for (const [name, outcome] of Object.entries(outcomes)) {
        assert.equal(isRetriable(outcome, c), retriable.includes(name), `${on} × ${name}`);
      }
    });
  }

  it('conditions combine as a union', () => {
    const c = compileRetryOn({ retryOn: ['connect-failure', 'retriable-status-codes'], retriableStatusCodes: [500] });
    assert.equal(isRetriable(outcomes['connect-failure'], c), true);
    assert.equal(isRetriable(outcomes['500'], c), true);
    assert.equal(isRetriable(outcomes.reset, c), false);
    assert.equal(isRetriable(outcomes['503'], c), false);
  });

  it('an answer marked x-envoy-overloaded / x-envoy-ratelimited is never retried, whatever retryOn says', () => {
    const c = compileRetryOn({ retryOn: ['5xx', 'gateway-error', 'retriable-status-codes'], retriableStatusCodes: [503] });
    assert.equal(isRetriable(outcomes['503 overloaded'], c), false);
  });

  it('an empty retryOn retries nothing', () => {
    const c = compileRetryOn({ retryOn: [], retriableStatusCodes: [] });
    for (const o of Object.values(outcomes)) assert.equal(isRetriable(o, c), false);
  });

  it('rejects an unknown condition, naming the valid ones', () => {
    assert.throws(() => compileRetryOn({ retryOn: ['retriable-4xx' as RetryOn], retriableStatusCodes: [] }), /unknown retryOn condition "retriable-4xx".*5xx, gateway-error/);
  });
});

describe('retry decision (Envoy RetryStateImpl::shouldRetry order)', () => {
  const yes = () => true;
  const no = () => false;
  it('not retriable → no-retry, without asking the budget', () => {
    assert.equal(decideRetry({ retriable: false, retriesDone: 0, maxRetries: 3, budgetAllows: () => assert.fail('budget asked') }), 'no-retry');
  });
  it('retriable with retries left and budget → retry', () => {
    assert.equal(decideRetry({ retriable: true, retriesDone: 1, maxRetries: 2, budgetAllows: yes }), 'retry');
  });
  it('retriable but every retry used → limit-exceeded (URX), checked before the budget', () => {
    assert.equal(decideRetry({ retriable: true, retriesDone: 2, maxRetries: 2, budgetAllows: () => assert.fail('budget asked') }), 'limit-exceeded');
    assert.equal(decideRetry({ retriable: true, retriesDone: 0, maxRetries: 0, budgetAllows: yes }), 'limit-exceeded');
  });
  it('retriable with retries left but budget spent → overflow (UO, upstream_rq_retry_overflow)', () => {
    assert.equal(decideRetry({ retriable: true, retriesDone: 0, maxRetries: 2, budgetAllows: no }), 'overflow');
  });
});
