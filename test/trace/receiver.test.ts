import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { OtlpTraceRequest } from '../../src/trace/otlp-request.ts';
import { TraceReceiver } from '../../src/trace/receiver.ts';
import { OtlpSpanSink } from '../../src/trace/otlp-span-sink.ts';
import { seededRandom } from '../../src/util/random.ts';
import { bearerHeader, newRunCredential } from '../../src/auth/run-credential.ts';
import { request } from 'node:http';

/** Real SDK spans: a server span with a child client span carrying every attribute type. */
function sdkSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'front', 'service.instance.id': 'front-1' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  const start = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const parent = tracer.startSpan('outbound store', { kind: SpanKind.SERVER, startTime: start });
  {
    const child = tracer.startSpan('attempt 1 store-0', {
      kind: SpanKind.CLIENT,
      startTime: start + 1.5,
      attributes: { 'meshproof.attempt': 1, 'meshproof.policy': ['retry', 'per-try-timeout'], ok: false, ratio: 0.25, neg: -3, 'http.response.status_code': 503 },
    }, trace.setSpan(ROOT_CONTEXT, parent));
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end(start + 12.25);
    parent.end(start + 20);
  }
  return exporter.getFinishedSpans();
}

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

function checkDecoded(receiver: TraceReceiver) {
  const spans = receiver.store.spans();
  assert.equal(spans.length, 2);
  const [outbound, attempt] = spans;
  assert.equal(outbound.name, 'outbound store');
  assert.equal(outbound.kind, 'server');
  assert.equal(outbound.parentSpanId, null);
  assert.equal(outbound.service, 'front');
  assert.equal(outbound.instance, 'front-1');
  assert.equal(outbound.startMs, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(outbound.durationMs, 20);
  assert.equal(attempt.kind, 'client');
  assert.equal(attempt.parentSpanId, outbound.spanId);
  assert.equal(attempt.traceId, outbound.traceId);
  assert.match(attempt.traceId, /^[0-9a-f]{32}$/);
  assert.ok(Math.abs(attempt.durationMs - 10.75) < 1e-6, String(attempt.durationMs));
  assert.equal(attempt.error, true);
  assert.deepEqual(attempt.attributes, { 'meshproof.attempt': 1, 'meshproof.policy': ['retry', 'per-try-timeout'], ok: false, ratio: 0.25, neg: -3, 'http.response.status_code': 503 });
}

describe('OTLP receiver', () => {
  it('decodes an OTLP/HTTP JSON export as the OTel exporter serialises it', async (t) => {
    const receiver = new TraceReceiver();
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const body = JsonTraceSerializer.serializeRequest(sdkSpans())!;
    const r = await post(receiver.tracesUrl, body, { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.equal(r.body, '{}');
    checkDecoded(receiver);
    assert.deepEqual(receiver.stats(), { exports: 1, spans: 2, rejected: 0 });
  });

  it('decodes an OTLP/HTTP protobuf export, gzip-compressed, as the OTel proto exporter sends it', async (t) => {
    const receiver = new TraceReceiver();
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(sdkSpans())!);
    const r = await post(receiver.tracesUrl, body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/x-protobuf');
    checkDecoded(receiver);
  });

  it('refuses what is not an OTLP trace export, with a reason, and keeps nothing from it', async (t) => {
    const receiver = new TraceReceiver();
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    assert.equal((await post(receiver.tracesUrl, '{"resourceSpans": 3}', { 'content-type': 'application/json' })).status, 400);
    assert.match(receiver.lastRejection!, /resourceSpans must be an array/);
    assert.equal((await post(receiver.tracesUrl, 'not json', { 'content-type': 'application/json' })).status, 400);
    assert.equal((await post(receiver.tracesUrl, new Uint8Array([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' })).status, 400);
    assert.match(receiver.lastRejection!, /truncated/);
    assert.equal((await post(receiver.tracesUrl, 'x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(`${receiver.baseUrl}/v1/metrics`, '{}', { 'content-type': 'application/json' })).status, 404);
    assert.equal(receiver.store.size, 0);
    assert.equal(receiver.stats().rejected, 4);
  });

  it('hands every export it accepts, whole, to onExport (JSON as parsed, protobuf decoded in full); a throwing onExport costs the sidecar nothing', async (t) => {
    const got: OtlpTraceRequest[] = [];
    let fail = false;
    const receiver = new TraceReceiver({
      onExport: (request) => {
        got.push(request);
        if (fail) throw new Error('the collector side broke');
      },
    });
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const spans = sdkSpans();
    await post(receiver.tracesUrl, JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    await post(receiver.tracesUrl, gzipSync(ProtobufTraceSerializer.serializeRequest(spans)!), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    fail = true;
    const r = await post(receiver.tracesUrl, JsonTraceSerializer.serializeRequest(spans)!, { 'content-type': 'application/json' });
    assert.equal(r.status, 200, 'the sidecar gets its answer whatever onExport does');
    assert.equal(got.length, 3);
    // Both encodings give the same request: the JSON body as the exporter wrote it.
    const asJson = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)) as OtlpTraceRequest;
    assert.deepEqual(got[0], asJson);
    const [fromProto] = got[1].resourceSpans!;
    assert.deepEqual(fromProto.resource!.attributes, asJson.resourceSpans![0].resource!.attributes);
    assert.deepEqual(fromProto.scopeSpans![0].spans!.map((s) => [s.traceId, s.spanId, s.parentSpanId, s.name, s.startTimeUnixNano, s.endTimeUnixNano]), asJson.resourceSpans![0].scopeSpans![0].spans!.map((s) => [s.traceId, s.spanId, s.parentSpanId, s.name, s.startTimeUnixNano, s.endTimeUnixNano]));
    assert.equal(receiver.store.size, 6);
  });

  it("the sidecar's sink exports OTLP/HTTP JSON to the receiver: ids and times as given, queue bounded and counted", async (t) => {
    const receiver = new TraceReceiver();
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const sink = new OtlpSpanSink({ endpoint: receiver.tracesUrl, service: 'store', instance: 'store-2', random: seededRandom(1), toEpochMs: (ms) => 1_700_000_000_000 + ms, maxQueueSize: 3, scheduledDelayMs: 20 });
    const traceId = 'ab'.repeat(16);
    for (let i = 0; i < 5; i++) {
      sink.record({ traceId, spanId: (i + 1).toString(16).padStart(16, '0'), parentSpanId: i === 0 ? null : '0000000000000001', name: `s${i}`, kind: i === 0 ? 'server' : 'client', start: 10 + i, end: 20 + i, error: i === 4, attributes: { 'meshproof.attempt': i } });
    }
    await sink.shutdown();
    const stats = sink.stats();
    assert.equal(stats.spans_recorded, 3);
    assert.equal(stats.spans_dropped, 2, 'beyond the queue bound, spans are dropped and counted');
    assert.equal(stats.spans_exported, 3);
    const spans = receiver.store.spans();
    assert.deepEqual(spans.map((s) => s.name), ['s0', 's1', 's2']);
    assert.equal(spans[0].parentSpanId, null);
    assert.equal(spans[0].spanId, '0000000000000001');
    assert.equal(spans[1].parentSpanId, '0000000000000001');
    assert.ok(spans.every((s) => s.traceId === traceId && s.service === 'store' && s.instance === 'store-2'));
    assert.equal(spans[1].startMs, 1_700_000_000_011);
    assert.equal(spans[1].durationMs, 10);
    assert.deepEqual(spans.map((s) => s.kind), ['server', 'client', 'client']);
    assert.deepEqual(spans[2].attributes, { 'meshproof.attempt': 2 });
    assert.ok(spans.every((s) => !s.error));
  });

  it("with the run's credential: exports carrying it land, forged ones (none, another, a browser's, another Host) are refused and stored nowhere", async (t) => {
    const credential = newRunCredential();
    const receiver = new TraceReceiver({ credential });
    t.onTestFinished(() => receiver.close());
    await receiver.start();
    const body = JsonTraceSerializer.serializeRequest(sdkSpans())!;
    const json = { 'content-type': 'application/json' };
    assert.equal((await post(receiver.tracesUrl, body, json)).status, 401);
    assert.equal((await post(receiver.tracesUrl, body, { ...json, ...bearerHeader(newRunCredential()) })).status, 401);
    assert.equal((await post(receiver.tracesUrl, body, { ...json, ...bearerHeader(credential), origin: 'http://evil.example' })).status, 403);
    assert.equal((await post(receiver.tracesUrl, body, { 'content-type': 'text/plain', ...bearerHeader(credential) })).status, 415);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(receiver.tracesUrl, { method: 'POST', headers: { ...json, ...bearerHeader(credential), host: 'evil.example:4318' } }, (res) => resolve(res.resume().statusCode ?? 0));
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(rebound, 421);
    assert.deepEqual(receiver.store.spans(), []);
    assert.equal(receiver.stats().exports, 0);

    // The sidecar's sink, given the credential, is let in (over protobuf or JSON alike).
    const sink = new OtlpSpanSink({ endpoint: receiver.tracesUrl, headers: bearerHeader(credential), service: 'store', instance: 'store-0', random: seededRandom(4), toEpochMs: (ms) => 1_700_000_000_000 + ms, scheduledDelayMs: 20 });
    sink.record({ traceId: 'cd'.repeat(16), spanId: '0000000000000001', parentSpanId: null, name: 'in', kind: 'server', start: 1, end: 2, error: false, attributes: {} });
    await sink.shutdown();
    assert.deepEqual(receiver.store.spans().map((s) => s.name), ['in']);
    assert.equal((await post(receiver.tracesUrl, body, { ...json, ...bearerHeader(credential) })).status, 200);
    assert.equal(receiver.stats().exports, 2);
  });

  it('the sink samples new traces by trace id at the given ratio', async () => {
    const sink = new OtlpSpanSink({ endpoint: 'http://127.0.0.1:9/v1/traces', service: 's', instance: 's-0', random: seededRandom(2), toEpochMs: (ms) => ms, sampleRatio: 0.25 });
    const random = seededRandom(3);
    let kept = 0;
    const { newTraceId } = await import('../../src/contract/trace-context.ts');
    for (let i = 0; i < 4000; i++) if (sink.sampleRoot(newTraceId(random))) kept++;
    assert.ok(kept > 850 && kept < 1150, `about a quarter kept, got ${kept} of 4000`);
    await sink.shutdown();
  });
});
