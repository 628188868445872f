import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import { getJson, send, sendMany } from '../helpers/http.ts';
import { endpoint, outlier, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { startControlledServer, type ControlledServer } from '../helpers/servers.ts';
import { closing, counter, eventsOf, gauge, startSidecar, waitForEvent } from '../helpers/sidecar.ts';
import type { DestinationPolicy } from '../../../src/contract/mesh-policy.ts';

type T = Parameters<typeof startSidecar>[0];

async function cluster(t: T, servers: ControlledServer[], pol: DestinationPolicy) {
  const { sidecar, ports } = await startSidecar(t);
  sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: pol, endpoints: servers.map((s, i) => endpoint(`payments-${i}`, s.port)) } } }));
  return { sidecar, port: ports.outbound, admin: ports.admin };
}

describe('outlier detection through a real sidecar', () => {
  it('Envoy outlier detection: consecutive 503s eject the host (event with the reason), traffic avoids it, and it returns after base_ejection_time', async (t) => {
    const good = closing(t, await startControlledServer({ name: 'good' }));
    const bad = closing(t, await startControlledServer({ status: 503, name: 'bad' }));
    const { sidecar, port, admin } = await cluster(t, [good, bad], policy({ outlierDetection: outlier({ consecutive5xx: 3, intervalMs: 50, baseEjectionTimeMs: 400 }) }));
    // round robin alternates: 6 requests give the bad host its 3 in a row
    await sendMany(port, 6);
    const ej = await waitForEvent(sidecar, 'ejected');
    assert.deepEqual(ej.data, { cluster: 'payments', endpoint: 'payments-1', reason: 'consecutive_5xx', consecutive: 3, threshold: 3, lastStatus: 503, ejectionMs: 400, timesEjected: 1, multiplier: 1, capped: false });
    assert.equal(describeMeshEvent(ej), 'payments-1 ejected: 3 consecutive 5xx (last 503), outlierDetection.consecutive5xx = 3; for 400ms (ejection 1)');
    assert.equal(counter(sidecar, 'cluster.payments.outlier_detection.ejections_enforced_total'), 1);
    assert.equal(counter(sidecar, 'cluster.payments.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
    assert.equal(gauge(sidecar, 'cluster.payments.outlier_detection.ejections_active'), 1);
    const clusters = await getJson<Record<string, { endpoints: { instance: string; healthy: boolean; healthFlags: string[]; ejectedUntil: number | null }[] }>>(admin, '/clusters');
    const p1 = clusters.payments.endpoints[1];
    assert.deepEqual(p1.healthFlags, ['failed_outlier_check']);
    assert.equal(p1.healthy, false);
    assert.ok(p1.ejectedUntil! > Date.now() && p1.ejectedUntil! <= Date.now() + 400, 'ejectedUntil is the earliest return');

    const before = bad.received;
    assert.deepEqual(await sendMany(port, 6), [200, 200, 200, 200, 200, 200], 'every request goes to the good host while the bad one is ejected');
    assert.equal(bad.received, before);

    const back = await waitForEvent(sidecar, 'unejected', { timeoutMs: 3000 });
    assert.equal(back.data!.endpoint, 'payments-1');
    assert.equal(back.data!.reason, 'ejection-time-elapsed');
    const ms = back.data!.ejectedMs as number;
    // at least the ejection time; at most one sweep interval later, plus timer lateness on a busy machine
    assert.ok(ms >= 400 && ms < 400 + 50 + 300, `ejected for ${ms}ms`);
    await sendMany(port, 4);
    assert.ok(bad.received > before, 'back in rotation');
  });

  it('retries hide an ejection in progress: the retry of a failed try goes to the other host', async (t) => {
    const good = closing(t, await startControlledServer());
    const bad = closing(t, await startControlledServer({ status: 503 }));
    const { sidecar, port } = await cluster(t, [good, bad], policy({ retries: retries({ attempts: 2 }), outlierDetection: outlier({ consecutive5xx: 2, baseEjectionTimeMs: 30_000 }) }));
    const statuses = await sendMany(port, 10);
    assert.deepEqual(statuses, Array(10).fill(200));
    assert.equal(eventsOf(sidecar, 'ejected').length, 1);
    assert.ok(bad.received <= 3, `the bad host saw ${bad.received} tries before it was ejected`);
  });

  it('Envoy max_ejection_percent (strict since #27909): with 3 failing hosts and 50%, only one is ejected; the others are reported as skipped', async (t) => {
    const servers = [await startControlledServer({ status: 503 }), await startControlledServer({ status: 503 }), await startControlledServer({ status: 503 })].map((s) => closing(t, s));
    const { sidecar, port } = await cluster(t, servers, policy({ outlierDetection: outlier({ consecutive5xx: 2, maxEjectionPercent: 0.5, baseEjectionTimeMs: 30_000 }) }));
    await sendMany(port, 12);
    assert.equal(eventsOf(sidecar, 'ejected').length, 1);
    assert.equal(gauge(sidecar, 'cluster.payments.outlier_detection.ejections_active'), 1);
    assert.ok(counter(sidecar, 'cluster.payments.outlier_detection.ejections_overflow') >= 2);
    const skipped = eventsOf(sidecar, 'ejection-skipped')[0];
    assert.deepEqual({ ejected: skipped.data!.ejected, total: skipped.data!.total, max: skipped.data!.maxEjectionPercent }, { ejected: 1, total: 3, max: 0.5 });
  });

  it('consecutive gateway errors: 502/503/504 in a row eject; consecutive5xx off', async (t) => {
    const good = closing(t, await startControlledServer());
    const bad = closing(t, await startControlledServer({ status: 502 }));
    const { sidecar, port } = await cluster(t, [good, bad], policy({ outlierDetection: outlier({ consecutive5xx: null, consecutiveGatewayErrors: 2, baseEjectionTimeMs: 30_000 }) }));
    await sendMany(port, 4);
    const ej = await waitForEvent(sidecar, 'ejected');
    assert.equal(ej.data!.reason, 'consecutive_gateway_failure');
    assert.match(describeMeshEvent(ej), /2 consecutive gateway errors \(last 502\), outlierDetection\.consecutiveGatewayErrors = 2/);
    assert.equal(counter(sidecar, 'cluster.payments.outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
  });
});

describe('panic threshold through a real sidecar', () => {
  it('Envoy panic threshold (50%): with 2 of 3 hosts ejected the load balancer uses every host, ejected ones included; panic and panic-ended events', async (t) => {
    const good = closing(t, await startControlledServer());
    const bad1 = closing(t, await startControlledServer({ status: 503 }));
    const bad2 = closing(t, await startControlledServer({ status: 503 }));
    const { sidecar, port, admin } = await cluster(
      t,
      [good, bad1, bad2],
      policy({ panicThreshold: 0.5, outlierDetection: outlier({ consecutive5xx: 1, maxEjectionPercent: 1, baseEjectionTimeMs: 30_000 }) }),
    );
    await sendMany(port, 3);
    assert.equal(eventsOf(sidecar, 'ejected').length, 2);
    const panic = await waitForEvent(sidecar, 'panic');
    assert.deepEqual(panic.data, { cluster: 'payments', healthy: 1, total: 3, panicThreshold: 0.5 });
    const clusters = await getJson<Record<string, { panic: boolean }>>(admin, '/clusters');
    assert.equal(clusters.payments.panic, true);
    const before = bad1.received + bad2.received;
    const statuses = await sendMany(port, 9);
    assert.ok(bad1.received + bad2.received > before, 'in panic, ejected hosts get traffic again (Envoy #2671)');
    assert.ok(statuses.includes(503));
    assert.ok(counter(sidecar, 'cluster.payments.lb_healthy_panic') >= 9);
    assert.equal(gauge(sidecar, 'cluster.payments.lb_panic'), 1);
    // outlier detection turned off: every host is back, panic ends
    sidecar.applyConfig(sidecarConfig({ version: 2, clusters: { payments: { policy: policy({ panicThreshold: 0.5 }), endpoints: [good, bad1, bad2].map((s, i) => endpoint(`payments-${i}`, s.port)) } } }));
    const ended = await waitForEvent(sidecar, 'panic-ended');
    assert.deepEqual(ended.data, { cluster: 'payments', healthy: 3, total: 3 });
    assert.deepEqual(
      eventsOf(sidecar, 'unejected').map((e) => [e.data!.endpoint, e.data!.reason]),
      [
        ['payments-1', 'outlier-detection-disabled'],
        ['payments-2', 'outlier-detection-disabled'],
      ],
    );
  });

  it('Istio (minHealthPercent 0): with the only host ejected the answer is 503 UH, not a request to it', async (t) => {
    const bad = closing(t, await startControlledServer({ status: 503 }));
    const { sidecar, port } = await cluster(t, [bad], policy({ panicThreshold: 0, outlierDetection: outlier({ consecutive5xx: 1, maxEjectionPercent: 1, baseEjectionTimeMs: 30_000 }) }));
    assert.equal((await send(port, { host: 'payments' })).status, 503);
    const r = await send(port, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UH');
    assert.match(r.body, /no healthy upstream for payments: 0 of 1 endpoint\(s\) healthy/);
    assert.equal(bad.received, 1);
    assert.equal(eventsOf(sidecar, 'panic').length, 0);
  });

  it('Envoy panic threshold with the only host ejected: the request still goes to it', async (t) => {
    const bad = closing(t, await startControlledServer({ status: 503 }));
    const { port } = await cluster(t, [bad], policy({ panicThreshold: 0.5, outlierDetection: outlier({ consecutive5xx: 1, maxEjectionPercent: 1, baseEjectionTimeMs: 30_000 }) }));
    await send(port, { host: 'payments' });
    const r = await send(port, { host: 'payments' });
    assert.equal(r.headers['x-meshproof-flags'], undefined, 'the upstream answered');
    assert.equal(bad.received, 2);
  });

  it('a config push keeps an ejection when the endpoint is the same instance at the same address, and ends it when the address changes', async (t) => {
    const good = closing(t, await startControlledServer());
    const bad = closing(t, await startControlledServer({ status: 503 }));
    const moved = closing(t, await startControlledServer());
    const pol = policy({ outlierDetection: outlier({ consecutive5xx: 2, baseEjectionTimeMs: 30_000 }) });
    const { sidecar, port } = await cluster(t, [good, bad], pol);
    await sendMany(port, 4);
    assert.equal(eventsOf(sidecar, 'ejected').length, 1);
    sidecar.applyConfig(sidecarConfig({ version: 2, clusters: { payments: { policy: { ...pol, timeoutMs: 5000 }, endpoints: [endpoint('payments-0', good.port), endpoint('payments-1', bad.port)] } } }));
    assert.equal(gauge(sidecar, 'cluster.payments.outlier_detection.ejections_active'), 1, 'same instance, same address: still ejected');
    sidecar.applyConfig(sidecarConfig({ version: 3, clusters: { payments: { policy: pol, endpoints: [endpoint('payments-0', good.port), endpoint('payments-1', moved.port)] } } }));
    assert.equal(gauge(sidecar, 'cluster.payments.outlier_detection.ejections_active'), 0);
    assert.deepEqual(eventsOf(sidecar, 'unejected').map((e) => e.data!.reason), ['endpoint-replaced']);
  });
});
