import { describe, it, type TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeadlineMode } from '../../../src/contract/mesh-policy.ts';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { serviceSpec } from '../../helpers/scenario.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

/**
A chain client → front → store, every hop a real sidecar and (front, store) a real built-in service:
the client's sidecar gives up on front after 300ms; front's sidecar would wait 2s for store; store
takes 800ms. With per-hop timeouts only, store works on after the client gave up; with deadlines
propagated, it stops when the client's time is up.
*/
async function chain(t: TestContext, deadlines: DeadlineMode) {
  const storeApp = closing(t, new BuiltinService({ spec: serviceSpec('store', { latency: { kind: 'fixed', ms: 800 } }), instance: 'store-0', sidecar: null, deadlines }));
  const storePort = await storeApp.start(0);
  const store = await startSidecar(t, { instance: 'store-0', service: 'store' });
  store.sidecar.applyConfig(
    sidecarConfig({ service: 'store', instance: 'store-0', app: { host: '127.0.0.1', port: storePort, work: true }, clusters: {}, inbound: { rateLimit: null, fault: null, deadlines } }),
  );

  const front = await startSidecar(t, { instance: 'front-0', service: 'front' });
  const frontApp = closing(
    t,
    new BuiltinService({ spec: serviceSpec('front', { latency: { kind: 'fixed', ms: 40 }, calls: ['store'] }), instance: 'front-0', sidecar: { host: '127.0.0.1', port: front.ports.outbound }, deadlines }),
  );
  const frontPort = await frontApp.start(0);
  front.sidecar.applyConfig(
    sidecarConfig({
      service: 'front',
      instance: 'front-0',
      app: { host: '127.0.0.1', port: frontPort, work: true },
      inbound: { rateLimit: null, fault: null, deadlines },
      clusters: { store: { policy: policy({ timeoutMs: 2000, deadlines }), endpoints: [endpoint('store-0', store.ports.inbound)] } },
    }),
  );

  const client = await startSidecar(t, { instance: 'ingress', service: 'client' });
  client.sidecar.applyConfig(
    sidecarConfig({ service: 'client', instance: 'ingress', clusters: { front: { policy: policy({ timeoutMs: 300, deadlines }), endpoints: [endpoint('front-0', front.ports.inbound)] } } }),
  );
  // Warm every hop's code path and connections (the health path answers without work), so the
  // timings measured next are the mesh's, not a cold start's: the whole chain shares this process.
  for (let i = 0; i < 20; i++) {
    await send(client.ports.outbound, { host: 'front', path: '/healthz' });
    await send(front.ports.outbound, { host: 'store', path: '/healthz' });
  }
  return { storeApp, store, frontApp, front, client };
}

describe('deadlines across a chain of real sidecars and built-in services', () => {
  it('per-hop timeouts only: the client gets 504 UT at 300ms, and store works its 800ms anyway — wasted work, read into store\'s timeline', async (t) => {
    const { storeApp, store, client, front } = await chain(t, 'off');
    const r = await send(client.ports.outbound, { host: 'front' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT', 'the client\'s own timeout, no deadline');
    assert.ok(r.ms >= 290 && r.ms < 700, `answered at the client's timeout (${Math.round(r.ms)}ms)`);
    await waitFor(() => (storeApp.work.wasted === 1 ? true : undefined), { timeoutMs: 3000, describe: () => 'store finished the abandoned request' });
    // Store started ~45ms in and worked until ~845ms; the client gave up at 300ms.
    assert.ok(storeApp.work.wastedMs > 400 && storeApp.work.wastedMs < 650, `work after the give-up: ${storeApp.work.wastedMs}ms`);
    assert.equal(storeApp.work.saved, 0);
    assert.equal(counter(front.sidecar, 'cluster.store.upstream_rq_deadline_exceeded'), 0);
    assert.equal(counter(store.sidecar, 'http.inbound.deadline_exceeded'), 0);

    await store.sidecar.refreshTimeline();
    const wasted = Object.values(store.sidecar.timeline().series['wasted:store-0'] ?? {});
    assert.equal(wasted.reduce((a, b) => a + b.requests, 0), 1, 'the sidecar read the app\'s work log into wasted:store-0');
    assert.ok(Math.abs(wasted[0].latency.sum - storeApp.work.wastedMs) < 1);
    await store.sidecar.refreshTimeline();
    assert.equal(Object.values(store.sidecar.timeline().series['wasted:store-0']).reduce((a, b) => a + b.requests, 0), 1, 'a second read adds nothing');
  });

  it('deadlines: propagate: store stops when the client\'s 300ms are up, and says so; nothing is wasted', async (t) => {
    const { storeApp, store, client, front, frontApp } = await chain(t, 'propagate');
    const r = await send(client.ports.outbound, { host: 'front' });
    assert.equal(r.status, 504);
    assert.ok(r.ms >= 290 && r.ms < 700, `answered at the client's timeout (${Math.round(r.ms)}ms)`);
    await waitFor(() => (storeApp.work.saved === 1 ? true : undefined), { timeoutMs: 3000, describe: () => `store stopped the request (store ${JSON.stringify(storeApp.work)}, front ${JSON.stringify(frontApp.work)}, answered ${r.status} ${r.headers["x-meshproof-flags"]} ${r.body.trim()} in ${Math.round(r.ms)}ms; store inbound ${JSON.stringify(store.sidecar.stats().counters["http.inbound.downstream_rq_total"])})` });
    assert.equal(storeApp.active, 0, 'the slot is free long before 800ms of work would have ended');
    assert.ok(storeApp.work.savedMs > 400, `the processing not spent: ${storeApp.work.savedMs}ms`);
    // Store stops when its deadline passes, which is the client's give-up time plus the hops' transit
    // and however late the timer fires in this shared, busy process: a few ms, never its 500ms of work.
    assert.ok(storeApp.work.wastedMs < 60, `next to nothing after the client gave up: ${JSON.stringify(storeApp.work)}`);
    await waitFor(() => (frontApp.active === 0 ? true : undefined), { timeoutMs: 2000, describe: () => 'front is done' });
    assert.ok(frontApp.work.wastedMs < 60, `front: ${JSON.stringify(frontApp.work)}`);
    // Whichever timer behind the client fired first (front's inbound, front's sidecar toward store, or
    // store's inbound), it was the deadline's; the others saw the request cancelled.
    const de =
      counter(front.sidecar, 'http.inbound.deadline_exceeded') + counter(front.sidecar, 'cluster.store.upstream_rq_deadline_exceeded') + counter(store.sidecar, 'http.inbound.deadline_exceeded');
    assert.ok(de >= 1, 'a hop behind the client ended the request on its deadline');
    await store.sidecar.refreshTimeline();
    const saved = Object.values(store.sidecar.timeline().series['saved:store-0'] ?? {});
    assert.equal(saved.reduce((a, b) => a + b.requests, 0), 1, 'saved:store-0 in the timeline');
  });

  it("a caller's sidecar takes the lesser of its timeout and the deadline its app passes on; the 504 says DE", async (t) => {
    const slow = createServer((_req, res) => setTimeout(() => res.end('late'), 2000));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => new Promise<void>((r) => {
      slow.closeAllConnections();
      slow.close(() => r());
    }));
    const { sidecar, ports } = await startSidecar(t);
    const up = endpoint('payments-0', (slow.address() as AddressInfo).port);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy({ timeoutMs: 1500, deadlines: 'propagate' }), endpoints: [up] }, ignores: { policy: policy({ timeoutMs: 1500 }), endpoints: [up] } } }));

    const r = await send(ports.outbound, { host: 'payments', headers: { 'x-envoy-expected-rq-timeout-ms': '150' } });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT,DE');
    assert.match(r.body, /deadline: the caller's x-envoy-expected-rq-timeout-ms left 150ms/);
    assert.ok(r.ms < 1000, `the deadline, not the 1.5s timeout (${Math.round(r.ms)}ms)`);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_deadline_exceeded'), 1);

    const none = await send(ports.outbound, { host: 'payments', headers: { 'x-envoy-expected-rq-timeout-ms': '0' } });
    assert.equal(none.status, 504, 'no time left: nothing is sent');
    assert.equal(none.headers['x-meshproof-flags'], 'UT,DE');
    assert.equal(none.headers['x-envoy-attempt-count'], undefined);

    const ignored = await send(ports.outbound, { host: 'ignores', headers: { 'x-envoy-expected-rq-timeout-ms': '150' } });
    assert.equal(ignored.status, 504);
    assert.equal(ignored.headers['x-meshproof-flags'], 'UT', 'deadlines off: the app\'s header is ignored (and not sent on)');
    assert.ok(ignored.ms >= 1400, `its own 1.5s timeout (${Math.round(ignored.ms)}ms)`);
  });

  it('every try carries the expected timeout, the give-up time and the caller\'s service; the inbound rewrites them only when it honours deadlines', async (t) => {
    const seen: IncomingHttpHeaders[] = [];
    const echo = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => new Promise<void>((r) => echo.close(() => r())));
    const appPort = (echo.address() as AddressInfo).port;
    const honours = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    honours.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: appPort }, clusters: {}, inbound: { rateLimit: null, fault: null, deadlines: 'propagate' } }));
    const ignores = await startSidecar(t, { instance: 'payments-1', service: 'payments' });
    ignores.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-1', app: { host: '127.0.0.1', port: appPort }, clusters: {} }));
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          a: { policy: policy({ timeoutMs: 1000, retries: retries({ perTryTimeoutMs: 400 }) }), endpoints: [endpoint('payments-0', honours.ports.inbound)] },
          b: { policy: policy({ timeoutMs: 1000 }), endpoints: [endpoint('payments-1', ignores.ports.inbound)] },
        },
      }),
    );
    const before = Date.now();
    await send(caller.ports.outbound, { host: 'a', headers: { 'x-envoy-downstream-service-cluster': 'spoofed', 'x-meshproof-give-up-at': String(before + 60_000) } });
    await send(caller.ports.outbound, { host: 'b' });
    const [a, b] = seen;
    assert.equal(a['x-envoy-downstream-service-cluster'], 'checkout', "the caller's own service, whatever its app said");
    const aLeft = Number(a['x-envoy-expected-rq-timeout-ms']);
    assert.ok(aLeft <= 400 && aLeft >= 350, `the per-try timeout, minus the inbound's few ms (${aLeft})`);
    const aGiveUp = Number(a['x-meshproof-give-up-at']);
    assert.ok(aGiveUp >= before + 390 && aGiveUp <= Date.now() + 400, 'the give-up time is the try\'s, earlier than the one the app sent');
    assert.equal(b['x-envoy-expected-rq-timeout-ms'], '1000', 'passed through unchanged by an inbound that ignores deadlines');
    assert.ok(Number(b['x-meshproof-give-up-at']) >= before + 1000);
  });
});
