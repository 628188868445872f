import assert from 'node:assert/strict';
import { test } from 'vitest';
import { closest, didYouMean, editDistance } from '../../src/scenario/suggest.ts';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('atempts', 'attempts'), 1);
  assert.equal(editDistance('retyrOn', 'retryOn'), 1);
  assert.equal(editDistance('front', 'front'), 0);
  assert.equal(editDistance('', 'abc'), 3);
});

test('closest: typos and spelling variants, nothing when far', () => {
  const keys = ['attempts', 'perTryTimeout', 'retryOn', 'retriableStatusCodes', 'backoff', 'budget'];
  assert.equal(closest('atempts', keys), 'attempts');
  assert.equal(closest('per_try_timeout', keys), 'perTryTimeout');
  assert.equal(closest('RETRYON', keys), 'retryOn');
  assert.equal(closest('colour', keys), undefined);
  assert.equal(closest('stor', ['front', 'store']), 'store');
  assert.equal(closest('xyz', ['front', 'store']), undefined);
});

test('didYouMean is empty when there is nothing to suggest', () => {
  assert.equal(didYouMean('stor', ['store']), '; did you mean "store"?');
  assert.equal(didYouMean('zzzzzz', ['store']), '');
});
