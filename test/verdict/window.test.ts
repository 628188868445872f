import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { bucketRange, rangeWindow, resolveWindow } from '../../src/verdict/window.ts';
import { compare, nearlyEqual } from '../../src/verdict/compare.ts';
import { makeScenario } from './helpers.ts';

describe('resolveWindow', () => {
  const scenario = makeScenario({ durationMs: 30_000 });
  it('run is the whole timeline', () => {
    assert.deepEqual(resolveWindow({ kind: 'run' }, scenario), { fromMs: 0, toMs: 30_000 });
    const longLoad = makeScenario({ durationMs: 10_000 });
    longLoad.load.durationMs = 12_000;
    assert.deepEqual(resolveWindow({ kind: 'run' }, longLoad), { fromMs: 0, toMs: 12_000 });
  });
  it('between is taken as written', () => {
    assert.deepEqual(resolveWindow({ kind: 'between', fromMs: 2500, toMs: 8000 }, scenario), { fromMs: 2500, toMs: 8000 });
  });
});

describe('bucketRange', () => {
  const timeline = { seconds: 10 };
  it('takes [floor(from), ceil(to)) seconds', () => {
    assert.deepEqual(bucketRange({ fromMs: 2000, toMs: 8000 }, timeline), { first: 2, end: 8 });
    assert.deepEqual(bucketRange({ fromMs: 2999, toMs: 7001 }, timeline), { first: 2, end: 8 });
    assert.deepEqual(rangeWindow({ first: 2, end: 8 }), { fromMs: 2000, toMs: 8000 });
  });
  it('clamps to the timeline', () => {
    assert.deepEqual(bucketRange({ fromMs: -5000, toMs: 60_000 }, timeline), { first: 0, end: 10 });
    assert.deepEqual(bucketRange({ fromMs: 20_000, toMs: 30_000 }, timeline), { first: 10, end: 10 });
    assert.deepEqual(bucketRange({ fromMs: 5000, toMs: 3000 }, timeline), { first: 5, end: 5 });
  });
});

describe('compare', () => {
  it('is false for NaN whatever the comparator', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!='] as const) assert.equal(compare(NaN, op, 1), false);
  });
  it('tolerates floating-point error only', () => {
    assert.ok(nearlyEqual(0.1 + 0.2, 0.3));
    assert.ok(nearlyEqual(1 - 0.995, 0.005));
    assert.ok(!nearlyEqual(0.995, 0.99500001));
    assert.ok(compare(1 - 0.995, '<=', 0.005));
    assert.ok(!compare(1 - 0.995, '>', 0.005));
  });
});
