import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { decodeOtlpProtoRequest } from '../../src/trace/otlp-proto-request.ts';
import type { OtlpTraceRequest } from '../../src/trace/otlp-request.ts';
import { OtlpToReadableSpans } from '../../src/trace/otlp-to-readable-spans.ts';

/** Spans from the SDK with everything OTLP can carry: two resources, two scopes, a remote parent, trace state, events, links, a status message. */
function richSpans(): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (const [service, instance] of [['front', 'front-0'], ['store', 'store-1']]) {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.instance.id': instance, 'service.namespace': 'meshproof', 'host.cores': 2 }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const start = Date.UTC(2026, 5, 1, 12, 0, 0, 123) + 0.456789;
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=a,other=b') });
    const server = provider.getTracer('meshproof-sidecar', '1.2.3').startSpan(`inbound ${instance}`, { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.response.status_code': 503, 'meshproof.policy': ['retry', 'timeout'], ratio: 0.5, ok: false } }, remote);
    server.addEvent('retry', { attempt: 2 }, start + 3);
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream reset' });
    const child = provider.getTracer('other-scope').startSpan('app call', { kind: SpanKind.CLIENT, startTime: start + 1, links: [{ context: { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { why: 'caused by' } }] }, trace.setSpan(ROOT_CONTEXT, server));
    child.end(start + 2.000001);
    server.end(start + 10);
    const internal = provider.getTracer('meshproof-sidecar', '1.2.3').startSpan('internal', { startTime: start }, ROOT_CONTEXT);
    internal.end(start + 1);
    out.push(...exporter.getFinishedSpans());
  }
  return out;
}

describe('spans received over OTLP, back into the SDK (to export them again as they came)', () => {
  it('OTLP/JSON: converted and serialised again by the SDK, the export is the same, field for field', () => {
    const spans = richSpans();
    const original = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)) as OtlpTraceRequest;
    const again = new OtlpToReadableSpans().convert(original);
    assert.equal(again.length, spans.length);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(again)!)), original);
  });

  it('OTLP protobuf: decoded in full, converted, and encoded again by the SDK, the bytes are the same', () => {
    const spans = richSpans();
    const original = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
    const again = new OtlpToReadableSpans().convert(decodeOtlpProtoRequest(original));
    assert.ok(Buffer.from(ProtobufTraceSerializer.serializeRequest(again)!).equals(original));
  });

  it('one Resource object per distinct resource, kept across exports, so exporters group each sender\'s spans under its own resource', () => {
    const conv = new OtlpToReadableSpans();
    const body = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(richSpans())!)) as OtlpTraceRequest;
    const a = conv.convert(body);
    const b = conv.convert(body);
    const front = a.filter((s) => s.resource.attributes['service.name'] === 'front');
    assert.ok(front.length > 1 && front.every((s) => s.resource === front[0].resource));
    assert.equal(b[0].resource, a[0].resource);
    assert.notEqual(a.find((s) => s.resource.attributes['service.name'] === 'store')!.resource, front[0].resource);
  });

  it('what only other senders produce: base64 ids, names for enums, numbers as strings, kvlist and bytes values, 64-bit times to the nanosecond; spans without valid ids are skipped', () => {
    const request: OtlpTraceRequest = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'legacy' } }] },
          scopeSpans: [
            {
              scope: { name: 'x' },
              spans: [
                {
                  traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64'),
                  spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'),
                  name: 'legacy',
                  kind: 'SPAN_KIND_PRODUCER',
                  startTimeUnixNano: '1767225600123456789',
                  endTimeUnixNano: '1767225600123456799',
                  attributes: [
                    { key: 'n', value: { intValue: '42' } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: true } }] } } },
                    { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
                  ],
                  status: { code: 'STATUS_CODE_ERROR' },
                },
                { traceId: 'zz', spanId: '00', name: 'no ids' },
              ],
            },
          ],
        },
      ],
    };
    const [s, ...rest] = new OtlpToReadableSpans().convert(request);
    assert.equal(rest.length, 0);
    assert.equal(s.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(s.spanContext().spanId, 'b7ad6b7169203331');
    assert.equal(s.kind, SpanKind.PRODUCER);
    assert.deepEqual(s.startTime, [1767225600, 123456789]);
    assert.deepEqual(s.duration, [0, 10]);
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    const out = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest([s])!)) as OtlpTraceRequest;
    const span = out.resourceSpans![0].scopeSpans![0].spans![0];
    assert.equal(span.startTimeUnixNano, '1767225600123456789');
    assert.deepEqual(span.attributes, [
      { key: 'n', value: { intValue: 42 } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: true } }] } } },
      { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
    ]);
  });
});
