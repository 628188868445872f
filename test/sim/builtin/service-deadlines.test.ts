import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { WASTE_GRACE_MS, type WorkReport } from '../../../src/sim/builtin/work-log.ts';
import { ManualClock } from '../../../src/util/clock.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { serviceSpec } from '../../helpers/scenario.ts';
import { getJson, send } from '../helpers/http.ts';
import { closing } from '../helpers/sidecar.ts';

/** One slot, 200ms of work per request: a second request waits 200ms in the queue. */
async function oneSlot(t: Parameters<typeof closing>[0], deadlines: 'propagate' | 'off') {
  const svc = closing(t, new BuiltinService({ spec: serviceSpec('store', { latency: { kind: 'fixed', ms: 200 }, concurrency: 1, queue: 10 }), instance: 'store-0', sidecar: null, deadlines }));
  return { svc, port: await svc.start(0) };
}

describe('built-in service: deadlines and the work nobody waits for', () => {
  it('propagate: a request whose deadline passes while it is queued is never worked; the processing it did not cost is saved', async (t) => {
    const { svc, port } = await oneSlot(t, 'propagate');
    const first = send(port);
    await waitFor(() => (svc.active === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the first request holds the slot' });
    const late = await send(port, { headers: { 'x-envoy-expected-rq-timeout-ms': '50' } });
    assert.equal(late.status, 504);
    assert.match(late.body, /stopped before starting: its deadline .* passed/);
    assert.ok(late.ms >= 150, `answered when its turn came (${Math.round(late.ms)}ms)`);
    assert.equal((await first).status, 200);
    assert.deepEqual(svc.work, { wasted: 0, wastedMs: 0, saved: 1, savedMs: 200 });
  });

  it('propagate: a request is cut at its deadline while being worked on', async (t) => {
    const { svc, port } = await oneSlot(t, 'propagate');
    const r = await send(port, { headers: { 'x-envoy-expected-rq-timeout-ms': '60' } });
    assert.equal(r.status, 504);
    assert.match(r.body, /stopped while processing/);
    assert.ok(r.ms < 180, `at the deadline, not after 200ms of work (${Math.round(r.ms)}ms)`);
    assert.equal(svc.work.saved, 1);
    assert.ok(svc.work.savedMs > 100 && svc.work.savedMs <= 145, `about 140ms not spent (${svc.work.savedMs})`);
    assert.equal(svc.active, 0);
  });

  it('off: the deadline is ignored; work after the give-up time the request carries is wasted, and counted', async (t) => {
    const { svc, port } = await oneSlot(t, 'off');
    const r = await send(port, { headers: { 'x-envoy-expected-rq-timeout-ms': '60', 'x-meshproof-give-up-at': String(Date.now() + 60) } });
    assert.equal(r.status, 200, 'worked to its end');
    assert.equal(svc.work.wasted, 1);
    assert.ok(svc.work.wastedMs >= 120 && svc.work.wastedMs < 200, `the work after the caller gave up: ${svc.work.wastedMs}ms`);
    assert.equal(svc.work.saved, 0);
  });

  it('off: a caller that leaves makes the rest of the work wasted, even without a give-up time', async (t) => {
    const { svc, port } = await oneSlot(t, 'off');
    await assert.rejects(send(port, { timeoutMs: 50 }));
    await waitFor(() => (svc.work.wasted === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the work ended' });
    assert.ok(svc.work.wastedMs >= 120, `${svc.work.wastedMs}ms`);
  });

  it('work past the give-up time counts only beyond the grace (a timer cannot stop at the exact ms); measured on an injected clock', async (t) => {
    const clock = new ManualClock();
    const base = 1_700_000_000_000;
    const svc = closing(
      t,
      new BuiltinService({ spec: serviceSpec('store', { latency: { kind: 'fixed', ms: 200 } }), instance: 'store-0', sidecar: null, clock, now: () => base + clock.now() }),
    );
    const port = await svc.start(0);
    const run = async (giveUpAfter: number) => {
      const r = send(port, { headers: { 'x-meshproof-give-up-at': String(base + clock.now() + giveUpAfter) } });
      await waitFor(() => (svc.active === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the request is being worked on' });
      clock.advance(200);
      assert.equal((await r).status, 200);
    };
    await run(195);
    assert.equal(svc.work.wasted, 0, `5ms past the give-up time is within the ${WASTE_GRACE_MS}ms grace`);
    await run(150);
    assert.deepEqual(svc.work, { wasted: 1, wastedMs: 50, saved: 0, savedMs: 0 });
  });

  it('GET /.meshproof/work: records after a sequence number, starting over for a reader of another incarnation', async (t) => {
    const { svc, port } = await oneSlot(t, 'propagate');
    for (let i = 0; i < 3; i++) await send(port, { headers: { 'x-envoy-expected-rq-timeout-ms': '0' } });
    const all = await getJson<WorkReport>(port, '/.meshproof/work?since=0');
    assert.equal(all.last, 3);
    assert.deepEqual(all.records.map((r) => [r.seq, r.kind]), [[1, 'saved'], [2, 'saved'], [3, 'saved']]);
    const later = await getJson<WorkReport>(port, `/.meshproof/work?since=2&incarnation=${encodeURIComponent(all.incarnation)}`);
    assert.deepEqual(later.records.map((r) => r.seq), [3]);
    const stranger = await getJson<WorkReport>(port, '/.meshproof/work?since=2&incarnation=someone-else');
    assert.equal(stranger.records.length, 3, 'a reader that knew another process gets everything');
    assert.equal(svc.answered.get(504), 3);
  });
});
