import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { describeMeshEvent } from '../../../src/contract/describe-mesh-event.ts';
import { fromRecord, type MeshEventRecord } from '../../../src/contract/mesh-event.ts';
import type { SidecarConfig } from '../../../src/contract/sidecar-config.ts';
import type { SparseSeries } from '../../../src/contract/series.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { getJson, send } from '../helpers/http.ts';
import { startStatusServer } from '../helpers/servers.ts';
import { closing, startSidecar } from '../helpers/sidecar.ts';
import { pushHeaders } from '../helpers/credential.ts';

describe('admin endpoint', () => {
  it('/ready is 503 before the first push and 200 after; POST /config answers {version}', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { ports } = await startSidecar(t);
    assert.equal((await send(ports.admin, { path: '/ready' })).status, 503);
    assert.equal((await send(ports.admin, { path: '/config_dump' })).status, 503);
    const cfg = sidecarConfig({ version: 3, clusters: { payments: { policy: policy({ retries: retries() }), endpoints: [endpoint('payments-0', up.port)] } } });
    const push = await send(ports.admin, { path: '/config', method: 'POST', body: JSON.stringify(cfg), headers: pushHeaders() });
    assert.equal(push.status, 200);
    assert.deepEqual(JSON.parse(push.body), { version: 3, applied: true });
    const again = await send(ports.admin, { path: '/config', method: 'POST', body: JSON.stringify(cfg), headers: pushHeaders() });
    assert.deepEqual(JSON.parse(again.body), { version: 3, applied: false });
    const ready = await send(ports.admin, { path: '/ready' });
    assert.equal(ready.status, 200);
    assert.equal(ready.body.trim(), 'LIVE');
    assert.deepEqual(await getJson<SidecarConfig>(ports.admin, '/config_dump'), cfg);
  });

  it('POST /config with bad JSON or an invalid config: 400 with a message', async (t) => {
    const { ports } = await startSidecar(t);
    const bad = await send(ports.admin, { path: '/config', method: 'POST', body: '{"version": 1,', headers: pushHeaders() });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /^invalid JSON: /);
    const invalid = await send(ports.admin, { path: '/config', method: 'POST', body: JSON.stringify({ version: 'two' }), headers: pushHeaders() });
    assert.equal(invalid.status, 400);
    const body = JSON.parse(invalid.body);
    assert.ok(body.problems.includes('version: expected a number, got "two"'));
    assert.ok(body.problems.some((p: string) => p.startsWith('clusters: ')));
  });

  it('/stats: counters and gauges by Envoy-style name', async (t) => {
    const up = closing(t, await startStatusServer(503));
    const { ports } = await startSidecar(t);
    await send(ports.admin, {
      path: '/config',
      method: 'POST',
      body: JSON.stringify(sidecarConfig({ clusters: { payments: { policy: policy({ retries: retries({ attempts: 1 }) }), endpoints: [endpoint('payments-0', up.port)] } } })),
      headers: pushHeaders(),
    });
    await send(ports.outbound, { host: 'payments' });
    const stats = await getJson<{ instance: string; service: string; counters: Record<string, number>; gauges: Record<string, number> }>(ports.admin, '/stats');
    assert.equal(stats.instance, 'checkout-0');
    assert.equal(stats.service, 'checkout');
    assert.equal(stats.counters['cluster.payments.upstream_rq_total'], 2);
    assert.equal(stats.counters['cluster.payments.upstream_rq_retry'], 1);
    assert.equal(stats.counters['cluster.payments.upstream_rq_503'], 2);
    assert.equal(stats.counters['cluster.payments.upstream_rq_5xx'], 2);
    assert.equal(stats.counters['http.outbound.downstream_rq_total'], 1);
    assert.equal(stats.counters['http.outbound.downstream_rq_5xx'], 1);
    assert.equal(stats.gauges['cluster.payments.membership_healthy'], 1);
    assert.equal(stats.gauges['http.outbound.downstream_rq_active'], 0);
    assert.equal(stats.gauges['config.version'], 1);
  });

  it('/stats/prometheus: valid text exposition (TYPE once per metric, legal names and labels)', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { 'pay-ments': { policy: policy(), endpoints: [endpoint('payments-0', up.port)] } } }));
    await send(ports.outbound, { host: 'pay-ments' });
    const r = await send(ports.admin, { path: '/stats/prometheus' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const typed = new Set<string>();
    for (const line of r.body.trimEnd().split('\n')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line);
      if (type) {
        assert.ok(!typed.has(type[1]), `TYPE for ${type[1]} given once`);
        typed.add(type[1]);
        continue;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (-?[0-9.e+]+)$/.exec(line);
      assert.ok(m, `not a valid sample line: ${line}`);
      assert.ok(typed.has(m![1]), `${m![1]} sampled before its TYPE`);
    }
    assert.match(r.body, /^meshproof_cluster_upstream_rq_total\{cluster="pay-ments"\} 1$/m);
    assert.match(r.body, /^meshproof_cluster_upstream_rq\{cluster="pay-ments",response_code="200"\} 1$/m);
    assert.match(r.body, /^meshproof_cluster_upstream_rq_xx\{cluster="pay-ments",response_code_class="2"\} 1$/m);
    assert.match(r.body, /^meshproof_http_downstream_rq_total\{listener="outbound"\} 1$/m);
  });

  it('/events?since=<seq> returns only newer events; /timeline?since=<second> the buckets from that second', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ t0: Date.now() - 10_000, clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port)] } } }));
    const { events } = await getJson<{ events: MeshEventRecord[] }>(ports.admin, '/events');
    assert.deepEqual(
      events.map((e) => e.seq),
      [1, 2, 3],
    );
    for (const e of events) {
      assert.equal(e.instance, 'checkout-0');
      assert.equal(typeof e.at, 'number');
      // The words are the describer's, of the event's own fields.
      assert.equal(e.message, describeMeshEvent(fromRecord(e)));
    }
    assert.deepEqual(events.map(fromRecord), sidecar.events(0));
    assert.deepEqual((await getJson<{ events: MeshEventRecord[] }>(ports.admin, '/events?since=2')).events.map((e) => e.seq), [3]);
    assert.deepEqual((await getJson<{ events: MeshEventRecord[] }>(ports.admin, '/events?since=3')).events, []);
    assert.equal((await send(ports.admin, { path: '/events?since=abc' })).status, 400);

    await send(ports.outbound, { host: 'payments' });
    const tl = await getJson<{ t0: number; series: SparseSeries }>(ports.admin, '/timeline');
    const [sec] = Object.keys(tl.series['edge:checkout->payments']).map(Number);
    assert.ok(sec >= 10 && sec <= 11);
    const b = tl.series['edge:checkout->payments'][sec];
    assert.deepEqual({ requests: b.requests, ok: b.ok, status: b.status, retries: b.retries }, { requests: 1, ok: 1, status: { '200': 1 }, retries: 0 });
    assert.equal(b.latency.count, 1);
    const later = await getJson<{ t0: number; series: SparseSeries }>(ports.admin, `/timeline?since=${sec + 1}`);
    assert.deepEqual(later.series['edge:checkout->payments'], {});
  });

  it('/clusters lists endpoints with health and in-flight tries; unknown routes are 404 with the known ones', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', up.port), endpoint('payments-1', up.port, false)] } } }));
    const clusters = await getJson<Record<string, { endpoints: { instance: string; healthy: boolean; active: number }[] }>>(ports.admin, '/clusters');
    assert.deepEqual(
      clusters.payments.endpoints.map((e) => [e.instance, e.healthy, e.active]),
      [
        ['payments-0', true, 0],
        ['payments-1', false, 0],
      ],
    );
    const nf = await send(ports.admin, { path: '/nope' });
    assert.equal(nf.status, 404);
    assert.match(JSON.parse(nf.body).error, /GET \/stats/);
  });
});
