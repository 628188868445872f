import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { endpoint, outlier, policy, retries, sidecarConfig, UNLIMITED, type TestCluster } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startControlledServer, startStatusServer } from '../helpers/servers.ts';
import { closing, counter, eventsOf, gauge, startSidecar, waitForEvent } from '../helpers/sidecar.ts';
import { waitFor } from '../../../src/util/http-json.ts';

type T = Parameters<typeof startSidecar>[0];

async function sidecarWith(t: T, cluster: TestCluster) {
  const { sidecar, ports } = await startSidecar(t);
  sidecar.applyConfig(sidecarConfig({ clusters: { payments: cluster } }));
  return { sidecar, port: ports.outbound };
}

describe('circuit breakers (connectionPool) through a real sidecar', () => {
  it('Envoy circuit_breakers_integration_test: max_requests 0 gives 503 UO with x-envoy-overloaded, upstream_rq_pending_overflow 1, ejections_enforced_total 0, and is not retried', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, port } = await sidecarWith(t, {
      policy: policy({ connectionPool: { ...UNLIMITED, maxRequests: 0 }, retries: retries({ attempts: 3 }), outlierDetection: outlier({ consecutive5xx: 1 }) }),
      endpoints: [endpoint('payments-0', up.port)],
    });
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UO');
    assert.equal(r.headers['x-envoy-overloaded'], 'true');
    assert.match(r.body, /circuit breaker for payments is open: 0 request\(s\) in flight \(connectionPool\.maxRequests = 0\)/);
    assert.equal(up.received, 0);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_pending_overflow'), 1);
    assert.equal(counter(sidecar, 'cluster.payments.outlier_detection.ejections_enforced_total'), 0, 'overflow is not charged to the host (Envoy #25487)');
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry'), 0, 'Envoy never retries an overflow');
    const ev = await waitForEvent(sidecar, 'circuit-breaker-overflow');
    assert.equal(ev.data!.count, 1);
  });

  it('Envoy circuit breaking: past max_connections requests wait (pending); past max_pending_requests they fail fast with 503 UO', async (t) => {
    const up = closing(t, await startControlledServer({ delayMs: 300 }));
    const { sidecar, port } = await sidecarWith(t, {
      policy: policy({ connectionPool: { ...UNLIMITED, maxConnections: 1, maxPendingRequests: 1 } }),
      endpoints: [endpoint('payments-0', up.port)],
    });
    const first = send(port, { host: 'payments' });
    await waitFor(() => (up.received === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the first request at the upstream' });
    const second = send(port, { host: 'payments' });
    await waitFor(() => (gauge(sidecar, 'cluster.payments.upstream_rq_pending_active') === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'the second request pending' });
    const third = await send(port, { host: 'payments' });
    assert.equal(third.status, 503, 'the pending queue (1) is full');
    assert.equal(third.headers['x-meshproof-flags'], 'UO');
    assert.equal(third.headers['x-envoy-overloaded'], 'true');
    assert.ok(third.ms < 250, `failed fast (${Math.round(third.ms)}ms), without waiting for the slow upstream`);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200, 'the pending request got the connection once the first one ended');
    assert.ok(b.ms >= 400, `the second waited for the first (${Math.round(b.ms)}ms)`);
    assert.equal(up.received, 2);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_pending_total'), 1);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_cx_overflow'), 2);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_pending_overflow'), 1);
    assert.equal(gauge(sidecar, 'cluster.payments.upstream_rq_pending_active'), 0);
  });

  it('a pending request counts against the whole-request timeout: 504 UT, and leaves the queue', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, port } = await sidecarWith(t, {
      // maxConnections 0: no request ever gets a connection, every one waits until its timeout
      policy: policy({ timeoutMs: 150, connectionPool: { ...UNLIMITED, maxConnections: 0 } }),
      endpoints: [endpoint('payments-0', up.port)],
    });
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT');
    assert.match(r.body, /whole request 150ms, waiting for a connection/);
    assert.ok(r.ms >= 140, `${Math.round(r.ms)}ms`);
    assert.equal(gauge(sidecar, 'cluster.payments.upstream_rq_pending_active'), 0);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_pending_total'), 1);
    assert.equal(up.received, 0);
  });

  it('Envoy #25487: breaker overflow is not charged to outlier detection, even when every request overflows', async (t) => {
    const up = closing(t, await startControlledServer({ delayMs: 200 }));
    const { sidecar, port } = await sidecarWith(t, {
      policy: policy({ connectionPool: { ...UNLIMITED, maxRequests: 1 }, outlierDetection: outlier({ consecutive5xx: 2 }) }),
      endpoints: [endpoint('payments-0', up.port)],
    });
    const all = await Promise.all(Array.from({ length: 8 }, () => send(port, { host: 'payments' })));
    const overflowed = all.filter((r) => r.status === 503 && r.headers['x-meshproof-flags'] === 'UO').length;
    assert.ok(overflowed >= 5, `${overflowed} of 8 overflowed`);
    assert.equal(counter(sidecar, 'cluster.payments.outlier_detection.ejections_enforced_total'), 0);
    assert.equal(eventsOf(sidecar, 'ejected').length, 0);
    assert.equal((await send(port, { host: 'payments' })).status, 200, 'the endpoint is still picked');
  });

  it('Envoy max_retries (no budget): a retry over the limit is not made; the answer goes back with UO and upstream_rq_retry_overflow', async (t) => {
    const up = closing(t, await startStatusServer(503));
    const { sidecar, port } = await sidecarWith(t, {
      policy: policy({ connectionPool: { ...UNLIMITED, maxRetries: 0 }, retries: retries({ attempts: 3 }) }),
      endpoints: [endpoint('payments-0', up.port)],
    });
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UO');
    assert.equal(r.headers['x-envoy-overloaded'], undefined, 'the upstream answer goes back, not a local overflow reply');
    assert.equal(up.received, 1);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry_overflow'), 1);
    const ev = await waitForEvent(sidecar, 'retry-overflow');
    assert.equal(ev.data!.maxRetries, 0);
  });

  it('a bulkhead caps requests in flight from this caller to the destination: 503 UO beyond, bulkhead_overflow counted apart', async (t) => {
    const up = closing(t, await startControlledServer({ delayMs: 200 }));
    const { sidecar, port } = await sidecarWith(t, { policy: policy(), endpoints: [endpoint('payments-0', up.port)], bulkhead: 2 });
    const all = await Promise.all(Array.from({ length: 4 }, () => send(port, { host: 'payments' })));
    assert.deepEqual(
      all.map((r) => r.status).sort(),
      [200, 200, 503, 503],
    );
    const refused = all.find((r) => r.status === 503)!;
    assert.equal(refused.headers['x-meshproof-flags'], 'UO');
    assert.equal(refused.headers['x-envoy-overloaded'], 'true');
    assert.match(refused.body, /bulkhead for payments is full/);
    assert.equal(counter(sidecar, 'cluster.payments.bulkhead_overflow'), 2);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_pending_overflow'), 0);
    assert.equal(gauge(sidecar, 'cluster.payments.bulkhead_active'), 0, 'slots come back when requests complete');
    assert.equal((await send(port, { host: 'payments' })).status, 200);
    assert.equal((await waitForEvent(sidecar, 'bulkhead-overflow')).data!.limit, 2);
  });

  it('a caller sidecar never retries an upstream 503 carrying x-envoy-overloaded (a callee breaker said no)', async (t) => {
    const { startServer } = await import('../helpers/servers.ts');
    const up = closing(
      t,
      await startServer((_req, res) => {
        res.writeHead(503, { 'x-envoy-overloaded': 'true' });
        res.end();
      }),
    );
    const { port } = await sidecarWith(t, { policy: policy({ retries: retries({ attempts: 3 }) }), endpoints: [endpoint('payments-0', up.port)] });
    assert.equal((await send(port, { host: 'payments' })).status, 503);
    assert.equal(up.received, 1);
  });
});
