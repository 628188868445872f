import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { linearScale, niceStep, niceTicks } from '../../../src/report/html/scale.ts';

describe('linearScale', () => {
  it('maps the domain onto the range, inverted ranges included (SVG y grows downwards)', () => {
    const x = linearScale([0, 10], [40, 340]);
    assert.equal(x(0), 40);
    assert.equal(x(10), 340);
    assert.equal(x(2.5), 115);
    const y = linearScale([0, 200], [160, 20]);
    assert.equal(y(0), 160);
    assert.equal(y(200), 20);
    assert.equal(y(100), 90);
    assert.deepEqual([y.domain, y.range], [[0, 200], [160, 20]]);
  });

  it('a flat domain maps to the middle instead of dividing by zero', () => {
    assert.equal(linearScale([5, 5], [0, 100])(5), 50);
  });
});

describe('niceTicks', () => {
  it('round steps of 1, 2 or 5 × 10^k from a tick at or below the minimum to one at or above the maximum', () => {
    assert.deepEqual(niceTicks(0, 134.9, 4), [0, 50, 100, 150]);
    assert.deepEqual(niceTicks(0, 10, 6), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(0, 0.37, 4), [0, 0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual(niceTicks(0, 1003, 4), [0, 500, 1000, 1500]);
  });

  it('no floating-point artefacts in the values (they become labels)', () => {
    for (const t of niceTicks(0, 0.7, 7)) assert.ok(String(t).length <= 4, String(t));
  });

  it('nothing measured still gets an axis; a constant gets room above it', () => {
    assert.deepEqual(niceTicks(0, 0), [0, 1]);
    assert.deepEqual(niceTicks(NaN, NaN), [0, 1]);
    const t = niceTicks(100, 100, 4);
    assert.equal(t[0], 0);
    assert.ok(t[t.length - 1] > 100);
  });

  it('min and max the wrong way round are swapped', () => {
    assert.deepEqual(niceTicks(10, 0, 5), niceTicks(0, 10, 5));
  });
});

describe('niceStep', () => {
  it('the next of 1, 2, 5, 10 × 10^k', () => {
    assert.deepEqual([0.013, 0.2, 0.21, 3, 7, 12, 450].map(niceStep), [0.02, 0.2, 0.5, 5, 10, 20, 500]);
    assert.equal(niceStep(0), 1);
  });
});
