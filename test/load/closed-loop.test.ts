import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { RemoteLoadGenerator } from '../../src/load/remote-load-generator.ts';
import { seriesKey } from '../../src/contract/series.ts';
import { startRecordingServer, type RecordingServer } from '../../bench/arrival-recorder.ts';

/**
`load: { connections: N }` without a rate: N requests in flight, each sent as the previous one is
answered (autocannon), for the load's duration. Driven through the load process, as a run does.
*/
describe('closed-loop load', () => {
  let server: RecordingServer;
  let inFlight = 0;
  let most = 0;
  beforeAll(async () => {
    // Answers after 20 ms, and counts how many requests it holds at once.
    server = await startRecordingServer({
      delayMs: () => {
        inFlight++;
        most = Math.max(most, inFlight);
        setTimeout(() => inFlight--, 20);
        return 20;
      },
    });
  });
  afterAll(() => server.close());

  test('keeps exactly `connections` requests in flight, as fast as the server answers', { timeout: 30_000 }, async () => {
    const load = new RemoteLoadGenerator({
      url: server.url,
      plan: { target: 'front', host: 'front', path: '/', model: 'closed', arrivals: 'uniform', seed: 1, connections: 4, durationMs: 2000, phases: [] },
    });
    const t0 = Date.now() + 300;
    const { summary, series } = await load.run(t0, { warmup: false });
    const h = summary.honesty;
    assert.equal(h.model, 'closed');
    assert.equal(most, 4, 'never more than connections in flight at the server');
    // 4 connections × (1 / ~20 ms) ≈ 200/s for 2 s; scheduling on a busy machine only slows it down.
    assert.ok(summary.requests >= 150 && summary.requests <= 410, `${summary.requests} requests`);
    assert.equal(summary.errors, 0);
    assert.equal(h.sent, summary.requests);
    assert.ok(Math.abs(h.achievedRate - summary.requests / 2) < 1e-9);
    assert.deepEqual([h.targetRate, h.intended, h.dropped.total, h.interArrivalCv, h.lateness], [null, null, 0, null, null]);
    assert.ok(h.latency.sent!.p50 >= 19, `latency p50 ${h.latency.sent!.p50}`);
    // Both client series exist (no schedule: the intended time is the send).
    const count = (key: string) => Object.values(series[key] ?? {}).reduce((a, b) => a + b.requests, 0);
    assert.equal(count(seriesKey.client()), summary.requests);
    assert.equal(count(seriesKey.clientSent()), summary.requests);
  });
});
