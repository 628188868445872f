import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { waitFor } from '../../src/util/http-json.ts';
import { endpoint, outlier, policy, retries, sidecarConfig } from '../sim/helpers/config.ts';
import { send } from '../sim/helpers/http.ts';
import { startEchoServer, startServer, startSlowServer } from '../sim/helpers/servers.ts';
import { closing, startSidecar } from '../sim/helpers/sidecar.ts';
import { MemorySink } from './helpers.ts';
import type { FinishedSpan } from '../../src/contract/span-sink.ts';
import { OtlpSpanSink } from '../../src/trace/otlp-span-sink.ts';
import { seededRandom } from '../../src/util/random.ts';
import { refusedPort } from '../sim/helpers/servers.ts';

/** Caller (front-0, service front) → callee sidecar (store-0) → app, both sidecars sending spans to `sink`. */
async function pair(t: Parameters<typeof startSidecar>[0], sink: MemorySink, appPort: number, retryPolicy = retries({ attempts: 2 }), extra: Partial<ReturnType<typeof policy>> = {}) {
  const callee = await startSidecar(t, { instance: 'store-0', service: 'store', spans: sink });
  callee.sidecar.applyConfig(sidecarConfig({ service: 'store', instance: 'store-0', app: { host: '127.0.0.1', port: appPort }, clusters: {} }));
  const caller = await startSidecar(t, { instance: 'front-0', service: 'front', spans: sink });
  caller.sidecar.applyConfig(
    sidecarConfig({ service: 'front', instance: 'front-0', clusters: { store: { policy: policy({ retries: retryPolicy, ...extra }), endpoints: [endpoint('store-0', callee.ports.inbound)] } } }),
  );
  return { caller, callee };
}

function only(spans: FinishedSpan[], what: string): FinishedSpan {
  assert.equal(spans.length, 1, `one ${what} span, got ${spans.map((s) => s.name).join(', ') || 'none'}`);
  return spans[0];
}

describe('sidecar spans', () => {
  it('a retried request: outbound → attempt 1 (503) → inbound → app, attempt 2 (retry) → inbound → app, all in one trace', async (t) => {
    const app = closing(t, await startServer((_req, res, n) => {
      res.writeHead(n === 1 ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(JSON.stringify({ traceparent: _req.headers.traceparent }));
    }));
    const sink = new MemorySink();
    const { caller } = await pair(t, sink, app.port);
    const r = await send(caller.ports.outbound, { host: 'store' });
    assert.equal(r.status, 200);
    await waitFor(() => (sink.spans.length >= 7 ? true : undefined), { timeoutMs: 3000, describe: () => `7 spans, got ${sink.spans.map((s) => s.name).join(', ')}` });

    const outbound = only(sink.byName('outbound'), 'outbound');
    const attempts = sink.byName('attempt').sort((a, b) => Number(a.attributes['meshproof.attempt']) - Number(b.attributes['meshproof.attempt']));
    const inbound = sink.byName('inbound');
    const apps = sink.byName('app');
    assert.equal(attempts.length, 2);
    assert.equal(inbound.length, 2);
    assert.equal(apps.length, 2);
    const traceIds = new Set(sink.spans.map((s) => s.traceId));
    assert.equal(traceIds.size, 1, 'one trace');

    assert.equal(outbound.parentSpanId, null, 'the request started its trace at this sidecar');
    assert.equal(outbound.attributes['meshproof.role'], 'outbound');
    assert.equal(outbound.attributes['meshproof.destination'], 'store');
    assert.equal(outbound.attributes['meshproof.attempts'], 2);
    assert.equal(outbound.attributes['http.response.status_code'], 200);
    assert.deepEqual(outbound.attributes['meshproof.policy'], ['retry']);
    assert.equal(outbound.error, false);

    const [a1, a2] = attempts;
    for (const a of attempts) {
      assert.equal(a.parentSpanId, outbound.spanId, 'attempts are children of the outbound span');
      assert.equal(a.attributes['meshproof.upstream.instance'], 'store-0');
      assert.equal(a.kind, 'client');
    }
    assert.equal(a1.name, 'attempt 1 store-0');
    assert.equal(a1.attributes['http.response.status_code'], 503);
    assert.equal(a1.error, true);
    assert.equal(a1.attributes['meshproof.policy'], undefined);
    assert.equal(a2.attributes['meshproof.attempt'], 2);
    assert.equal(a2.attributes['http.request.resend_count'], 1);
    assert.deepEqual(a2.attributes['meshproof.policy'], ['retry']);
    assert.ok(a2.start >= a1.end, 'the retry starts after the first try ended');

    // Each inbound span is the child of the attempt that reached it; each app span of its inbound.
    const inboundOf = (a: FinishedSpan) => only(inbound.filter((s) => s.parentSpanId === a.spanId), `inbound under ${a.name}`);
    const i1 = inboundOf(a1);
    const i2 = inboundOf(a2);
    assert.equal(i1.attributes['http.response.status_code'], 503);
    assert.equal(i2.attributes['http.response.status_code'], 200);
    assert.equal(only(apps.filter((s) => s.parentSpanId === i2.spanId), 'app').name, 'app store-0');
    // The app got the app span as its parent: what it calls next hangs under it.
    const appSpan = apps.find((s) => s.parentSpanId === i2.spanId)!;
    assert.equal(JSON.parse(r.body).traceparent, `00-${outbound.traceId}-${appSpan.spanId}-01`);
  });

  it('an incoming traceparent is continued: the outbound span is a child of the caller span it names', async (t) => {
    const app = closing(t, await startEchoServer());
    const sink = new MemorySink();
    const { caller } = await pair(t, sink, app.port);
    const parent = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
    const r = await send(caller.ports.outbound, { host: 'store', headers: { traceparent: parent } });
    assert.equal(r.status, 200);
    await waitFor(() => (sink.spans.length >= 4 ? true : undefined), { timeoutMs: 3000, describe: () => `4 spans, got ${sink.spans.length}` });
    const outbound = only(sink.byName('outbound'), 'outbound');
    assert.equal(outbound.traceId, 'ab'.repeat(16));
    assert.equal(outbound.parentSpanId, 'cd'.repeat(8));
    assert.ok(sink.spans.every((s) => s.traceId === 'ab'.repeat(16)));
  });

  it('an unsampled trace records nothing anywhere, and passes flags 00 on', async (t) => {
    const app = closing(t, await startEchoServer());
    const sink = new MemorySink();
    sink.sample = false;
    const { caller } = await pair(t, sink, app.port);
    const r = await send(caller.ports.outbound, { host: 'store' });
    assert.equal(r.status, 200);
    const unsampled = JSON.parse(r.body).headers.traceparent as string;
    assert.match(unsampled, /-00$/);
    // A sampled request after it: once its spans are in, any of the first request's would be too.
    sink.sample = true;
    const r2 = await send(caller.ports.outbound, { host: 'store' });
    const sampled = (JSON.parse(r2.body).headers.traceparent as string).split('-')[1];
    await waitFor(() => (sink.byName('outbound').length > 0 ? true : undefined), { timeoutMs: 3000, describe: () => `the sampled request's spans, got ${sink.spans.map((s) => s.name).join(', ')}` });
    assert.deepEqual(sink.spans.filter((s) => s.traceId !== sampled), [], `no span of the unsampled trace ${unsampled}`);
  });

  it('a per-try timeout: the timed-out attempt says UT and per-try-timeout, the request says per-try-timeout, retry and retry-limit', async (t) => {
    const app = closing(t, await startSlowServer(400));
    const sink = new MemorySink();
    const { caller } = await pair(t, sink, app.port, retries({ attempts: 1, perTryTimeoutMs: 50, retryOn: ['5xx', 'reset'] }));
    const r = await send(caller.ports.outbound, { host: 'store' });
    assert.equal(r.status, 504);
    await waitFor(() => (sink.byName('outbound').length === 1 && sink.byName('attempt').length === 2 ? true : undefined), { timeoutMs: 3000, describe: () => `1 outbound and 2 attempt spans, got ${sink.spans.map((s) => s.name).join(', ')}` });
    const outbound = only(sink.byName('outbound'), 'outbound');
    assert.equal(outbound.attributes['meshproof.response_flags'], 'UT,URX');
    assert.deepEqual(outbound.attributes['meshproof.policy'], ['per-try-timeout', 'retry', 'retry-limit']);
    assert.equal(outbound.error, true);
    for (const a of sink.byName('attempt')) {
      assert.equal(a.attributes['meshproof.response_flags'], 'UT');
      assert.ok((a.attributes['meshproof.policy'] as string[]).includes('per-try-timeout'));
      assert.ok(a.end - a.start >= 45 && a.end - a.start < 300, `a try lasts its per-try timeout, took ${a.end - a.start}ms`);
    }
  });

  it('no tracing: no span ids on the exchange, the caller traceparent reaches the app untouched', async (t) => {
    const app = closing(t, await startEchoServer());
    const callee = await startSidecar(t, { instance: 'store-0', service: 'store' });
    callee.sidecar.applyConfig(sidecarConfig({ service: 'store', instance: 'store-0', app: { host: '127.0.0.1', port: app.port }, clusters: {} }));
    const parent = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
    const r = await send(callee.ports.inbound, { host: 'store', headers: { traceparent: parent } });
    assert.equal(JSON.parse(r.body).headers.traceparent, parent);
    assert.equal(callee.sidecar.stats().counters['tracing.spans_recorded'], undefined);
  });

  it('a receiver that is not there breaks nothing: every request is answered, the lost spans are counted', async (t) => {
    const app = closing(t, await startEchoServer());
    const dead = await refusedPort();
    const sink = new OtlpSpanSink({ endpoint: `http://127.0.0.1:${dead}/v1/traces`, service: 'store', instance: 'store-0', random: seededRandom(3), toEpochMs: (ms) => performance.timeOrigin + ms, scheduledDelayMs: 20, exportTimeoutMs: 500 });
    const callee = await startSidecar(t, { instance: 'store-0', service: 'store', spans: sink });
    callee.sidecar.applyConfig(sidecarConfig({ service: 'store', instance: 'store-0', app: { host: '127.0.0.1', port: app.port }, clusters: {} }));
    for (let i = 0; i < 20; i++) {
      const r = await send(callee.ports.inbound, { host: 'store', headers: { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` } });
      assert.equal(r.status, 200);
    }
    await callee.sidecar.close();
    const c = callee.sidecar.stats().counters;
    assert.equal(c['tracing.spans_recorded'], 40, 'an inbound and an app span per request');
    assert.equal(c['tracing.spans_exported'], 0);
    assert.equal(c['tracing.spans_export_failed'], 40);
  });

  it('a request the bulkhead refuses: its outbound span says 503 UO and bulkhead, and it has no attempt', async (t) => {
    const app = closing(t, await startSlowServer(300));
    const sink = new MemorySink();
    const callee = await startSidecar(t, { instance: 'store-0', service: 'store', spans: sink });
    callee.sidecar.applyConfig(sidecarConfig({ service: 'store', instance: 'store-0', app: { host: '127.0.0.1', port: app.port }, clusters: {} }));
    const caller = await startSidecar(t, { instance: 'front-0', service: 'front', spans: sink });
    caller.sidecar.applyConfig(sidecarConfig({ service: 'front', instance: 'front-0', clusters: { store: { policy: policy(), endpoints: [endpoint('store-0', callee.ports.inbound)], bulkhead: 1 } } }));
    const first = send(caller.ports.outbound, { host: 'store' });
    await waitFor(() => (app.received === 1 ? true : undefined), { timeoutMs: 3000, describe: () => 'the first request at the app' });
    const second = await send(caller.ports.outbound, { host: 'store' });
    assert.equal(second.status, 503);
    assert.equal((await first).status, 200);
    await waitFor(() => (sink.byName('outbound').length === 2 ? true : undefined), { timeoutMs: 3000, describe: () => `2 outbound spans, got ${sink.spans.map((x) => x.name).join(', ')}` });
    const refused = sink.byName('outbound').find((x) => x.attributes['http.response.status_code'] === 503)!;
    assert.equal(refused.attributes['meshproof.response_flags'], 'UO');
    assert.deepEqual(refused.attributes['meshproof.policy'], ['bulkhead']);
    assert.equal(refused.attributes['meshproof.attempts'], 0);
    assert.equal(sink.byName('attempt').filter((a) => a.parentSpanId === refused.spanId).length, 0);
  });

  it('the try whose failure ejects its host says outlier-ejection, and so does its request', async (t) => {
    const app = closing(t, await startServer((_req, res) => {
      res.writeHead(503);
      res.end('down');
    }));
    const sink = new MemorySink();
    const { caller } = await pair(t, sink, app.port, retries({ attempts: 0 }), { outlierDetection: outlier({ consecutive5xx: 2 }), panicThreshold: 0 });
    assert.equal((await send(caller.ports.outbound, { host: 'store' })).status, 503);
    assert.equal((await send(caller.ports.outbound, { host: 'store' })).status, 503);
    await waitFor(() => (sink.byName('attempt').length === 2 && sink.byName('outbound').length === 2 ? true : undefined), { timeoutMs: 3000, describe: () => `2 attempts, got ${sink.spans.map((x) => x.name).join(', ')}` });
    const [first, second] = sink.byName('attempt').sort((a, b) => a.start - b.start);
    assert.equal(first.attributes['meshproof.policy'], undefined);
    assert.deepEqual(second.attributes['meshproof.policy'], ['outlier-ejection']);
    const out = sink.byName('outbound').find((o) => o.spanId === second.parentSpanId)!;
    assert.deepEqual(out.attributes['meshproof.policy'], ['outlier-ejection', 'retry-limit'], 'retriable, and no retry allowed: URX');
  });
});
