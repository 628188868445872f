import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startEchoServer, startSlowServer, startStatusServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

describe('outbound routing', () => {
  it('before any config: 503 with flag NC, and the body says why', async (t) => {
    const { ports } = await startSidecar(t);
    const r = await send(ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'NC');
    assert.match(r.body, /no config/);
  });

  it('an unknown Host: 404 with flag NR (Envoy: no route), naming the known destinations', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)] } } }));
    const r = await send(ports.outbound, { host: 'inventory' });
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-meshproof-flags'], 'NR');
    assert.match(r.body, /"inventory".*known: payments/);
    assert.equal(counter(sidecar, 'http.outbound.no_route'), 1);
    assert.equal(up.received, 0);
  });

  it('Host with a port suffix and any case routes to the service', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)] } } }));
    const r = await send(ports.outbound, { host: 'Payments:8080' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-meshproof-flags'], undefined, 'no flags header when there are no flags');
    assert.equal(r.headers['x-envoy-attempt-count'], '1');
  });

  it('no healthy endpoint: 503 with flag UH (Envoy: no healthy upstream), not retried', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({ clusters: { payments: { policy: policy({ retries: retries() }), endpoints: [endpoint('payments-0', up.port, false)] } } }),
    );
    const r = await send(ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UH');
    assert.match(r.body, /no healthy upstream for payments/);
    assert.equal(up.received, 0);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_cx_none_healthy'), 1);
  });

  it('round robin spreads requests evenly over the healthy endpoints only', async (t) => {
    const a = closing(t, await startStatusServer(200));
    const b = closing(t, await startStatusServer(200));
    const c = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', a.port), endpoint('payments-1', b.port), endpoint('payments-2', c.port, false)] } },
      }),
    );
    for (let i = 0; i < 10; i++) assert.equal((await send(ports.outbound, { host: 'payments' })).status, 200);
    assert.deepEqual([a.received, b.received, c.received], [5, 5, 0]);
  });

  it('least request sends new requests to the endpoint with fewer in flight', async (t) => {
    const slow = closing(t, await startSlowServer(400));
    const fast = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({ clusters: { payments: { policy: policy({ loadBalancer: 'least_request' }), endpoints: [endpoint('slow', slow.port), endpoint('fast', fast.port)] } } }),
    );
    // Requests one after another, each sent once the one before is held by the slow host or answered
    // by the fast one (which is then idle again): whenever one is stuck on the slow host, the next goes to the fast one.
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      const slowBefore = slow.received;
      let answered = false;
      inFlight.push(send(ports.outbound, { host: 'payments' }).then(() => (answered = true)));
      await waitFor(() => (answered || slow.received > slowBefore ? true : undefined), { timeoutMs: 5000, intervalMs: 2, describe: () => `request ${i + 1} at the slow host or answered` });
    }
    await Promise.all(inFlight);
    assert.ok(slow.received <= 2, `slow host got ${slow.received} of 10 (P2C with 2 hosts always picks the less loaded)`);
  });

  it('passes traceparent on with the same trace id and a new span id per try; keeps x-request-id', async (t) => {
    const echo = closing(t, await startEchoServer());
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', echo.port)] } } }));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = await send(ports.outbound, { host: 'payments', headers: { traceparent, 'x-request-id': 'req-1', 'x-custom': 'kept' } });
    const seen = JSON.parse(r.body).headers;
    const [v, trace, span, flags] = seen.traceparent.split('-');
    assert.equal(v, '00');
    assert.equal(trace, '0af7651916cd43dd8448eb211c80319c');
    assert.notEqual(span, 'b7ad6b7169203331');
    assert.match(span, /^[0-9a-f]{16}$/);
    assert.equal(flags, '01');
    assert.equal(seen['x-request-id'], 'req-1');
    assert.equal(seen['x-custom'], 'kept');
    assert.equal(seen.host, 'payments');
    assert.equal(seen['x-envoy-attempt-count'], '1');
  });

  it('starts a trace and a request id when the app sent none', async (t) => {
    const echo = closing(t, await startEchoServer());
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', echo.port)] } } }));
    const seen = JSON.parse((await send(ports.outbound, { host: 'payments' })).body).headers;
    assert.match(seen.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.match(seen['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sets x-envoy-expected-rq-timeout-ms to the per-try timeout, or what is left of the whole timeout', async (t) => {
    const echo = closing(t, await startEchoServer());
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          a: { policy: policy({ timeoutMs: 5000, retries: retries({ perTryTimeoutMs: 700 }) }), endpoints: [endpoint('a-0', echo.port)] },
          b: { policy: policy({ timeoutMs: 900 }), endpoints: [endpoint('b-0', echo.port)] },
          c: { policy: policy(), endpoints: [endpoint('c-0', echo.port)] },
        },
      }),
    );
    const a = JSON.parse((await send(ports.outbound, { host: 'a' })).body).headers;
    assert.equal(a['x-envoy-expected-rq-timeout-ms'], '700');
    const b = Number(JSON.parse((await send(ports.outbound, { host: 'b' })).body).headers['x-envoy-expected-rq-timeout-ms']);
    assert.ok(b <= 900 && b > 800, `remaining whole timeout ${b}`);
    const c = JSON.parse((await send(ports.outbound, { host: 'c' })).body).headers;
    assert.equal(c['x-envoy-expected-rq-timeout-ms'], undefined, 'no timeout, no deadline header');
  });

  it('buffers a request body and replays it on a retry', async (t) => {
    const bodies: string[] = [];
    const { startServer } = await import('../helpers/servers.ts');
    const up = closing(
      t,
      await startServer((req, res, n) => {
        let b = '';
        req.on('data', (d) => (b += d));
        req.on('end', () => {
          bodies.push(b);
          res.writeHead(n === 1 ? 503 : 200);
          res.end();
        });
      }),
    );
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy({ retries: retries() }), endpoints: [endpoint('payments-0', up.port)] } } }));
    const r = await send(ports.outbound, { host: 'payments', method: 'POST', body: 'pay 10 EUR', headers: { 'content-type': 'text/plain' } });
    assert.equal(r.status, 200);
    assert.deepEqual(bodies, ['pay 10 EUR', 'pay 10 EUR']);
  });
});

describe('access log', () => {
  it('writes one Envoy-style line per request when enabled, with code, flags and upstream host', async (t) => {
    const { refusedPort } = await import('../helpers/servers.ts');
    const dead = await refusedPort();
    const lines: string[] = [];
    const { sidecar, ports } = await startSidecar(t, { accessLog: (l) => lines.push(l) });
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', dead)] } } }));
    await send(ports.outbound, { host: 'payments', path: '/pay', headers: { 'x-request-id': 'log-1' } });
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\dT[^\\]]+Z\\] "GET /pay HTTP/1.1" 503 UF \\d+ "log-1" "payments" "127.0.0.1:${dead}" outbound attempts=1$`));
  });
});
