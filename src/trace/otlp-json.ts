import { SPAN_KINDS, type AttributeValue, type SpanKindName, type SpanRecord } from './span-model.ts';

/**
Decodes an OTLP/HTTP JSON trace export (`ExportTraceServiceRequest` in the OTLP JSON encoding:
ids as hex, 64-bit integers as strings or numbers, enums as numbers or names) into span records.
Also accepts the pre-1.0 `instrumentationLibrarySpans` and base64 ids (the plain proto3 JSON
mapping), as some senders still produce them. Throws an Error naming what is wrong.
*/
export function decodeOtlpJson(body: unknown): SpanRecord[] {
  if (!isObject(body)) throw new Error('an OTLP JSON trace export must be an object with resourceSpans');
  const rss = body.resourceSpans;
  if (rss === undefined) return [];
  if (!Array.isArray(rss)) throw new Error('resourceSpans must be an array');
  const out: SpanRecord[] = [];
  for (const rs of rss) {
    if (!isObject(rs)) continue;
    const resAttrs = isObject(rs.resource) ? attributesOf(rs.resource.attributes) : {};
    const service = typeof resAttrs['service.name'] === 'string' ? resAttrs['service.name'] : 'unknown_service';
    const instance = typeof resAttrs['service.instance.id'] === 'string' ? resAttrs['service.instance.id'] : '';
    const scopes = Array.isArray(rs.scopeSpans) ? rs.scopeSpans : Array.isArray(rs.instrumentationLibrarySpans) ? rs.instrumentationLibrarySpans : [];
    for (const ss of scopes) {
      if (!isObject(ss) || !Array.isArray(ss.spans)) continue;
      for (const s of ss.spans) {
        if (!isObject(s)) continue;
        const traceId = idHex(s.traceId, 16);
        const spanId = idHex(s.spanId, 8);
        if (!traceId || !spanId) throw new Error(`span "${String(s.name)}" has no valid traceId/spanId`);
        const parent = s.parentSpanId === undefined || s.parentSpanId === '' ? null : idHex(s.parentSpanId, 8);
        const start = nanosToMs(s.startTimeUnixNano);
        const end = nanosToMs(s.endTimeUnixNano);
        out.push({
          traceId,
          spanId,
          parentSpanId: parent,
          name: typeof s.name === 'string' ? s.name : '',
          kind: kindOf(s.kind),
          service,
          instance,
          startMs: start,
          durationMs: Math.max(0, end - start),
          error: isObject(s.status) && statusIsError(s.status.code),
          attributes: attributesOf(s.attributes),
        });
      }
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const HEX_RE = /^[0-9a-fA-F]+$/;

/** An id as lower-case hex: given as hex (OTLP JSON) or base64 (proto3 JSON); null when neither, or all zero. */
export function idHex(v: unknown, bytes: number): string | null {
  if (typeof v !== 'string') return null;
  let hex: string | null = null;
  if (v.length === bytes * 2 && HEX_RE.test(v)) hex = v.toLowerCase();
  else {
    const b = Buffer.from(v, 'base64');
    if (b.length === bytes) hex = b.toString('hex');
  }
  return hex && !/^0+$/.test(hex) ? hex : null;
}

function nanosToMs(v: unknown): number {
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string' && v !== '') {
    // Split so the integer part stays exact (ns since 1970 exceed 2^53).
    const ms = v.length > 6 ? Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6 : Number(v) / 1e6;
    return Number.isFinite(ms) ? ms : 0;
  }
  return 0;
}

function kindOf(v: unknown): SpanKindName {
  if (typeof v === 'number') return SPAN_KINDS[v] ?? 'unspecified';
  if (typeof v === 'string') {
    const k = v.replace(/^SPAN_KIND_/, '').toLowerCase();
    return (SPAN_KINDS as readonly string[]).includes(k) ? (k as SpanKindName) : 'unspecified';
  }
  return 'unspecified';
}

function statusIsError(code: unknown): boolean {
  return code === 2 || code === 'STATUS_CODE_ERROR' || code === '2';
}

function attributesOf(v: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (!Array.isArray(v)) return out;
  for (const kv of v) if (isObject(kv) && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

function anyValue(v: unknown): AttributeValue {
  if (!isObject(v)) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return isObject(v.arrayValue) && Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map(anyValue) : [];
  if ('kvlistValue' in v) return isObject(v.kvlistValue) ? attributesOf(v.kvlistValue.values) : {};
  if ('bytesValue' in v) return typeof v.bytesValue === 'string' ? Buffer.from(v.bytesValue, 'base64').toString('hex') : null;
  return null;
}
