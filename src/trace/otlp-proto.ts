import { I64, LEN, ProtoReader as Reader, VARINT } from './proto-reader.ts';
import { SPAN_KINDS, type AttributeValue, type SpanRecord } from './span-model.ts';

/**
Decodes an OTLP/HTTP protobuf trace export (`opentelemetry.proto.collector.trace.v1.
ExportTraceServiceRequest`) into span records. A small hand-written reader of the protobuf wire
format for the fields meshproof uses, so the harness needs no protobuf library; unknown fields are
skipped, as protobuf requires. Throws an Error on a truncated or malformed message.
*/
export function decodeOtlpProto(buf: Uint8Array): SpanRecord[] {
  const out: SpanRecord[] = [];
  const r = new Reader(buf, 0, buf.length);
  while (r.more()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === LEN) resourceSpans(r.sub(), out);
    else r.skip(wire);
  }
  return out;
}

function resourceSpans(r: Reader, out: SpanRecord[]): void {
  let attrs: Record<string, AttributeValue> = {};
  const scopes: Reader[] = [];
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) attrs = resource(r.sub());
    else if (f === 2 && w === LEN) scopes.push(r.sub());
    else r.skip(w);
  }
  const service = typeof attrs['service.name'] === 'string' ? attrs['service.name'] : 'unknown_service';
  const instance = typeof attrs['service.instance.id'] === 'string' ? attrs['service.instance.id'] : '';
  for (const s of scopes) {
    while (s.more()) {
      const [f, w] = s.tag();
      if (f === 2 && w === LEN) out.push(span(s.sub(), service, instance));
      else s.skip(w);
    }
  }
}

function resource(r: Reader): Record<string, AttributeValue> {
  const attrs: Record<string, AttributeValue> = {};
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) keyValue(r.sub(), attrs);
    else r.skip(w);
  }
  return attrs;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

const NS_PER_MS = 1_000_000n;

function nanosToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

function span(r: Reader, service: string, instance: string): SpanRecord {
  let traceId = '';
  let spanId = '';
  let parent = '';
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  let error = false;
  const attributes: Record<string, AttributeValue> = {};
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) traceId = hex(r.bytes());
    else if (f === 2 && w === LEN) spanId = hex(r.bytes());
    else if (f === 4 && w === LEN) parent = hex(r.bytes());
    else if (f === 5 && w === LEN) name = r.string();
    else if (f === 6 && w === VARINT) kind = r.varint();
    else if (f === 7 && w === I64) start = r.fixed64();
    else if (f === 8 && w === I64) end = r.fixed64();
    else if (f === 9 && w === LEN) keyValue(r.sub(), attributes);
    else if (f === 15 && w === LEN) error = statusIsError(r.sub());
    else r.skip(w);
  }
  if (traceId.length !== 32 || spanId.length !== 16) throw new Error(`span "${name}" has no valid trace_id/span_id`);
  const startMs = nanosToMs(start);
  return {
    traceId,
    spanId,
    parentSpanId: parent.length === 16 && !/^0+$/.test(parent) ? parent : null,
    name,
    kind: SPAN_KINDS[kind] ?? 'unspecified',
    service,
    instance,
    startMs,
    durationMs: Math.max(0, nanosToMs(end) - startMs),
    error,
    attributes,
  };
}

function statusIsError(r: Reader): boolean {
  let code = 0;
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 3 && w === VARINT) code = r.varint();
    else r.skip(w);
  }
  return code === 2;
}

function keyValue(r: Reader, into: Record<string, AttributeValue>): void {
  let key = '';
  let value: AttributeValue = null;
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) key = r.string();
    else if (f === 2 && w === LEN) value = anyValue(r.sub());
    else r.skip(w);
  }
  into[key] = value;
}

function anyValue(r: Reader): AttributeValue {
  let v: AttributeValue = null;
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) v = r.string();
    else if (f === 2 && w === VARINT) v = r.varint() !== 0;
    else if (f === 3 && w === VARINT) v = r.int64();
    else if (f === 4 && w === I64) v = r.double();
    else if (f === 5 && w === LEN) {
      const arr: AttributeValue[] = [];
      const a = r.sub();
      while (a.more()) {
        const [af, aw] = a.tag();
        if (af === 1 && aw === LEN) arr.push(anyValue(a.sub()));
        else a.skip(aw);
      }
      v = arr;
    } else if (f === 6 && w === LEN) {
      const kv: Record<string, AttributeValue> = {};
      const l = r.sub();
      while (l.more()) {
        const [lf, lw] = l.tag();
        if (lf === 1 && lw === LEN) keyValue(l.sub(), kv);
        else l.skip(lw);
      }
      v = kv;
    } else if (f === 7 && w === LEN) v = hex(r.bytes());
    else r.skip(w);
  }
  return v;
}
