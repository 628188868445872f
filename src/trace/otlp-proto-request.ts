import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpTraceRequest } from './otlp-request.ts';
import { I32, I64, LEN, ProtoReader, VARINT } from './proto-reader.ts';

/**
Decodes an OTLP protobuf trace export (`ExportTraceServiceRequest`) completely, into its OTLP/JSON
shape: every field a span, its resource and its scope carry (events, links, trace state, flags,
dropped counts), so the spans can be exported again as they came. Ids come out as hex, 64-bit
times as decimal strings (exact), bytes as base64. Unknown fields are skipped, as protobuf
requires. Throws an Error on a truncated or malformed message.

The run's own store needs far less of a span (src/trace/otlp-proto.ts reads only that); this
fuller decoding runs only when the spans also go to the user's collector.
*/
export function decodeOtlpProtoRequest(buf: Uint8Array): OtlpTraceRequest {
  const resourceSpans: OtlpResourceSpans[] = [];
  const r = new ProtoReader(buf, 0, buf.length);
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) resourceSpans.push(readResourceSpans(r.sub()));
    else r.skip(w);
  }
  return { resourceSpans };
}

function readResourceSpans(r: ProtoReader): OtlpResourceSpans {
  const out: OtlpResourceSpans = { scopeSpans: [] };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) out.resource = readResource(r.sub());
    else if (f === 2 && w === LEN) out.scopeSpans!.push(readScopeSpans(r.sub()));
    else if (f === 3 && w === LEN) out.schemaUrl = r.string();
    else r.skip(w);
  }
  return out;
}

function readResource(r: ProtoReader): NonNullable<OtlpResourceSpans['resource']> {
  const attributes: OtlpKeyValue[] = [];
  let dropped = 0;
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) attributes.push(readKeyValue(r.sub()));
    else if (f === 2 && w === VARINT) dropped = r.varint();
    else r.skip(w);
  }
  return { attributes, droppedAttributesCount: dropped };
}

function readScopeSpans(r: ProtoReader): OtlpScopeSpans {
  const out: OtlpScopeSpans = { spans: [] };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) out.scope = readScope(r.sub());
    else if (f === 2 && w === LEN) out.spans!.push(readSpan(r.sub()));
    else if (f === 3 && w === LEN) out.schemaUrl = r.string();
    else r.skip(w);
  }
  return out;
}

function readScope(r: ProtoReader): NonNullable<OtlpScopeSpans['scope']> {
  const out: NonNullable<OtlpScopeSpans['scope']> = { name: '' };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) out.name = r.string();
    else if (f === 2 && w === LEN) out.version = r.string();
    else if (f === 3 && w === LEN) (out.attributes ??= []).push(readKeyValue(r.sub()));
    else if (f === 4 && w === VARINT) out.droppedAttributesCount = r.varint();
    else r.skip(w);
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function readSpan(r: ProtoReader): OtlpSpan {
  const s: OtlpSpan = { attributes: [], events: [], links: [] };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) s.traceId = hex(r.bytes());
    else if (f === 2 && w === LEN) s.spanId = hex(r.bytes());
    else if (f === 3 && w === LEN) s.traceState = r.string();
    else if (f === 4 && w === LEN) s.parentSpanId = hex(r.bytes());
    else if (f === 16 && w === I32) s.flags = r.fixed32();
    else if (f === 5 && w === LEN) s.name = r.string();
    else if (f === 6 && w === VARINT) s.kind = r.varint();
    else if (f === 7 && w === I64) s.startTimeUnixNano = r.fixed64().toString();
    else if (f === 8 && w === I64) s.endTimeUnixNano = r.fixed64().toString();
    else if (f === 9 && w === LEN) s.attributes!.push(readKeyValue(r.sub()));
    else if (f === 10 && w === VARINT) s.droppedAttributesCount = r.varint();
    else if (f === 11 && w === LEN) s.events!.push(readEvent(r.sub()));
    else if (f === 12 && w === VARINT) s.droppedEventsCount = r.varint();
    else if (f === 13 && w === LEN) s.links!.push(readLink(r.sub()));
    else if (f === 14 && w === VARINT) s.droppedLinksCount = r.varint();
    else if (f === 15 && w === LEN) s.status = readStatus(r.sub());
    else r.skip(w);
  }
  return s;
}

function readEvent(r: ProtoReader): NonNullable<OtlpSpan['events']>[number] {
  const e: NonNullable<OtlpSpan['events']>[number] = { name: '', attributes: [] };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === I64) e.timeUnixNano = r.fixed64().toString();
    else if (f === 2 && w === LEN) e.name = r.string();
    else if (f === 3 && w === LEN) e.attributes!.push(readKeyValue(r.sub()));
    else if (f === 4 && w === VARINT) e.droppedAttributesCount = r.varint();
    else r.skip(w);
  }
  return e;
}

function readLink(r: ProtoReader): NonNullable<OtlpSpan['links']>[number] {
  const l: NonNullable<OtlpSpan['links']>[number] = { attributes: [] };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) l.traceId = hex(r.bytes());
    else if (f === 2 && w === LEN) l.spanId = hex(r.bytes());
    else if (f === 3 && w === LEN) l.traceState = r.string();
    else if (f === 4 && w === LEN) l.attributes!.push(readKeyValue(r.sub()));
    else if (f === 5 && w === VARINT) l.droppedAttributesCount = r.varint();
    else if (f === 6 && w === I32) l.flags = r.fixed32();
    else r.skip(w);
  }
  return l;
}

function readStatus(r: ProtoReader): NonNullable<OtlpSpan['status']> {
  const s: NonNullable<OtlpSpan['status']> = { code: 0 };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 2 && w === LEN) s.message = r.string();
    else if (f === 3 && w === VARINT) s.code = r.varint();
    else r.skip(w);
  }
  return s;
}

function readKeyValue(r: ProtoReader): OtlpKeyValue {
  const kv: OtlpKeyValue = { key: '' };
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) kv.key = r.string();
    else if (f === 2 && w === LEN) kv.value = readAnyValue(r.sub());
    else r.skip(w);
  }
  return kv;
}

function readAnyValue(r: ProtoReader): OtlpAnyValue {
  let v: OtlpAnyValue = {};
  while (r.more()) {
    const [f, w] = r.tag();
    if (f === 1 && w === LEN) v = { stringValue: r.string() };
    else if (f === 2 && w === VARINT) v = { boolValue: r.varint() !== 0 };
    else if (f === 3 && w === VARINT) v = { intValue: r.int64() };
    else if (f === 4 && w === I64) v = { doubleValue: r.double() };
    else if (f === 5 && w === LEN) {
      const values: OtlpAnyValue[] = [];
      const a = r.sub();
      while (a.more()) {
        const [af, aw] = a.tag();
        if (af === 1 && aw === LEN) values.push(readAnyValue(a.sub()));
        else a.skip(aw);
      }
      v = { arrayValue: { values } };
    } else if (f === 6 && w === LEN) {
      const values: OtlpKeyValue[] = [];
      const l = r.sub();
      while (l.more()) {
        const [lf, lw] = l.tag();
        if (lf === 1 && lw === LEN) values.push(readKeyValue(l.sub()));
        else l.skip(lw);
      }
      v = { kvlistValue: { values } };
    } else if (f === 7 && w === LEN) v = { bytesValue: Buffer.from(r.bytes()).toString('base64') };
    else r.skip(w);
  }
  return v;
}

