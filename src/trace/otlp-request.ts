/**
An OTLP trace export (`ExportTraceServiceRequest`) in the shape of its OTLP/JSON encoding: what an
OTLP/HTTP JSON body parses to, and what a protobuf body is decoded to when its spans are to be
exported again as they came (src/trace/otlp-proto-request.ts). Ids are hex (OTLP/JSON) or base64
(the plain proto3 JSON mapping, which some senders still produce); 64-bit integers are strings or
numbers. Every field is optional, as in protobuf; readers check what they use.
*/
export interface OtlpTraceRequest {
  resourceSpans?: OtlpResourceSpans[];
}

export interface OtlpResourceSpans {
  resource?: { attributes?: OtlpKeyValue[]; droppedAttributesCount?: number };
  scopeSpans?: OtlpScopeSpans[];
  schemaUrl?: string;
}

export interface OtlpScopeSpans {
  scope?: { name?: string; version?: string; attributes?: OtlpKeyValue[]; droppedAttributesCount?: number };
  spans?: OtlpSpan[];
  schemaUrl?: string;
}

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  traceState?: string;
  parentSpanId?: string;
  /** W3C trace flags in the low 8 bits; 0x100/0x200: whether the parent is known to be remote, and is. */
  flags?: number;
  name?: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer (or `SPAN_KIND_…`). */
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events?: { timeUnixNano?: string | number; name?: string; attributes?: OtlpKeyValue[]; droppedAttributesCount?: number }[];
  droppedEventsCount?: number;
  links?: { traceId?: string; spanId?: string; traceState?: string; attributes?: OtlpKeyValue[]; droppedAttributesCount?: number; flags?: number }[];
  droppedLinksCount?: number;
  /** code: 0 unset, 1 ok, 2 error (or `STATUS_CODE_…`). */
  status?: { message?: string; code?: number | string };
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  /** base64, as OTLP/JSON writes bytes. */
  bytesValue?: string;
}
