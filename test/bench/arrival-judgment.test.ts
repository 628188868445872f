// The smoothness goals are judged over the requests the machine let through on time: a stall the
// kernel caused (a thread kept waiting for a core) is excused, one the sender caused is not.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { judgeArrivals } from '../../bench/arrival-judgment.ts';
import type { LoadTrace } from '../../src/load/load-summary.ts';

const GAP = 0.5; // 2000/s

/** A uniform 2000/s load of n requests, each delivered `deliveryMs` after it was reached; `stall` holds the sending thread at request `at` for `ms`, waiting for a core (`kernel`) or not. */
function run(n: number, stall?: { at: number; ms: number; kernel: boolean }) {
  const trace: LoadTrace = { intendedMs: [], reachedMs: [], waitMs: [], pacerLateMs: [], sentMs: [] };
  let wait = 0;
  for (let i = 0; i < n; i++) {
    const intended = i * GAP;
    const held = stall && i >= stall.at && intended < stall.at * GAP + stall.ms ? stall.at * GAP + stall.ms - intended : 0;
    if (stall?.kernel && i === stall.at) wait += stall.ms;
    trace.intendedMs.push(intended);
    trace.pacerLateMs.push(0.05);
    trace.reachedMs.push(intended + 0.05 + 0.03 + held);
    trace.sentMs.push(intended + 0.05 + 0.03 + held);
    trace.waitMs!.push(wait);
  }
  const arrivals = trace.sentMs.map((s) => s! + 0.1);
  return judgeArrivals({ trace, arrivals, recorderWaits: [], rate: 2000, expected: n, slackMs: 0.25 });
}

describe('judging arrivals over the requests the machine let through on time', () => {
  test('evenly sent: every gap judged, CV 0, no burst', () => {
    const j = run(2000);
    assert.equal(j.coverage, 1);
    assert.ok(j.cv < 1e-9);
    assert.ok(j.windowRatio <= 1.05, `busiest ${j.busiest}`); // 20 in 10 ms, or 21 where one lands on the edge
    assert.deepEqual(j.excused, { pacer: 0, sender: 0, recorder: 0 });
  });

  test('a 5 ms stall of the sending thread on its own (a garbage collection) counts against the load', () => {
    const j = run(2000, { at: 1000, ms: 5, kernel: false });
    assert.deepEqual(j.excused, { pacer: 0, sender: 0, recorder: 0 });
    // Ten requests go out together after the stall: a burst, and a CV far over the goal.
    assert.ok(j.cv > 0.1, `CV ${j.cv}`);
    assert.ok(j.windowRatio > 1.4, `busiest ${j.busiest}`);
    assert.ok(j.handOff.max >= 4.9);
  });

  test('the same stall while the kernel kept the thread waiting for a core is excused, and only the requests it delayed', () => {
    const j = run(2000, { at: 1000, ms: 5, kernel: true });
    assert.equal(j.excused.sender, 10);
    assert.ok(j.cv < 1e-9, `CV ${j.cv}`);
    assert.ok(j.windowRatio <= 1.05, `busiest ${j.busiest}`); // 20 in 10 ms, or 21 where one lands on the edge
    assert.ok(j.coverage > 0.98 && j.coverage < 1);
  });

  test('requests the pacer posted late are excused; a late drop the machine did not cause counts against the rate', () => {
    const j0 = run(100);
    assert.equal(j0.countedRatio, 1);
    const trace: LoadTrace = { intendedMs: [0, 0.5, 1, 1.5], reachedMs: [0.1, 0.6, 12, 1.6], waitMs: [0, 0, 0, 0], pacerLateMs: [0.05, 2, 0.05, 0.05], sentMs: [0.1, 0.6, null, 1.6] };
    const j = judgeArrivals({ trace, arrivals: [0.2, 0.7, 1.7], recorderWaits: [], rate: 2000, expected: 4, slackMs: 0.25 });
    assert.equal(j.excused.pacer, 1);
    assert.equal(j.countedRatio, 3 / 4, 'the drop was the sender being late on its own');
  });
});
