import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { MeshEventRecord } from '../../src/contract/mesh-event.ts';
import type { SidecarConfig } from '../../src/contract/sidecar-config.ts';
import type { SidecarPorts, ChildMessage } from '../../src/contract/child-message.ts';
import { waitFor } from '../../src/util/http-json.ts';
import { BUILTIN_MAIN, exited, SIDECAR_MAIN, startChild } from './helpers/child.ts';
import { endpoint, outlier, policy, retries, sidecarConfig, UNLIMITED } from './helpers/config.ts';
import { getJson, send } from './helpers/http.ts';
import { startControlledServer } from './helpers/servers.ts';
import { closing } from './helpers/sidecar.ts';
import { serviceSpec } from '../helpers/scenario.ts';
import { pushHeaders } from './helpers/credential.ts';

function portsOf(m: ChildMessage): SidecarPorts {
  assert.ok(m.type === 'ready' && m.role === 'sidecar');
  return m.ports;
}

async function push(admin: number, cfg: SidecarConfig): Promise<void> {
  const r = await send(admin, { path: '/config', method: 'POST', body: JSON.stringify(cfg), headers: pushHeaders() });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).applied, true);
}

async function events(admin: number, type: string): Promise<MeshEventRecord[]> {
  return (await getJson<{ events: MeshEventRecord[] }>(admin, '/events')).events.filter((e) => e.type === type);
}

async function counters(admin: number): Promise<Record<string, number>> {
  return (await getJson<{ counters: Record<string, number> }>(admin, '/stats')).counters;
}

describe('policies through real sidecar and built-in app processes', () => {
  it('outlier ejection, an inbound rate limit, a circuit breaker and a health check, each seen over the admin API of real processes', async (t) => {
    // payments-0: a real pod (sidecar process + built-in app process); payments-1: a server that always answers 503
    const p0 = await startChild(t, SIDECAR_MAIN, { MESHPROOF_INSTANCE: 'payments-0', MESHPROOF_SERVICE: 'payments', MESHPROOF_SEED: '1' });
    const p0Ports = portsOf(p0.ready);
    const app = await startChild(t, BUILTIN_MAIN, { PORT: '0', MESHPROOF_INSTANCE: 'payments-0', MESHPROOF_SERVICE_SPEC: JSON.stringify(serviceSpec('payments')), MESHPROOF_SEED: '2' });
    assert.ok(app.ready.type === 'ready' && app.ready.role === 'app');
    const appPort = app.ready.port;
    const bad = closing(t, await startControlledServer({ status: 503, name: 'bad' }));
    const caller = await startChild(t, SIDECAR_MAIN, { MESHPROOF_INSTANCE: 'checkout-0', MESHPROOF_SERVICE: 'checkout', MESHPROOF_SEED: '3' });
    const c = portsOf(caller.ready);

    const p0Config = (version: number, rateLimit: { requestsPerSecond: number; burst: number } | null) =>
      sidecarConfig({ version, service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: appPort }, clusters: {}, inbound: { rateLimit, fault: null } });
    await push(p0Ports.admin, p0Config(1, null));
    const eps = [endpoint('payments-0', p0Ports.inbound), endpoint('payments-1', bad.port)];
    const pol = policy({ retries: retries({ attempts: 2, retryOn: ['5xx'] }), outlierDetection: outlier({ consecutive5xx: 3, baseEjectionTimeMs: 60_000 }) });
    await push(c.admin, sidecarConfig({ version: 1, clusters: { payments: { policy: pol, endpoints: eps } } }));

    // 1. outlier detection: payments-1 is ejected, the retries hide its failures
    for (let i = 0; i < 10; i++) assert.equal((await send(c.outbound, { host: 'payments' })).status, 200);
    const [ejected] = await events(c.admin, 'ejected');
    assert.deepEqual(ejected.data, { cluster: 'payments', endpoint: 'payments-1', reason: 'consecutive_5xx', consecutive: 3, threshold: 3, lastStatus: 503, ejectionMs: 60_000, timesEjected: 1, multiplier: 1, capped: false });
    assert.equal(ejected.instance, 'checkout-0');

    // 2. an inbound rate limit pushed to payments-0: 429 RL at its inbound, passed back by the caller without a retry
    await push(p0Ports.admin, p0Config(2, { requestsPerSecond: 0.001, burst: 1 }));
    assert.equal((await send(c.outbound, { host: 'payments' })).status, 200);
    const limited = await send(c.outbound, { host: 'payments' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['x-envoy-ratelimited'], 'true');
    assert.equal(limited.headers['x-envoy-attempt-count'], '1');
    assert.equal((await counters(p0Ports.admin))['http.inbound.local_rate_limit.rate_limited'], 1);
    await push(p0Ports.admin, p0Config(3, null));

    // 3. a circuit breaker at the caller: 503 UO with x-envoy-overloaded, and no new ejection
    await push(c.admin, sidecarConfig({ version: 2, clusters: { payments: { policy: { ...pol, connectionPool: { ...UNLIMITED, maxRequests: 0 } }, endpoints: eps } } }));
    const overflow = await send(c.outbound, { host: 'payments' });
    assert.equal(overflow.status, 503);
    assert.equal(overflow.headers['x-meshproof-flags'], 'UO');
    assert.equal(overflow.headers['x-envoy-overloaded'], 'true');
    const k = await counters(c.admin);
    assert.equal(k['cluster.payments.upstream_rq_pending_overflow'], 1);
    assert.equal(k['cluster.payments.outlier_detection.ejections_enforced_total'], 1, 'still the one ejection from step 1');

    // 4. active health checks: the app process dies; its sidecar answers /healthz with 503 UF; the caller fails the endpoint at once
    await push(
      c.admin,
      sidecarConfig({
        version: 3,
        clusters: { payments: { policy: { ...pol, healthCheck: { intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 1, path: '/healthz' } }, endpoints: [eps[0]] } },
      }),
    );
    assert.deepEqual((await events(c.admin, 'unejected')).map((e) => e.type === 'unejected' && e.data.reason), ['endpoint-removed']);
    app.child.kill('SIGKILL');
    await exited(app.child, 5000);
    const failed = await waitFor(async () => (await events(c.admin, 'health-check-failed'))[0], { timeoutMs: 5000, describe: () => 'a health-check-failed event at the caller' });
    assert.deepEqual(failed.data, { cluster: 'payments', endpoint: 'payments-0', path: '/healthz', failure: { kind: 'status', status: 503 }, unhealthyThreshold: 2 });
    const clusters = await getJson<Record<string, { endpoints: { instance: string; healthFlags: string[] }[] }>>(c.admin, '/clusters');
    assert.deepEqual(clusters.payments.endpoints[0].healthFlags, ['failed_active_hc']);
    const r = await send(c.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UH', 'panic threshold 0: no healthy endpoint, no request');
  });
});
