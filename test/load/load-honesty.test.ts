import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { LoadHonestyMeter, loadShortfalls, type LoadHonesty } from '../../src/load/load-honesty.ts';
import type { LoadPhasePlan } from '../../src/plan/plan-scenario.ts';

const NO_LATENCY: LoadHonesty['latency'] = { intended: null, sent: null };

function measure(phases: LoadPhasePlan[], feed: (m: LoadHonestyMeter) => void, arrivals: 'uniform' | 'poisson' = 'uniform'): LoadHonesty {
  const m = new LoadHonestyMeter(phases);
  feed(m);
  const durationMs = phases.reduce((a, p) => Math.max(a, p.startMs + p.durationMs), 0);
  return m.result({ durationMs, arrivals, cap: 10, unfinished: 0, latency: NO_LATENCY });
}

describe('LoadHonestyMeter', () => {
  test('a load sent exactly on schedule: full rate, no drops, CV 0, busiest window as expected', () => {
    const h = measure([{ startMs: 0, durationMs: 2000, rate: 100 }], (m) => {
      for (let i = 0; i < 200; i++) m.sent(i * 10, i * 10 + (i === 7 ? 0.25 : 0));
    });
    assert.equal(h.model, 'open');
    assert.deepEqual([h.intended, h.sent, h.dropped.total], [200, 200, 0]);
    assert.equal(h.targetRate, 100);
    assert.equal(h.achievedRate, 100);
    assert.equal(h.rateRatio, 1);
    assert.ok(h.interArrivalCv! < 0.005);
    // The send 0.25 ms late is 9.75 ms before the next one: two in a (sliding) 10 ms window.
    assert.deepEqual(h.busiestWindow, { windowMs: 10, count: 2, expected: 1, ratio: 2 });
    assert.equal(h.lateness!.max, 0.25);
    assert.ok(h.lateness!.p50 < 0.002, 'on time (the histogram keeps µs)');
    assert.deepEqual(h.perSecond.sent, [100, 100]);
    assert.deepEqual(h.perSecond.dropped, [0, 0]);
    assert.deepEqual(loadShortfalls(h), []);
  });

  test('a burst: ten requests in one millisecond where one per 10 ms was planned', () => {
    const h = measure([{ startMs: 0, durationMs: 1000, rate: 100 }], (m) => {
      for (let i = 0; i < 100; i++) m.sent(i * 10, i < 10 ? 90 + i * 0.1 : i * 10);
    });
    assert.equal(h.busiestWindow!.count, 10);
    assert.equal(h.busiestWindow!.ratio, 10);
    assert.ok(h.interArrivalCv! > 0.1, `CV ${h.interArrivalCv}`);
    assert.match(loadShortfalls(h).join('; '), /inter-arrival CV .* \(uniform: at most 0\.1\); 10 sends in one 10 ms window where 1 were expected/);
  });

  test('at 2000/s, the expected count per 10 ms is 20', () => {
    const h = measure([{ startMs: 0, durationMs: 1000, rate: 2000 }], (m) => {
      for (let i = 0; i < 2000; i++) m.sent(i * 0.5, i * 0.5);
    });
    assert.equal(h.busiestWindow!.expected, 20);
    assert.equal(h.busiestWindow!.count, 20);
  });

  test('drops are counted by reason and by second, and lower the achieved rate', () => {
    const h = measure([{ startMs: 0, durationMs: 2000, rate: 100 }], (m) => {
      for (let i = 0; i < 200; i++) {
        if (i >= 150 && i < 160) m.dropped(i * 10, 'cap');
        else if (i === 170) m.dropped(i * 10, 'late');
        else m.sent(i * 10, i * 10);
      }
    });
    assert.deepEqual(h.dropped, { total: 11, cap: 10, late: 1 });
    assert.deepEqual([h.intended, h.sent], [200, 189]);
    assert.equal(h.achievedRate, 94.5);
    assert.deepEqual(h.perSecond.dropped, [0, 11]);
    assert.deepEqual(h.perSecond.sent, [100, 89]);
    assert.match(loadShortfalls(h)[0], /^11 dropped \(10 at the cap of 10 in flight, 1 late\)$/);
    assert.match(loadShortfalls(h)[1], /^sent 94\.5% of the 200 requests the schedule intended$/);
  });

  test('gaps are scaled by the rate in force, so evenly spaced phases of different rates still have CV 0; a pause is not a gap', () => {
    const phases: LoadPhasePlan[] = [
      { startMs: 0, durationMs: 1000, rate: 100 },
      { startMs: 1000, durationMs: 1000, rate: 0 },
      { startMs: 2000, durationMs: 1000, rate: 500 },
    ];
    const h = measure(phases, (m) => {
      for (let i = 0; i < 100; i++) m.sent(i * 10, i * 10);
      for (let i = 0; i < 500; i++) m.sent(2000 + i * 2, 2000 + i * 2);
    });
    assert.ok(h.interArrivalCv! < 1e-9, `CV ${h.interArrivalCv}`);
    assert.equal(h.targetRate, 200);
    assert.deepEqual(h.perSecond.sent, [100, 0, 500], 'a second with nothing is 0, not missing');
    assert.equal(h.busiestWindow!.ratio, 1);
  });

  test('the most requests in flight at once', () => {
    const m = new LoadHonestyMeter([{ startMs: 0, durationMs: 1000, rate: 10 }]);
    for (const n of [1, 2, 5, 3, 0]) m.inFlightNow(n);
    assert.equal(m.result({ durationMs: 1000, arrivals: 'uniform', cap: 8, unfinished: 2, latency: NO_LATENCY }).maxInFlight, 5);
  });

  test('poisson is judged against a CV of 1, and its bursts are not a shortfall', () => {
    const h = measure(
      [{ startMs: 0, durationMs: 1000, rate: 100 }],
      (m) => {
        for (let i = 0; i < 100; i++) m.sent(i * 10, i * 10);
      },
      'poisson',
    );
    assert.equal(h.expectedCv, 1);
    assert.match(loadShortfalls(h).join(), /inter-arrival CV 0\.00 \(poisson: 0\.9–1\.1\)/);
  });
});
