import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ArrivalSchedule } from '../../src/load/arrival-schedule.ts';
import type { LoadPhasePlan } from '../../src/plan/plan-scenario.ts';

function all(s: ArrivalSchedule): number[] {
  const out: number[] = [];
  for (let t = s.next(); t !== null; t = s.next()) out.push(t);
  return out;
}

function cv(times: number[]): number {
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const mean = gaps.reduce((a, g) => a + g, 0) / gaps.length;
  return Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length) / mean;
}

const one = (rate: number, durationMs: number): LoadPhasePlan[] => [{ startMs: 0, durationMs, rate }];

describe('ArrivalSchedule', () => {
  test('uniform: request 0 at the start, then one every 1/rate, exactly rate × duration of them', () => {
    const t = all(new ArrivalSchedule(one(100, 1000), 'uniform', 1));
    assert.equal(t.length, 100);
    t.forEach((x, i) => assert.ok(Math.abs(x - i * 10) < 1e-9, `request ${i} at ${x}`));
    assert.equal(all(new ArrivalSchedule(one(2000, 5000), 'uniform', 1)).length, 10_000);
  });

  test('uniform across phases: the schedule stays on the rate curve, a pause sends nothing, a fraction carries over', () => {
    const phases: LoadPhasePlan[] = [
      { startMs: 0, durationMs: 1000, rate: 3 },
      { startMs: 1000, durationMs: 1000, rate: 0 },
      { startMs: 2000, durationMs: 500, rate: 4 },
    ];
    const t = all(new ArrivalSchedule(phases, 'uniform', 1));
    // Λ = 0, 1, 2 in the first phase (at 0, 333, 667 ms); Λ = 3, 4 in the last (2000 and 2250 ms).
    assert.deepEqual(t.map((x) => Math.round(x)), [0, 333, 667, 2000, 2250]);
    const carried = all(new ArrivalSchedule([{ startMs: 0, durationMs: 250, rate: 6 }, { startMs: 250, durationMs: 750, rate: 2 }], 'uniform', 1));
    // 1.5 requests fit in the first phase: 0 and 166.7 ms; Λ = 2 falls 0.5/2 s into the second (500 ms); Λ = 3 is its end.
    assert.deepEqual(carried.map((x) => Math.round(x)), [0, 167, 500]);
  });

  test('poisson: the same seed gives the same schedule, another seed another one', () => {
    const a = all(new ArrivalSchedule(one(200, 2000), 'poisson', 7));
    assert.deepEqual(all(new ArrivalSchedule(one(200, 2000), 'poisson', 7)), a);
    assert.notDeepEqual(all(new ArrivalSchedule(one(200, 2000), 'poisson', 8)), a);
  });

  test('poisson: exponential gaps, so the inter-arrival CV is near 1 and the count near rate × duration', () => {
    for (const seed of [1, 2, 3, 42]) {
      const t = all(new ArrivalSchedule(one(500, 20_000), 'poisson', seed));
      // 10 000 gaps: the CV's standard error is about 0.014, the count's about 1%.
      assert.ok(Math.abs(cv(t) - 1) < 0.06, `seed ${seed}: CV ${cv(t)}`);
      assert.ok(Math.abs(t.length - 10_000) < 400, `seed ${seed}: ${t.length} requests`);
      assert.ok(t.every((x, i) => i === 0 || x >= t[i - 1]), 'in order');
      assert.ok(t[t.length - 1] < 20_000);
    }
    assert.ok(cv(all(new ArrivalSchedule(one(500, 20_000), 'uniform', 1))) < 1e-9);
  });

  test('poisson across phases: each phase gets its own rate', () => {
    const t = all(new ArrivalSchedule([{ startMs: 0, durationMs: 10_000, rate: 100 }, { startMs: 10_000, durationMs: 10_000, rate: 400 }], 'poisson', 5));
    const first = t.filter((x) => x < 10_000).length;
    const second = t.length - first;
    assert.ok(Math.abs(first - 1000) < 120, `${first}`);
    assert.ok(Math.abs(second - 4000) < 240, `${second}`);
  });

  test('expected() integrates the rate; rateAt() reads the phase in force', () => {
    const phases: LoadPhasePlan[] = [{ startMs: 0, durationMs: 2000, rate: 50 }, { startMs: 2000, durationMs: 1000, rate: 0 }];
    assert.equal(ArrivalSchedule.expected(phases), 100);
    assert.deepEqual([ArrivalSchedule.rateAt(phases, 1999), ArrivalSchedule.rateAt(phases, 2000), ArrivalSchedule.rateAt(phases, 5000)], [50, 0, 0]);
  });
});
