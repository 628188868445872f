import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { DescriptorAction, GlobalRateLimit, RlsConfig } from '../../../src/contract/rate-limit-service.ts';
import { RateLimitService } from '../../../src/sim/ratelimit/rate-limit-service.ts';
import { SeriesRecorder } from '../../../src/observe/timeline.ts';
import { httpJson } from '../../../src/util/http-json.ts';
import { sidecarConfig } from '../helpers/config.ts';
import { send, type TestResponse } from '../helpers/http.ts';
import { refusedPort, startStatusServer, type TestServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar, waitForEvent } from '../helpers/sidecar.ts';
import { startChild } from '../helpers/child.ts';
import { pushHeaders, TEST_CREDENTIAL } from '../helpers/credential.ts';

type T = Parameters<typeof startSidecar>[0];

const RATE_LIMIT_MAIN = fileURLToPath(new URL('../../../src/sim/ratelimit/main.ts', import.meta.url));

/** orders: 10 a minute for the service as a whole; 2 a minute per caller (from the caller's sidecar's header). */
const CONFIG: RlsConfig = {
  domain: 'shop',
  descriptors: [
    {
      key: 'destination_cluster',
      value: 'orders',
      rate_limit: { unit: 'minute', requests_per_unit: 10 },
      descriptors: [{ key: 'client_cluster', rate_limit: { unit: 'minute', requests_per_unit: 2 } }],
    },
  ],
};
const SERVICE: DescriptorAction[] = [{ kind: 'fixed', key: 'destination_cluster', value: 'orders' }];
const CALLER: DescriptorAction[] = [...SERVICE, { kind: 'header', key: 'client_cluster', header: 'x-envoy-downstream-service-cluster' }];

/** The rate-limit service in this process, on a clock that stays in one window (the windows are epoch-aligned: a test must not straddle one). */
async function rateLimitService(t: T): Promise<{ service: RateLimitService; port: number }> {
  const now = () => 1_700_000_000_000;
  const service = new RateLimitService({ credential: TEST_CREDENTIAL, now, recorder: new SeriesRecorder({ now }) });
  t.onTestFinished(() => service.close());
  const port = await service.start(0);
  service.configure({ version: 1, t0: now(), config: CONFIG });
  return { service, port };
}

/** `n` replicas of orders, each a real sidecar in front of its own app, consulting the rate-limit service at `port`. */
async function replicas(t: T, n: number, port: number, options: Partial<GlobalRateLimit> = {}) {
  const out: { sidecar: Awaited<ReturnType<typeof startSidecar>>['sidecar']; inbound: number; app: TestServer }[] = [];
  for (let i = 0; i < n; i++) {
    const app = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t, { instance: `orders-${i}`, service: 'orders', admin: { credential: TEST_CREDENTIAL } });
    const globalRateLimit: GlobalRateLimit = { address: { host: '127.0.0.1', port }, domain: 'shop', timeoutMs: 1000, failureMode: 'allow', descriptors: [SERVICE], ...options };
    sidecar.applyConfig(sidecarConfig({ service: 'orders', instance: `orders-${i}`, app: { host: '127.0.0.1', port: app.port }, clusters: {}, inbound: { rateLimit: null, fault: null, globalRateLimit } }));
    out.push({ sidecar, inbound: ports.inbound, app });
  }
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('a global quota: one counter for every replica', () => {
  it('three replicas admit the limit between them, not each: the rest is 429 with x-envoy-ratelimited and flag RL, never reaching an app', async (t) => {
    const { service, port } = await rateLimitService(t);
    const pods = await replicas(t, 3, port);
    const answers: TestResponse[] = [];
    for (let i = 0; i < 30; i++) answers.push(await send(pods[i % 3].inbound, { host: 'orders' }));
    assert.equal(answers.filter((r) => r.status === 200).length, 10);
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(refused.length, 20);
    for (const r of refused) {
      assert.equal(r.headers['x-envoy-ratelimited'], 'true');
      assert.equal(r.headers['x-meshproof-flags'], 'RL');
    }
    // Each replica admitted some of them: the counter is shared, not split.
    assert.deepEqual(pods.map((p) => p.app.received).sort(), [3, 3, 4]);
    assert.equal(sum(pods.map((p) => counter(p.sidecar, 'http.inbound.ratelimit.over_limit'))), 20);
    assert.equal(sum(pods.map((p) => counter(p.sidecar, 'http.inbound.ratelimit.ok'))), 10);
    assert.deepEqual(service.stats().rules['shop.destination_cluster_orders'], { total_hits: 30, over_limit: 20, near_limit: 2, shadow_mode: 0 });
    await waitForEvent(pods[0].sidecar, 'quota-limited');
  });

  it('per caller: each calling service has a counter of its own; a request without the caller header is not sent to the service (Envoy skips the descriptor)', async (t) => {
    const { service, port } = await rateLimitService(t);
    const pods = await replicas(t, 2, port, { descriptors: [CALLER] });
    const from = (caller: string | null, i: number) => send(pods[i % 2].inbound, { host: 'orders', headers: caller ? { 'x-envoy-downstream-service-cluster': caller } : {} });
    const statuses = async (caller: string | null) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await from(caller, i)).status);
      return out;
    };
    assert.deepEqual(await statuses('front'), [200, 200, 429, 429]);
    assert.deepEqual(await statuses('admin-ui'), [200, 200, 429, 429]);
    assert.deepEqual(await statuses(null), [200, 200, 200, 200]);
    assert.equal(service.stats().requests, 8, 'the requests without the header never reached the service');
  });
});

describe('when the rate-limit service cannot answer', () => {
  it('unreachable: failureMode allow lets requests through (failure_mode_allowed), deny answers 500 with flag RLSE', async (t) => {
    const port = await refusedPort();
    const [allow] = await replicas(t, 1, port, { failureMode: 'allow' });
    const r = await send(allow.inbound, { host: 'orders' });
    assert.equal(r.status, 200);
    assert.equal(allow.app.received, 1);
    assert.equal(counter(allow.sidecar, 'http.inbound.ratelimit.error'), 1);
    assert.equal(counter(allow.sidecar, 'http.inbound.ratelimit.failure_mode_allowed'), 1);
    const e = await waitForEvent(allow.sidecar, 'rate-limit-service-error');
    assert.equal(e.data.failureMode, 'allow');
    assert.match(e.data.reason, /ECONNREFUSED/);

    const [deny] = await replicas(t, 1, port, { failureMode: 'deny' });
    const d = await send(deny.inbound, { host: 'orders' });
    assert.equal(d.status, 500);
    assert.equal(d.headers['x-meshproof-flags'], 'RLSE');
    assert.equal(d.headers['x-envoy-ratelimited'], undefined);
    assert.equal(deny.app.received, 0);
    assert.equal(counter(deny.sidecar, 'http.inbound.ratelimit.failure_mode_allowed'), 0);
  });

  it('a real service process paused (SIGSTOP) answers nothing within the timeout: allow and deny as above; resumed, it limits again with its counts intact', async (t) => {
    const rls = await startChild(t, RATE_LIMIT_MAIN, { PORT: '0' });
    assert.equal(rls.ready.type === 'ready' && rls.ready.role, 'ratelimit');
    const port = (rls.ready as { port: number }).port;
    // Per day: the window cannot turn over during the test (unless it runs across midnight UTC).
    const config: RlsConfig = { domain: 'shop', descriptors: [{ key: 'destination_cluster', value: 'orders', rate_limit: { unit: 'day', requests_per_unit: 2 } }] };
    await httpJson(`http://127.0.0.1:${port}/config`, { method: 'POST', body: { version: 1, t0: Date.now(), config }, headers: pushHeaders(), timeoutMs: 5000 });
    const [allow] = await replicas(t, 1, port, { failureMode: 'allow', timeoutMs: 100 });
    const [deny] = await replicas(t, 1, port, { failureMode: 'deny', timeoutMs: 100 });
    assert.equal((await send(allow.inbound, { host: 'orders' })).status, 200);
    assert.equal((await send(deny.inbound, { host: 'orders' })).status, 200);
    assert.equal((await send(allow.inbound, { host: 'orders' })).status, 429, 'the two replicas share the day’s 2');

    rls.child.kill('SIGSTOP');
    t.onTestFinished(() => void rls.child.kill('SIGCONT'));
    const a = await send(allow.inbound, { host: 'orders' });
    assert.equal(a.status, 200, 'allow: through, unchecked');
    assert.ok(a.ms >= 90, `the sidecar waited for its timeout first (${a.ms.toFixed(0)}ms)`);
    const d = await send(deny.inbound, { host: 'orders' });
    assert.equal(d.status, 500);
    assert.equal(d.headers['x-meshproof-flags'], 'RLSE');
    const e = await waitForEvent(deny.sidecar, 'rate-limit-service-error');
    assert.match(e.data.reason, /no answer within 100ms/);

    rls.child.kill('SIGCONT');
    const back = await send(deny.inbound, { host: 'orders' });
    assert.equal(back.status, 429, 'resumed: still over the day’s limit');
    const stats = await httpJson<{ rules: Record<string, { over_limit: number }> }>(`http://127.0.0.1:${port}/stats`, { timeoutMs: 5000 });
    assert.ok(stats.rules['shop.destination_cluster_orders'].over_limit >= 2);
  });

  it('decisions without the run credential are refused (401): only the run’s sidecars may spend its quota', async (t) => {
    const { port } = await rateLimitService(t);
    const body = JSON.stringify({ domain: 'shop', descriptors: [{ entries: [{ key: 'destination_cluster', value: 'orders' }] }] });
    const r = await send(port, { method: 'POST', path: '/json', host: `127.0.0.1:${port}`, headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 401);
  });
});
