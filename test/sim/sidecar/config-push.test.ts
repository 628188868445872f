import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import { endpointOf } from '../../../src/contract/mesh-event.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startSlowServer, startStatusServer } from '../helpers/servers.ts';
import { closing, startSidecar } from '../helpers/sidecar.ts';

describe('config push', () => {
  it('changes endpoints without dropping requests in flight', async (t) => {
    const old = closing(t, await startSlowServer(400));
    const next = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    const t0 = Date.now();
    sidecar.applyConfig(sidecarConfig({ version: 1, t0, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', old.port)] } } }));
    const inFlight = Array.from({ length: 3 }, () => send(ports.outbound, { host: 'payments' }));
    await waitFor(() => (old.received === 3 ? true : undefined), { timeoutMs: 2000, describe: () => 'the 3 requests reached the old endpoint' });

    const ack = sidecar.applyConfig(sidecarConfig({ version: 2, t0, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-1', next.port)] } } }));
    assert.deepEqual(ack, { version: 2, applied: true });
    const after = await send(ports.outbound, { host: 'payments' });
    assert.equal(after.status, 200);
    assert.equal(next.received, 1, 'new requests go to the new endpoint at once');

    const done = await Promise.all(inFlight);
    assert.deepEqual(
      done.map((r) => [r.status, r.body.trim()]),
      Array(3).fill([200, 'slow 200']),
      'the requests in flight finished on the old endpoint',
    );
    const changes = sidecar.events(0).filter((e) => e.type.startsWith('endpoint-')).map((e) => `${e.type} ${endpointOf(e)}`);
    assert.deepEqual(changes, ['endpoint-added payments-0', 'endpoint-added payments-1', 'endpoint-removed payments-0']);
    const applied = sidecar.events(0).filter((e) => e.type === 'config-applied');
    assert.equal(applied.length, 2);
    assert.deepEqual(applied[1].data, { version: 2, previousVersion: 1, changed: ['clusters.payments'], destinations: 1 });
  });

  it('reuses the keep-alive pool of an endpoint whose address did not change', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    const cfg = (version: number, healthyOther: boolean) =>
      sidecarConfig({ version, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port), endpoint('payments-9', 1, healthyOther)] } } });
    sidecar.applyConfig(cfg(1, false));
    await send(ports.outbound, { host: 'payments' });
    sidecar.applyConfig(cfg(2, false));
    sidecar.applyConfig(cfg(3, false));
    await send(ports.outbound, { host: 'payments' });
    await send(ports.outbound, { host: 'payments' });
    assert.equal(sidecar.stats().counters['cluster.payments.upstream_cx_total'], 1, 'one connection for all three requests');
  });

  it('a version not newer than the running one is ignored', async (t) => {
    const a = closing(t, await startStatusServer(200));
    const { sidecar } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ version: 5, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', a.port)] } } }));
    assert.deepEqual(sidecar.applyConfig(sidecarConfig({ version: 5, clusters: {} })), { version: 5, applied: false });
    assert.deepEqual(sidecar.applyConfig(sidecarConfig({ version: 3, clusters: {} })), { version: 5, applied: false });
    assert.deepEqual(Object.keys(sidecar.config!.clusters), ['payments']);
    assert.equal(sidecar.stats().counters['config.update_stale'], 2);
  });

  it('health changes, policy changes and removed destinations are events with the reason', async (t) => {
    const a = closing(t, await startStatusServer(200));
    const { sidecar } = await startSidecar(t);
    const t0 = Date.now();
    sidecar.applyConfig(
      sidecarConfig({
        version: 1,
        t0,
        clusters: {
          payments: { policy: policy(), endpoints: [endpoint('payments-0', a.port)] },
          audit: { policy: policy(), endpoints: [endpoint('audit-0', a.port)] },
        },
      }),
    );
    const seq = sidecar.events(0).at(-1)!.seq;
    sidecar.applyConfig(
      sidecarConfig({ version: 2, t0, clusters: { payments: { policy: policy({ retries: retries() }), endpoints: [endpoint('payments-0', a.port, false)] } } }),
    );
    const later = sidecar.events(seq);
    assert.deepEqual(
      later.map((e) => e.type),
      ['endpoint-health-changed', 'policy-changed', 'cluster-removed', 'config-applied'],
    );
    assert.match(describeMeshEvent(later[0]), /payments-0 in payments marked unhealthy by the control plane: it is no longer picked/);
    assert.deepEqual(later[0].data, { cluster: 'payments', endpoint: 'payments-0', healthy: false });
    assert.ok(later.every((e) => e.seq > seq && e.instance === 'checkout-0' && typeof e.at === 'number'));
  });

  it('a changed t0 restarts the timeline on the new second 0', async (t) => {
    const a = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    const clusters = { payments: { policy: policy(), endpoints: [endpoint('payments-0', a.port)] } };
    sidecar.applyConfig(sidecarConfig({ version: 1, t0: 0, clusters }));
    await send(ports.outbound, { host: 'payments' });
    const t0 = Date.now() - 5000;
    sidecar.applyConfig(sidecarConfig({ version: 2, t0, clusters }));
    assert.deepEqual(sidecar.timeline().series, {});
    await send(ports.outbound, { host: 'payments' });
    const tl = sidecar.timeline();
    assert.equal(tl.t0, t0);
    const seconds = Object.keys(tl.series['edge:checkout->payments']).map(Number);
    assert.ok(seconds.length === 1 && seconds[0] >= 5 && seconds[0] <= 6, `recorded in second ${seconds}`);
  });

  it('rejects a config meant for another instance, or an invalid one, with every problem named', async (t) => {
    const { sidecar } = await startSidecar(t);
    assert.throws(() => sidecar.applyConfig(sidecarConfig({ instance: 'payments-0', clusters: {} })), /this sidecar is checkout-0 of checkout, the config is for payments-0/);
    const bad = sidecarConfig({
      clusters: { payments: { policy: { ...policy(), loadBalancer: 'ring_hash' as never }, endpoints: [{ instance: 'p', host: '127.0.0.1', port: 0, healthy: true, zone: null, version: 'v1' }] } },
    });
    assert.throws(() => sidecar.applyConfig(bad), (err: Error) => {
      assert.match(err.message, /clusters\.payments\.endpoints\[0\]\.port: must be >= 1, got 0/);
      assert.match(err.message, /clusters\.payments\.policy\.loadBalancer: expected one of round_robin, least_request, random, got "ring_hash"/);
      return true;
    });
    assert.equal(sidecar.config, null);
    assert.equal(sidecar.stats().counters['config.update_rejected'], 2);
  });
});
