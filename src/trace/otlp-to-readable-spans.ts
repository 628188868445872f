import { TraceFlags, type Attributes, type HrTime, type Link, type SpanContext, type SpanKind, type SpanStatusCode } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { idHex } from './otlp-json.ts';
import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpScopeSpans, OtlpSpan, OtlpTraceRequest } from './otlp-request.ts';

/** OTLP span flags: whether the parent's remoteness is known, and whether it is remote. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** Distinct resources (and scopes) remembered at most; a run has one per sidecar. */
const MAX_CACHED = 1024;

/**
Turns spans received over OTLP back into the SDK's ReadableSpan, so the SDK's own exporters (any
protocol, any of OTEL_TRACES_EXPORTER's) send them on as they came: the sender's resource, scope,
ids, parent, trace state, times to the nanosecond, attributes, events, links and status.

Each distinct resource becomes one Resource object, kept and reused, because exporters group spans
by resource object: a sidecar's spans stay under its own resource, never the harness's.

Two things cannot survive the SDK's model: a double attribute with an integral value is sent on as
an int (the SDK's encoders decide by value), and a resource's dropped-attributes count is not kept.
A received span always counts as sampled (it was recorded; the SDK exports only sampled spans).
*/
export class OtlpToReadableSpans {
  private readonly resources = new Map<string, Resource>();
  private readonly scopes = new Map<string, InstrumentationScope>();

  /** Every span of the export; a span without a valid trace or span id is skipped. */
  convert(request: OtlpTraceRequest): ReadableSpan[] {
    const out: ReadableSpan[] = [];
    const rss = Array.isArray(request?.resourceSpans) ? request.resourceSpans : [];
    for (const rs of rss) {
      if (!rs || typeof rs !== 'object') continue;
      const resource = this.resourceOf(rs);
      const scopes = Array.isArray(rs.scopeSpans) ? rs.scopeSpans : [];
      for (const ss of scopes) {
        if (!ss || !Array.isArray(ss.spans)) continue;
        const scope = this.scopeOf(ss);
        for (const s of ss.spans) {
          const span = s && typeof s === 'object' ? readableSpan(s, resource, scope) : null;
          if (span) out.push(span);
        }
      }
    }
    return out;
  }

  private resourceOf(rs: OtlpResourceSpans): Resource {
    const kvs = rs.resource?.attributes ?? [];
    const key = JSON.stringify([rs.schemaUrl ?? '', kvs]);
    let r = this.resources.get(key);
    if (!r) {
      if (this.resources.size >= MAX_CACHED) this.resources.clear();
      r = resourceFromAttributes(attributesOf(kvs), rs.schemaUrl ? { schemaUrl: rs.schemaUrl } : undefined);
      this.resources.set(key, r);
    }
    return r;
  }

  private scopeOf(ss: OtlpScopeSpans): InstrumentationScope {
    const key = JSON.stringify([ss.scope ?? null, ss.schemaUrl ?? '']);
    let s = this.scopes.get(key);
    if (!s) {
      if (this.scopes.size >= MAX_CACHED) this.scopes.clear();
      const attributes = ss.scope?.attributes?.length ? attributesOf(ss.scope.attributes) : undefined;
      // The SDK's encoders write a scope's attributes when it has them (not in core's type yet).
      s = { name: ss.scope?.name ?? '', version: ss.scope?.version || undefined, schemaUrl: ss.schemaUrl || undefined, ...(attributes ? { attributes, droppedAttributesCount: ss.scope?.droppedAttributesCount ?? 0 } : {}) } as InstrumentationScope;
      this.scopes.set(key, s);
    }
    return s;
  }
}

function readableSpan(s: OtlpSpan, resource: Resource, instrumentationScope: InstrumentationScope): ReadableSpan | null {
  const traceId = idHex(s.traceId, 16);
  const spanId = idHex(s.spanId, 8);
  if (!traceId || !spanId) return null;
  const flags = typeof s.flags === 'number' ? s.flags : 0;
  const ctx: SpanContext = { traceId, spanId, traceFlags: (flags & 0xff) | TraceFlags.SAMPLED, traceState: traceState(s.traceState), isRemote: false };
  const parent = s.parentSpanId ? idHex(s.parentSpanId, 8) : null;
  const startTime = hrTime(s.startTimeUnixNano);
  const endTime = hrTime(s.endTimeUnixNano);
  return {
    name: typeof s.name === 'string' ? s.name : '',
    kind: kindOf(s.kind),
    spanContext: () => ctx,
    parentSpanContext: parent ? { traceId, spanId: parent, traceFlags: ctx.traceFlags, isRemote: (flags & (HAS_IS_REMOTE | IS_REMOTE)) === (HAS_IS_REMOTE | IS_REMOTE) } : undefined,
    startTime,
    endTime,
    duration: hrDuration(startTime, endTime),
    status: { code: statusCodeOf(s.status?.code), ...(s.status?.message ? { message: s.status.message } : {}) },
    attributes: attributesOf(s.attributes),
    links: Array.isArray(s.links) ? s.links.map(linkOf).filter((l): l is Link => l !== null) : [],
    events: Array.isArray(s.events)
      ? s.events.map((e) => ({ name: e?.name ?? '', time: hrTime(e?.timeUnixNano), attributes: attributesOf(e?.attributes), droppedAttributesCount: e?.droppedAttributesCount ?? 0 }))
      : [],
    ended: true,
    resource,
    instrumentationScope,
    droppedAttributesCount: s.droppedAttributesCount ?? 0,
    droppedEventsCount: s.droppedEventsCount ?? 0,
    droppedLinksCount: s.droppedLinksCount ?? 0,
  } as ReadableSpan;
}

function linkOf(l: NonNullable<OtlpSpan['links']>[number]): Link | null {
  const traceId = idHex(l?.traceId, 16);
  const spanId = idHex(l?.spanId, 8);
  if (!traceId || !spanId) return null;
  const flags = typeof l.flags === 'number' ? l.flags : 0;
  return {
    context: { traceId, spanId, traceFlags: flags & 0xff, traceState: traceState(l.traceState), isRemote: (flags & (HAS_IS_REMOTE | IS_REMOTE)) === (HAS_IS_REMOTE | IS_REMOTE) },
    attributes: attributesOf(l.attributes),
    droppedAttributesCount: l.droppedAttributesCount ?? 0,
  };
}

function traceState(v: unknown): TraceState | undefined {
  return typeof v === 'string' && v !== '' ? new TraceState(v) : undefined;
}

const DIGITS = /^\d+$/;

/** Nanoseconds since the epoch (a decimal string, exact, or a number) as [seconds, nanoseconds]. */
function hrTime(v: unknown): HrTime {
  if (typeof v === 'string' && DIGITS.test(v)) return v.length > 9 ? [Number(v.slice(0, -9)), Number(v.slice(-9))] : [0, Number(v)];
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return [Math.floor(v / 1e9), Math.round(v % 1e9)];
  return [0, 0];
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let ns = end[1] - start[1];
  if (ns < 0) {
    s -= 1;
    ns += 1e9;
  }
  return s < 0 ? [0, 0] : [s, ns];
}

const KIND_NAMES: Record<string, number> = { SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };

/** OTLP's kind (1 internal … 5 consumer, 0 unspecified) as the API's (0 internal … 4 consumer); unspecified stays unset. */
function kindOf(v: unknown): SpanKind {
  const k = typeof v === 'number' ? v : typeof v === 'string' ? (KIND_NAMES[v] ?? Number(v)) : 0;
  // The SDK's encoders write `kind + 1`, and 0 for a missing kind.
  return (Number.isInteger(k) && k >= 1 && k <= 5 ? k - 1 : undefined) as SpanKind;
}

const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function statusCodeOf(v: unknown): SpanStatusCode {
  const c = typeof v === 'number' ? v : typeof v === 'string' ? (STATUS_NAMES[v] ?? Number(v)) : 0;
  return (c === 1 || c === 2 ? c : 0) as SpanStatusCode;
}

function attributesOf(kvs: OtlpKeyValue[] | undefined): Attributes {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(kvs)) return out as Attributes;
  for (const kv of kvs) if (kv && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out as Attributes;
}

/** An OTLP value as the JS value the SDK's encoders turn back into the same OTLP value. */
function anyValue(v: OtlpAnyValue | undefined): unknown {
  if (!v || typeof v !== 'object') return undefined;
  if (v.stringValue !== undefined) return String(v.stringValue);
  if (v.boolValue !== undefined) return v.boolValue === true;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return Array.isArray(v.arrayValue?.values) ? v.arrayValue.values.map(anyValue) : [];
  if (v.kvlistValue !== undefined) return attributesOf(v.kvlistValue?.values);
  if (v.bytesValue !== undefined) return typeof v.bytesValue === 'string' ? new Uint8Array(Buffer.from(v.bytesValue, 'base64')) : undefined;
  return undefined;
}
