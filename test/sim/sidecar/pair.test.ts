import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { ServiceSpec } from '../../../src/scenario/scenario.ts';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { SeriesRecorder } from '../../../src/observe/timeline.ts';
import { Sidecar } from '../../../src/sim/sidecar/sidecar.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { refusedPort, startEchoServer, startSlowServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';
import { serviceSpec } from '../../helpers/scenario.ts';

const spec = serviceSpec;

describe('sidecar pair: caller outbound → callee inbound → app', () => {
  it('a request crosses both sidecars; each records its side; trace and request id reach the app', async (t) => {
    const app = closing(t, await startEchoServer());
    const callee = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    callee.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: app.port }, clusters: {} }));
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', callee.ports.inbound)] } } }));

    const r = await send(caller.ports.outbound, { host: 'payments', path: '/pay?x=1', headers: { 'x-request-id': 'abc' } });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body);
    assert.equal(seen.url, '/pay?x=1');
    assert.equal(seen.headers['x-request-id'], 'abc');
    assert.match(seen.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(seen.headers.host, 'payments');

    const edge = caller.sidecar.timeline().series['edge:checkout->payments'];
    const inst = callee.sidecar.timeline().series['instance:payments-0'];
    assert.equal(Object.values(edge)[0].requests, 1);
    assert.deepEqual(Object.values(inst)[0].status, { '200': 1 });
    assert.equal(counter(callee.sidecar, 'http.inbound.downstream_rq_total'), 1);
    assert.equal(counter(callee.sidecar, 'http.inbound.downstream_rq_2xx'), 1);
  });

  it('inbound: the app unreachable gives 503 UF, recorded at the instance; the caller retries it like any 503', async (t) => {
    const dead = await refusedPort();
    const callee = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    callee.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: dead }, clusters: {} }));
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(
      sidecarConfig({ clusters: { payments: { policy: policy({ retries: retries({ attempts: 1, retryOn: ['gateway-error'] }) }), endpoints: [endpoint('payments-0', callee.ports.inbound)] } } }),
    );
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'URX', "the callee's UF describes its hop; the caller reports its own flags");
    assert.match(r.body, /the app at 127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/);
    const inst = Object.values(callee.sidecar.timeline().series['instance:payments-0'])[0];
    assert.deepEqual(inst.flags, { UF: 2 });
    assert.deepEqual(inst.status, { '503': 2 });
  });

  it('inbound before any config: 503 NC', async (t) => {
    const callee = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    const r = await send(callee.ports.inbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'NC');
  });

  it('a caller that gives up: recorded with DC, and the upstream try is aborted', async (t) => {
    const slow = closing(t, await startSlowServer(5000));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', slow.port)] } } }));
    await assert.rejects(send(ports.outbound, { host: 'payments', timeoutMs: 150 }), /within 150ms/);
    const edge = await waitFor(
      () => {
        const s = sidecar.timeline().series['edge:checkout->payments'];
        return s ? Object.values(s)[0] : undefined;
      },
      { timeoutMs: 2000, describe: () => 'the abandoned request recorded' },
    );
    assert.deepEqual(edge.status, { error: 1 });
    assert.deepEqual(edge.flags, { DC: 1 });
    assert.equal(sidecar.stats().gauges['cluster.payments.upstream_rq_active'], 0);
    assert.equal(sidecar.stats().gauges['cluster.payments.rq_active'], 0);
    assert.equal(counter(sidecar, 'http.outbound.downstream_rq_rx_reset'), 1);
  });

  it('end to end in process: client → gateway sidecar → built-in checkout → its sidecar → payments sidecar → built-in payments', async (t) => {
    const paymentsSidecar = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    const payments = closing(t, new BuiltinService({ spec: spec('payments'), instance: 'payments-0', sidecar: { host: '127.0.0.1', port: paymentsSidecar.ports.outbound } }));
    const paymentsPort = await payments.start();
    paymentsSidecar.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: paymentsPort }, clusters: {} }));

    const checkoutSidecar = await startSidecar(t, { instance: 'checkout-0', service: 'checkout' });
    const checkout = closing(
      t,
      new BuiltinService({ spec: spec('checkout', { calls: ['payments'] }), instance: 'checkout-0', sidecar: { host: '127.0.0.1', port: checkoutSidecar.ports.outbound } }),
    );
    const checkoutPort = await checkout.start();
    checkoutSidecar.sidecar.applyConfig(
      sidecarConfig({
        app: { host: '127.0.0.1', port: checkoutPort },
        clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', paymentsSidecar.ports.inbound)] } },
      }),
    );

    const ingress = new Sidecar({ instance: 'client', service: 'client', recorder: new SeriesRecorder() });
    t.onTestFinished(() => ingress.close());
    const ingressPorts = await ingress.start();
    ingress.applyConfig(sidecarConfig({ service: 'client', instance: 'client', clusters: { checkout: { policy: policy(), endpoints: [endpoint('checkout-0', checkoutSidecar.ports.inbound)] } } }));

    for (let i = 0; i < 5; i++) {
      const r = await send(ingressPorts.outbound, { host: 'checkout' });
      assert.equal(r.status, 200);
      assert.equal(r.body.trim(), 'ok checkout-0');
    }
    const total = (s: Sidecar, key: string) => Object.values(s.timeline().series[key] ?? {}).reduce((n, b) => n + b.requests, 0);
    assert.equal(total(ingress, 'edge:client->checkout'), 5);
    assert.equal(total(checkoutSidecar.sidecar, 'instance:checkout-0'), 5);
    assert.equal(total(checkoutSidecar.sidecar, 'edge:checkout->payments'), 5);
    assert.equal(total(paymentsSidecar.sidecar, 'instance:payments-0'), 5);
  });
});
