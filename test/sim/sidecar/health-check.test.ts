import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import type { HealthCheck } from '../../../src/contract/mesh-policy.ts';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, outlier, policy, sidecarConfig } from '../helpers/config.ts';
import { getJson, send, sendMany } from '../helpers/http.ts';
import { startControlledServer } from '../helpers/servers.ts';
import { serviceSpec } from '../../helpers/scenario.ts';
import { closing, counter, eventsOf, gauge, startSidecar, waitForEvent } from '../helpers/sidecar.ts';

function hc(overrides: Partial<HealthCheck> = {}): HealthCheck {
  return { intervalMs: 50, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 2, path: '/healthz', ...overrides };
}

describe('active health checks through a real sidecar', () => {
  it('Envoy health checking: a dead endpoint fails unhealthy_threshold checks, is no longer picked, and comes back after healthy_threshold passes', async (t) => {
    const a = closing(t, await startControlledServer({ name: 'a' }));
    const b = closing(t, await startControlledServer({ name: 'b' }));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy({ healthCheck: hc() }), endpoints: [endpoint('payments-0', a.port), endpoint('payments-1', b.port)] } } }));
    await waitFor(() => (a.probes > 0 && b.probes > 0 ? true : undefined), { timeoutMs: 2000, describe: () => 'both endpoints probed' });

    await b.stop();
    const failed = await waitForEvent(sidecar, 'health-check-failed', { timeoutMs: 3000 });
    assert.deepEqual(failed.data, { cluster: 'payments', endpoint: 'payments-1', path: '/healthz', failure: { kind: 'network', code: 'ECONNREFUSED' }, unhealthyThreshold: 2 });
    assert.match(describeMeshEvent(failed), /\(GET \/healthz: ECONNREFUSED\); 2 failed check\(s\) in a row \(healthCheck\.unhealthyThreshold = 2\)/);
    const clusters = await getJson<Record<string, { endpoints: { instance: string; healthFlags: string[] }[] }>>(ports.admin, '/clusters');
    assert.deepEqual(clusters.payments.endpoints[1].healthFlags, ['failed_active_hc']);
    assert.deepEqual(await sendMany(ports.outbound, 6), Array(6).fill(200), 'only the live endpoint is picked');
    assert.equal(gauge(sidecar, 'cluster.payments.membership_healthy'), 1);

    await b.restart();
    const passed = await waitForEvent(sidecar, 'health-check-passed', { timeoutMs: 3000 });
    assert.deepEqual(passed.data, { cluster: 'payments', endpoint: 'payments-1', reason: 'checks-passed', healthyThreshold: 2 });
    const before = b.received;
    await sendMany(ports.outbound, 4);
    assert.ok(b.received > before, 'picked again');
    assert.ok(counter(sidecar, 'cluster.payments.health_check.network_failure') >= 2);
    assert.ok(counter(sidecar, 'cluster.payments.health_check.success') >= 2);
  });

  it('Envoy HTTP health checking: a check answered with a wrong status fails the endpoint at once', async (t) => {
    const a = closing(t, await startControlledServer({ health: 503 }));
    const { sidecar } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy({ healthCheck: hc({ unhealthyThreshold: 5 }) }), endpoints: [endpoint('payments-0', a.port)] } } }));
    const failed = await waitForEvent(sidecar, 'health-check-failed');
    assert.deepEqual(failed.data.failure, { kind: 'status', status: 503 });
    assert.match(describeMeshEvent(failed), /\(GET \/healthz: HTTP 503\); a wrong status fails a host at once/);
    assert.equal(a.probes, 1, 'one check was enough');
  });

  it('Envoy successful_active_health_check_uneject_host: a passing check returns an ejected host before its ejection time', async (t) => {
    const good = closing(t, await startControlledServer());
    const bad = closing(t, await startControlledServer({ status: 503 }));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          payments: {
            policy: policy({ healthCheck: hc({ intervalMs: 100 }), outlierDetection: outlier({ consecutive5xx: 2, baseEjectionTimeMs: 60_000 }) }),
            endpoints: [endpoint('payments-0', good.port), endpoint('payments-1', bad.port)],
          },
        },
      }),
    );
    await sendMany(ports.outbound, 4);
    await waitForEvent(sidecar, 'ejected');
    const back = await waitForEvent(sidecar, 'unejected', { timeoutMs: 2000 });
    assert.equal(back.data!.reason, 'health-check-passed');
    assert.ok((back.data!.ejectedMs as number) < 1000);
  });

  it('probes cross the callee inbound sidecar to the built-in app: /healthz passes while every slot is busy, is not rate limited, and stays out of the timeline', async (t) => {
    const app = new BuiltinService({ spec: serviceSpec('payments', { concurrency: 1, queue: 0, latency: { kind: 'fixed', ms: 400 } }), instance: 'payments-0', sidecar: null });
    const appPort = await app.start();
    t.onTestFinished(() => app.close());
    const callee = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
    callee.sidecar.applyConfig(
      sidecarConfig({
        service: 'payments',
        instance: 'payments-0',
        app: { host: '127.0.0.1', port: appPort },
        clusters: {},
        inbound: { rateLimit: { requestsPerSecond: 1, burst: 1 }, fault: null },
      }),
    );
    const caller = await startSidecar(t);
    caller.sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy({ healthCheck: hc() }), endpoints: [endpoint('payments-0', callee.ports.inbound)] } } }));
    const busy = send(caller.ports.outbound, { host: 'payments' });
    await waitFor(() => (counter(callee.sidecar, 'http.inbound.health_check') >= 6 ? true : undefined), { timeoutMs: 3000, describe: () => 'six probes at the callee' });
    assert.equal(eventsOf(caller.sidecar, 'health-check-failed').length, 0);
    assert.equal((await busy).status, 200);
    assert.equal(counter(callee.sidecar, 'http.inbound.local_rate_limit.rate_limited'), 0, 'probes take no token');
    const series = callee.sidecar.timeline().series['instance:payments-0'];
    const requests = Object.values(series).reduce((n, b) => n + b.requests, 0);
    assert.equal(requests, 1, 'only the real request is in the instance timeline');
  });

  it('turning health checks off clears a failed endpoint', async (t) => {
    const a = closing(t, await startControlledServer({ health: 500 }));
    const { sidecar } = await startSidecar(t);
    const cfg = (version: number, healthCheck: HealthCheck | null) =>
      sidecarConfig({ version, clusters: { payments: { policy: policy({ healthCheck }), endpoints: [endpoint('payments-0', a.port)] } } });
    sidecar.applyConfig(cfg(1, hc()));
    await waitForEvent(sidecar, 'health-check-failed');
    sidecar.applyConfig(cfg(2, null));
    const passed = await waitForEvent(sidecar, 'health-check-passed');
    assert.equal(passed.data.reason, 'checks-off');
    assert.equal(gauge(sidecar, 'cluster.payments.membership_healthy'), 1);
  });
});
