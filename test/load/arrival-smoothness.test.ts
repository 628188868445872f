import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { LOAD_GOALS } from '../../src/load/load-honesty.ts';
import { monotonicMs } from '../../src/load/pacer.ts';
import { RemoteLoadGenerator } from '../../src/load/remote-load-generator.ts';
import type { Arrivals } from '../../src/scenario/scenario.ts';
import { arrivalStats } from './helpers/arrival-stats.ts';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server.ts';

/**
The promises of an open-loop load, measured where the mesh would see them: the load generator's own
process (as a run starts it) sends to a server on loopback that records when each request arrives.
The goals (LOAD_GOALS) are the assertions: uniform at 100/s and 2000/s with an inter-arrival CV of
at most 0.1, no 10 ms window over twice the expected count and the rate within ±1%; Poisson with a
CV between 0.9 and 1.1. Each case also checks that the load's own account (what result.json
reports) matches what the server saw.
*/

let server: RecordingServer;
beforeAll(async () => {
  server = await startRecordingServer();
});
afterAll(() => server.close());

async function drive(arrivals: Arrivals, rate: number, durationMs: number) {
  const load = new RemoteLoadGenerator({
    url: server.url,
    plan: { target: 'front', path: '/', model: 'open', arrivals, seed: 11, connections: Math.max(10, Math.ceil(rate / 10)), durationMs, phases: [{ startMs: 0, durationMs, rate }] },
  });
  await load.prepare();
  // A second of warm-up (as a run has) opens the connections; its requests arrive before `start`.
  const t0 = Date.now() + 1000;
  const start = monotonicMs() + (t0 - Date.now());
  const { summary } = await load.run(t0);
  const got = server.arrivals.filter((a) => a >= start - 2);
  const stats = arrivalStats(got, rate);
  const note = `${arrivals} ${rate}/s: server saw ${JSON.stringify(stats)}; the load said ${JSON.stringify({ ...summary.honesty, perSecond: undefined })}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`;
  return { h: summary.honesty, stats, expected: (rate * durationMs) / 1000, note };
}

describe('uniform arrivals', () => {
  for (const [rate, durationMs] of [
    [100, 5000],
    [2000, 4000],
  ] as const) {
    test(`${rate}/s: evenly spaced at the server, at the declared rate, with no burst`, { timeout: 30_000 }, async () => {
      const { h, stats, expected, note } = await drive('uniform', rate, durationMs);
      assert.equal(stats.count, h.sent, `the server got what the load says it sent; ${note}`);
      assert.ok(Math.abs(stats.count / expected - 1) <= LOAD_GOALS.rateTolerance, `rate: ${stats.count} of ${expected}; ${note}`);
      assert.ok(stats.cv <= LOAD_GOALS.uniformMaxCv, `CV ${stats.cv}; ${note}`);
      assert.ok(stats.windowRatio <= LOAD_GOALS.maxWindowRatio, `busiest 10 ms: ${stats.busiest} where ${stats.expectedPerWindow} expected; ${note}`);
      assert.equal(h.dropped.cap, 0);
      // The load measures its own sends: they agree with the server's arrivals to within loopback jitter.
      assert.ok(Math.abs(h.interArrivalCv! - stats.cv) < 0.05, `the load said CV ${h.interArrivalCv}, the server saw ${stats.cv}`);
    });
  }
});

describe('poisson arrivals', () => {
  for (const [rate, durationMs] of [
    [100, 10_000],
    [2000, 4000],
  ] as const) {
    test(`${rate}/s: exponential gaps at the server (CV near 1), at the declared mean rate`, { timeout: 40_000 }, async () => {
      const { h, stats, expected, note } = await drive('poisson', rate, durationMs);
      const [lo, hi] = LOAD_GOALS.poissonCv;
      assert.equal(stats.count, h.sent, note);
      assert.ok(stats.cv >= lo && stats.cv <= hi, `CV ${stats.cv}; ${note}`);
      // A Poisson count over the run has a standard deviation of √expected (3% of 1000, 1.1% of 8000):
      // the seeded schedule is fixed, so this checks that nothing was lost, within 4 of those.
      assert.ok(Math.abs(stats.count - expected) <= 4 * Math.sqrt(expected), `${stats.count} of ${expected}; ${note}`);
      assert.equal(h.expectedCv, 1);
    });
  }
});
