import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { HttpFault } from '../../../src/contract/mesh-policy.ts';
import { endpoint, outlier, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send, sendMany } from '../helpers/http.ts';
import { startStatusServer } from '../helpers/servers.ts';
import { closing, counter, eventsOf, startSidecar } from '../helpers/sidecar.ts';

type T = Parameters<typeof startSidecar>[0];

async function calleeWith(t: T, instance: string, appPort: number, fault: HttpFault | null) {
  const c = await startSidecar(t, { instance, service: 'payments' });
  c.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance, app: { host: '127.0.0.1', port: appPort }, clusters: {}, inbound: { rateLimit: null, fault } }));
  return c;
}

const abort503: HttpFault = { delay: null, abort: { status: 503, percent: 1 } };

describe('L7 faults at the caller outbound (Istio VirtualService fault)', () => {
  it('Istio fault injection: an outbound abort is answered before routing (FI) and is not retried even with retries configured (VirtualService docs, istio#13705)', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: { payments: { policy: policy({ retries: retries({ attempts: 3, retryOn: ['5xx'] }) }), endpoints: [endpoint('payments-0', up.port)], fault: abort503 } },
      }),
    );
    const r = await send(ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'FI');
    assert.equal(r.body, 'fault filter abort\n');
    assert.equal(r.headers['x-envoy-attempt-count'], undefined, 'no try was made');
    assert.equal(up.received, 0);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry'), 0);
    assert.equal(counter(sidecar, 'http.outbound.fault.aborts_injected'), 1);
    const edge = Object.values(sidecar.timeline().series['edge:checkout->payments'])[0];
    assert.deepEqual(edge.flags, { FI: 1 });
  });

  it('outbound aborts are not charged to outlier detection (they never reach a host)', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({ clusters: { payments: { policy: policy({ outlierDetection: outlier({ consecutive5xx: 1 }) }), endpoints: [endpoint('payments-0', up.port)], fault: abort503 } } }),
    );
    for (let i = 0; i < 3; i++) await send(ports.outbound, { host: 'payments' });
    assert.equal(eventsOf(sidecar, 'ejected').length, 0);
  });

  it('Istio fault injection: an outbound delay (DI) runs before the route timeout starts, so a 200ms delay under a 100ms timeout still succeeds', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({ clusters: { payments: { policy: policy({ timeoutMs: 100 }), endpoints: [endpoint('payments-0', up.port)], fault: { delay: { ms: 200, percent: 1 }, abort: null } } } }),
    );
    const r = await send(ports.outbound, { host: 'payments' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-meshproof-flags'], 'DI');
    assert.ok(r.ms >= 195, `delayed ${Math.round(r.ms)}ms`);
    assert.equal(counter(sidecar, 'http.outbound.fault.delays_injected'), 1);
  });

  it('delay then abort: both flags, after the delay', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { ports, sidecar } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)], fault: { delay: { ms: 80, percent: 1 }, abort: { status: 500, percent: 1 } } } } }));
    const r = await send(ports.outbound, { host: 'payments' });
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-meshproof-flags'], 'DI,FI');
    assert.ok(r.ms >= 75);
  });

  it('an abort for a share of requests, from the seeded random: the same seed aborts the same requests', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const run = async () => {
      const { sidecar, ports } = await startSidecar(t, { seed: 1 });
      sidecar.applyConfig(sidecarConfig({ seed: 99, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)], fault: { delay: null, abort: { status: 503, percent: 0.3 } } } } }));
      return sendMany(ports.outbound, 40);
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a, b);
    const aborted = a.filter((s) => s === 503).length;
    assert.ok(aborted >= 4 && aborted <= 20, `${aborted} of 40 aborted at 30%`);
  });

  it('a fault pushed and then removed by the control plane applies without restart', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    const cfg = (version: number, fault: HttpFault | null) => sidecarConfig({ version, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)], fault } } });
    sidecar.applyConfig(cfg(1, null));
    assert.equal((await send(ports.outbound, { host: 'payments' })).status, 200);
    sidecar.applyConfig(cfg(2, abort503));
    assert.equal((await send(ports.outbound, { host: 'payments' })).status, 503);
    sidecar.applyConfig(cfg(3, null));
    assert.equal((await send(ports.outbound, { host: 'payments' })).status, 200);
    // The fault's coming and going are events of their own; the policy did not change.
    assert.deepEqual(
      sidecar.events(0).filter((e) => e.type.startsWith('fault-') || e.type === 'policy-changed').map((e) => [e.type, e.data]),
      [
        ['fault-applied', { cluster: 'payments', fault: abort503 }],
        ['fault-cleared', { cluster: 'payments' }],
      ],
    );
  });
});

describe('L7 faults at the callee inbound', () => {
  it('an inbound abort looks like a real failure to the caller, which retries it on another instance', async (t) => {
    const app0 = closing(t, await startStatusServer(200));
    const app1 = closing(t, await startStatusServer(200));
    const faulty = await calleeWith(t, 'payments-0', app0.port, abort503);
    const healthy = await calleeWith(t, 'payments-1', app1.port, null);
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          payments: { policy: policy({ retries: retries({ attempts: 2, retryOn: ['5xx'] }) }), endpoints: [endpoint('payments-0', faulty.ports.inbound), endpoint('payments-1', healthy.ports.inbound)] },
        },
      }),
    );
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await send(caller.ports.outbound, { host: 'payments' }));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(6).fill(200),
    );
    assert.ok(counter(caller.sidecar, 'cluster.payments.upstream_rq_retry') >= 2, 'the aborts were retried');
    assert.equal(app0.received, 0, 'the faulty instance app never saw a request');
    const inst = Object.values(faulty.sidecar.timeline().series['instance:payments-0']);
    assert.ok(inst.reduce((n, b) => n + (b.flags.FI ?? 0), 0) >= 2, 'FI is recorded at the faulty instance inbound');
    assert.ok(counter(faulty.sidecar, 'http.inbound.fault.aborts_injected') >= 2);
  });

  it('an inbound delay (DI at the callee) counts against the caller per-try timeout: UT, then retried', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const slow = await calleeWith(t, 'payments-0', app.port, { delay: { ms: 300, percent: 1 }, abort: null });
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(
      sidecarConfig({
        clusters: { payments: { policy: policy({ retries: retries({ attempts: 1, perTryTimeoutMs: 80, retryOn: ['5xx'] }) }), endpoints: [endpoint('payments-0', slow.ports.inbound)] } },
      }),
    );
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT,URX');
    assert.equal(r.headers['x-envoy-attempt-count'], '2');
    assert.equal(counter(slow.sidecar, 'http.inbound.fault.delays_injected'), 2);
  });

  it('an inbound delay that the caller waits out: 200 after the delay, DI recorded at the callee', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const slow = await calleeWith(t, 'payments-0', app.port, { delay: { ms: 150, percent: 1 }, abort: null });
    const r = await send(slow.ports.inbound, { host: 'payments' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-meshproof-flags'], 'DI');
    assert.ok(r.ms >= 145);
    const inst = Object.values(slow.sidecar.timeline().series['instance:payments-0'])[0];
    assert.deepEqual(inst.flags, { DI: 1 });
  });
});
