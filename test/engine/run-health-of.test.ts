// The load's promise as the engine hands it to the verdicts: an open-loop load's own account
// (its schedule's count, drops at the cap or late, lateness) and a closed-loop load's count.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { loadFidelity } from '../../src/engine/run-health-of.ts';
import type { LoadSummary } from '../../src/load/load-summary.ts';
import type { Plan } from '../../src/plan/plan-scenario.ts';
import { honestyOf } from '../helpers/load-honesty.ts';

function summaryOf(honesty: LoadSummary['honesty'], requests = honesty.sent): LoadSummary {
  return { requests, errors: 0, status: { 200: requests }, errorKinds: {}, elapsedMs: 4000, honesty };
}

const openPlan = { model: 'open', phases: [{ startMs: 0, durationMs: 4000, rate: 200 }], durationMs: 4000, connections: 10 } as unknown as Plan['load'];
const closedPlan = { model: 'closed', phases: [], durationMs: 4000, connections: 10 } as unknown as Plan['load'];

describe('loadFidelity', () => {
  test('an open-loop load reports its schedule, its drops and its lateness', () => {
    const h = honestyOf({ rate: 200, seconds: 4, cap: 10, dropEvery: 10, lateMs: (i) => (i % 100 === 0 ? 9 : 0.2) });
    const f = loadFidelity(openPlan, summaryOf(h));
    assert.equal(f.declaredRequests, 800);
    assert.equal(f.sentRequests, 720);
    assert.equal(f.droppedAtCap, 80);
    assert.equal(f.droppedLate, 0);
    assert.equal(f.cap, 10);
    assert.ok(f.latenessMaxMs !== null && f.latenessMaxMs >= 9);
    assert.ok(f.latenessP99Ms !== null);
  });

  test('a closed-loop load declares no count of its own: nothing it sent is short', () => {
    const h = { ...honestyOf({ rate: 200, seconds: 4 }), model: 'closed' as const, intended: null, lateness: null, targetRate: null, rateRatio: null };
    const f = loadFidelity(closedPlan, summaryOf(h, 512));
    assert.equal(f.declaredRequests, 512);
    assert.equal(f.sentRequests, 512);
    assert.equal(f.droppedAtCap, null);
    assert.equal(f.latenessP99Ms, null);
  });
});
