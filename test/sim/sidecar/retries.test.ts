import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { RetryOn } from '../../../src/contract/mesh-policy.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { refusedPort, startResettingServer, startSlowServer, startStatusServer, type TestServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

async function sidecarTo(t: Parameters<typeof startSidecar>[0], servers: { name: string; port: number }[], pol: ReturnType<typeof policy>) {
  const { sidecar, ports } = await startSidecar(t);
  sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: pol, endpoints: servers.map((s) => endpoint(s.name, s.port)) } } }));
  return { sidecar, port: ports.outbound };
}

const one = (s: TestServer) => [{ name: 'payments-0', port: s.port }];

describe('retries on a 503-ing upstream', () => {
  for (const retryOn of [['5xx'], ['gateway-error'], ['retriable-status-codes']] as RetryOn[][]) {
    it(`retryOn ${retryOn}: retried until exhausted, then the last 503 goes back with URX`, async (t) => {
      const up = closing(t, await startStatusServer(503));
      const { sidecar, port } = await sidecarTo(t, one(up), policy({ retries: retries({ attempts: 2, retryOn, retriableStatusCodes: [503] }) }));
      const r = await send(port, { host: 'payments' });
      assert.equal(r.status, 503);
      assert.equal(up.received, 3, '1 try + 2 retries');
      assert.equal(r.headers['x-meshproof-flags'], 'URX');
      assert.equal(r.headers['x-envoy-attempt-count'], '3');
      assert.match(r.body, /from test server 503/, 'the upstream answer itself, not a local reply');
      assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry'), 2);
      assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry_limit_exceeded'), 1);
      assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_503'), 3);
      assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_5xx'), 3);
    });
  }

  it('a retry that succeeds: 200, attempt count 2, upstream_rq_retry_success', async (t) => {
    const up = closing(t, await startStatusServer((n) => (n === 1 ? 503 : 200)));
    const { sidecar, port } = await sidecarTo(t, one(up), policy({ retries: retries() }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-envoy-attempt-count'], '2');
    assert.equal(r.headers['x-meshproof-flags'], undefined);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_retry_success'), 1);
  });

  it('not retried when 503 matches no condition (retryOn connect-failure only)', async (t) => {
    const up = closing(t, await startStatusServer(503));
    const { port } = await sidecarTo(t, one(up), policy({ retries: retries({ retryOn: ['connect-failure'] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(up.received, 1);
    assert.equal(r.headers['x-meshproof-flags'], undefined, 'not retriable: no URX');
  });

  it('retriable-status-codes retries only the listed codes (500 listed, 503 not)', async (t) => {
    const up = closing(t, await startStatusServer(503));
    const { port } = await sidecarTo(t, one(up), policy({ retries: retries({ retryOn: ['retriable-status-codes'], retriableStatusCodes: [500] }) }));
    assert.equal((await send(port, { host: 'payments' })).status, 503);
    assert.equal(up.received, 1);
  });

  it('gateway-error does not retry a 500', async (t) => {
    const up = closing(t, await startStatusServer(500));
    const { port } = await sidecarTo(t, one(up), policy({ retries: retries({ retryOn: ['gateway-error'] }) }));
    assert.equal((await send(port, { host: 'payments' })).status, 500);
    assert.equal(up.received, 1);
  });

  it('a 503 marked x-envoy-overloaded is never retried (Envoy)', async (t) => {
    const { startServer } = await import('../helpers/servers.ts');
    const up = closing(
      t,
      await startServer((_req, res) => {
        res.writeHead(503, { 'x-envoy-overloaded': 'true' });
        res.end();
      }),
    );
    const { port } = await sidecarTo(t, one(up), policy({ retries: retries({ retryOn: ['5xx'] }) }));
    assert.equal((await send(port, { host: 'payments' })).status, 503);
    assert.equal(up.received, 1);
  });

  it('without a retry policy a 503 goes straight back', async (t) => {
    const up = closing(t, await startStatusServer(503));
    const { port } = await sidecarTo(t, one(up), policy());
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(up.received, 1);
    assert.equal(r.headers['x-envoy-attempt-count'], '1');
  });

  it('each retry is counted in the edge series and in the upstream series of the instance it went to', async (t) => {
    const a = closing(t, await startStatusServer(503));
    const b = closing(t, await startStatusServer(503));
    const { sidecar, port } = await sidecarTo(
      t,
      [
        { name: 'payments-0', port: a.port },
        { name: 'payments-1', port: b.port },
      ],
      policy({ retries: retries({ attempts: 3 }) }),
    );
    await send(port, { host: 'payments' });
    const series = sidecar.timeline().series;
    const sum = (key: string, f: 'retries' | 'requests') => Object.values(series[key] ?? {}).reduce((n, bk) => n + bk[f], 0);
    assert.equal(sum('edge:checkout->payments', 'retries'), 3);
    assert.equal(sum('edge:checkout->payments', 'requests'), 1);
    assert.equal(sum('upstream:checkout->payments-0', 'retries') + sum('upstream:checkout->payments-1', 'retries'), 3);
    // round robin: the 4 tries alternate, so each instance got 2 tries, and one of them saw a retry less
    assert.equal(sum('upstream:checkout->payments-0', 'requests'), 2);
    assert.equal(sum('upstream:checkout->payments-1', 'requests'), 2);
    const edge = Object.values(series['edge:checkout->payments'])[0];
    assert.deepEqual(edge.status, { '503': 1 });
    assert.deepEqual(edge.flags, { URX: 1 });
  });
});

describe('retries on a resetting upstream', () => {
  it('retryOn reset: retried; when exhausted 503 with UC and URX', async (t) => {
    const up = closing(t, await startResettingServer());
    const { sidecar, port } = await sidecarTo(t, one(up), policy({ retries: retries({ attempts: 2, retryOn: ['reset'] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(up.received, 3);
    assert.equal(r.headers['x-meshproof-flags'], 'UC,URX');
    assert.match(r.body, /reset reason: connection termination.*after 3 attempts/);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_rx_reset'), 3);
  });

  it('not retried without reset, 5xx or gateway-error: 503 UC after 1 attempt', async (t) => {
    const up = closing(t, await startResettingServer());
    const { port } = await sidecarTo(t, one(up), policy({ retries: retries({ retryOn: ['connect-failure', 'retriable-status-codes'], retriableStatusCodes: [503] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(up.received, 1);
    assert.equal(r.headers['x-meshproof-flags'], 'UC');
    assert.match(r.body, /after 1 attempt$/m);
  });

  it('a reset retried onto a healthy endpoint succeeds', async (t) => {
    const bad = closing(t, await startResettingServer());
    const good = closing(t, await startStatusServer(200));
    const { port } = await sidecarTo(
      t,
      [
        { name: 'bad', port: bad.port },
        { name: 'good', port: good.port },
      ],
      policy({ retries: retries({ retryOn: ['reset'] }) }),
    );
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(port, { host: 'payments' }));
    assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200]);
    assert.ok(bad.received >= 1, 'round robin sent some first tries to the resetting host');
    assert.equal(results.filter((r) => r.headers['x-envoy-attempt-count'] === '2').length, bad.received, 'each reset was retried once');
  });
});

describe('connect failures', () => {
  it('a refused port: 503 UF, not retried without connect-failure', async (t) => {
    const port0 = await refusedPort();
    const { sidecar, port } = await sidecarTo(t, [{ name: 'payments-0', port: port0 }], policy());
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UF');
    assert.match(r.body, /connection failure \(ECONNREFUSED, payments-0 at 127\.0\.0\.1:\d+\) after 1 attempt/);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_cx_connect_fail'), 1);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_cx_total'), 1, 'a connection that failed to open still counts, as in Envoy');
  });

  it('retried under connect-failure onto the live endpoint', async (t) => {
    const dead = await refusedPort();
    const good = closing(t, await startStatusServer(200));
    const { sidecar, port } = await sidecarTo(
      t,
      [
        { name: 'dead', port: dead },
        { name: 'good', port: good.port },
      ],
      policy({ retries: retries({ retryOn: ['connect-failure'] }) }),
    );
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(port, { host: 'payments' }));
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200],
    );
    assert.equal(good.received, 4);
    const retried = results.filter((r) => r.headers['x-envoy-attempt-count'] === '2').length;
    assert.ok(retried >= 1, 'round robin sent some first tries to the dead port');
    assert.equal(counter(sidecar, 'cluster.payments.upstream_cx_connect_fail'), retried, 'each connect failure was retried once');
  });
});

describe('timeouts', () => {
  it('per-try timeout (applies to the first try too), then a retry elsewhere succeeds', async (t) => {
    const slow = closing(t, await startSlowServer(3000));
    const fast = closing(t, await startStatusServer(200));
    const { sidecar, port } = await sidecarTo(
      t,
      [
        { name: 'slow', port: slow.port },
        { name: 'fast', port: fast.port },
      ],
      policy({ retries: retries({ attempts: 1, perTryTimeoutMs: 150, retryOn: ['reset'] }) }),
    );
    const a = await send(port, { host: 'payments' });
    const b = await send(port, { host: 'payments' });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const retried = [a, b].filter((r) => r.headers['x-envoy-attempt-count'] === '2');
    assert.equal(retried.length, 1, 'round robin: exactly one of the two started on the slow host');
    assert.ok(retried[0].ms >= 145 && retried[0].ms < 2000, `the retried one waited out the per-try timeout: ${retried[0].ms}ms`);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_per_try_timeout'), 1);
    const up = sidecar.timeline().series['upstream:checkout->slow'];
    assert.deepEqual(Object.values(up)[0].flags, { UT: 1 }, 'the timed-out try is recorded as UT for its instance');
    await waitFor(() => (sidecar.clusters() as Record<string, { endpoints: { active: number }[] }>).payments.endpoints.every((e) => e.active === 0) || undefined, {
      timeoutMs: 2000,
      describe: () => 'every endpoint idle after the requests',
    });
  });

  it('per-try timeouts on every try: 504 UT,URX with the reason in the body', async (t) => {
    const slow = closing(t, await startSlowServer(3000));
    const { port } = await sidecarTo(t, one(slow), policy({ retries: retries({ attempts: 2, perTryTimeoutMs: 100, retryOn: ['5xx'] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT,URX');
    assert.equal(r.headers['x-envoy-attempt-count'], '3');
    assert.match(r.body, /upstream request timeout \(per-try 100ms\) after 3 attempts/);
    assert.ok(r.ms >= 290 && r.ms < 2500, `3 tries of 100ms: ${r.ms}ms`);
  });

  it('per-try timeout is not retried under connect-failure: 504 UT after 1 attempt', async (t) => {
    const slow = closing(t, await startSlowServer(3000));
    const { port } = await sidecarTo(t, one(slow), policy({ retries: retries({ perTryTimeoutMs: 100, retryOn: ['connect-failure'] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT');
    assert.equal(slow.received, 1);
  });

  it('whole-request timeout: 504 UT, the try in flight is aborted', async (t) => {
    const slow = closing(t, await startSlowServer(3000));
    const { sidecar, port } = await sidecarTo(t, one(slow), policy({ timeoutMs: 300 }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT');
    assert.match(r.body, /upstream request timeout \(whole request 300ms\) after 1 attempt/);
    assert.ok(r.ms >= 295 && r.ms < 2500, `${r.ms}ms`);
    assert.equal(counter(sidecar, 'cluster.payments.upstream_rq_timeout'), 1);
    // the aborted try closed its connection: the server sees the close
    await waitFor(() => (sidecar.stats().gauges['cluster.payments.upstream_rq_active'] === 0 ? true : undefined), { timeoutMs: 2000, describe: () => 'no try active' });
  });

  it('the whole-request timeout covers every try and back-off (retries cannot outlive it)', async (t) => {
    const slow = closing(t, await startSlowServer(3000));
    const { port } = await sidecarTo(t, one(slow), policy({ timeoutMs: 400, retries: retries({ attempts: 10, perTryTimeoutMs: 150, retryOn: ['5xx'] }) }));
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-meshproof-flags'], 'UT');
    assert.match(r.body, /whole request 400ms/);
    assert.ok(r.ms >= 395 && r.ms < 2500, `${r.ms}ms`);
    const attempts = Number(r.headers['x-envoy-attempt-count']);
    assert.ok(attempts >= 2 && attempts <= 3, `${attempts} tries of 150ms fit in 400ms`);
  });
});
