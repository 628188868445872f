import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startStatusServer } from '../helpers/servers.ts';
import { closing, counter, eventsOf, startSidecar, waitForEvent } from '../helpers/sidecar.ts';
import type { RateLimit } from '../../../src/contract/mesh-policy.ts';

type T = Parameters<typeof startSidecar>[0];

async function callee(t: T, appPort: number, rateLimit: RateLimit | null) {
  const c = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
  c.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: appPort }, clusters: {}, inbound: { rateLimit, fault: null } }));
  return c;
}

describe('local rate limit at the inbound', () => {
  it('Envoy local rate limit: a burst passes, then 429 with x-envoy-ratelimited and flag RL; the app never sees the refused requests', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await callee(t, app.port, { requestsPerSecond: 1, burst: 3 });
    const statuses: number[] = [];
    let refused;
    for (let i = 0; i < 5; i++) {
      const r = await send(ports.inbound, { host: 'payments' });
      statuses.push(r.status);
      if (r.status === 429) refused = r;
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.equal(refused!.headers['x-meshproof-flags'], 'RL');
    assert.equal(refused!.headers['x-envoy-ratelimited'], 'true');
    assert.equal(refused!.body, 'local_rate_limited\n');
    assert.equal(app.received, 3);
    assert.equal(counter(sidecar, 'http.inbound.local_rate_limit.rate_limited'), 2);
    assert.equal(counter(sidecar, 'http.inbound.local_rate_limit.ok'), 3);
    const inst = Object.values(sidecar.timeline().series['instance:payments-0']);
    assert.equal(
      inst.reduce((n, b) => n + (b.flags.RL ?? 0), 0),
      2,
      'RL is recorded at the instance, for rate_limited(scope)',
    );
  });

  it('one rate-limited event per second at most, with the count', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await callee(t, app.port, { requestsPerSecond: 0.001, burst: 1 });
    for (let i = 0; i < 6; i++) await send(ports.inbound, { host: 'payments' });
    const first = await waitForEvent(sidecar, 'rate-limited');
    assert.deepEqual(first.data, { count: 1, intervalMs: 1000, requestsPerSecond: 0.001, burst: 1 });
    const second = await waitForEvent(sidecar, 'rate-limited', { since: first.seq, timeoutMs: 2500 });
    assert.equal(second.data!.count, 4, 'the other 4 refusals reported together a second later');
    assert.equal(eventsOf(sidecar, 'rate-limited').length, 2);
  });

  it('tokens come back at the configured rate', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const { ports } = await callee(t, app.port, { requestsPerSecond: 20, burst: 1 });
    assert.equal((await send(ports.inbound, { host: 'payments' })).status, 200);
    assert.equal((await send(ports.inbound, { host: 'payments' })).status, 429);
    await new Promise((r) => setTimeout(r, 120)); // 20/s: a token every 50ms
    assert.equal((await send(ports.inbound, { host: 'payments' })).status, 200);
  });

  it('a caller never retries a 429 marked x-envoy-ratelimited, even with 429 listed as retriable (Envoy)', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const c = await callee(t, app.port, { requestsPerSecond: 0.001, burst: 1 });
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          payments: {
            policy: policy({ retries: retries({ attempts: 3, retryOn: ['retriable-status-codes', '5xx'], retriableStatusCodes: [429] }) }),
            endpoints: [endpoint('payments-0', c.ports.inbound)],
          },
        },
      }),
    );
    assert.equal((await send(caller.ports.outbound, { host: 'payments' })).status, 200);
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 429);
    assert.equal(r.headers['x-envoy-attempt-count'], '1');
    assert.equal(counter(c.sidecar, 'http.inbound.local_rate_limit.rate_limited'), 1);
  });

  it('a config push changes the limit without a restart, and removing it lets everything through', async (t) => {
    const app = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await callee(t, app.port, { requestsPerSecond: 0.001, burst: 1 });
    await send(ports.inbound, { host: 'payments' });
    assert.equal((await send(ports.inbound, { host: 'payments' })).status, 429);
    sidecar.applyConfig(sidecarConfig({ version: 2, service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: app.port }, clusters: {}, inbound: { rateLimit: null, fault: null } }));
    assert.equal((await send(ports.inbound, { host: 'payments' })).status, 200);
    assert.ok(sidecar.events(0).some((e) => e.type === 'config-applied' && (e.data!.changed as string[]).includes('inbound')));
  });
});
