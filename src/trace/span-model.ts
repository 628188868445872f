/**
The harness's view of one span, decoded from OTLP (JSON or protobuf) whatever sent it: the fields a
waterfall, an expectation or a person reading traces.json needs, with times in epoch milliseconds.
*/
export interface SpanRecord {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  /** null for a trace's root span. */
  parentSpanId: string | null;
  name: string;
  kind: SpanKindName;
  /** `service.name` of the resource that sent it (the sidecar's service; `client` for the ingress). */
  service: string;
  /** `service.instance.id` of the resource (the instance name, e.g. `store-1`), '' when not given. */
  instance: string;
  /** Epoch ms (fractional). */
  startMs: number;
  durationMs: number;
  /** OTel status: true when the span's status code is ERROR. */
  error: boolean;
  /** Attributes, flattened to JSON values (arrays stay arrays). */
  attributes: Record<string, AttributeValue>;
}

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** OTLP's SpanKind numbers (0 = unspecified). */
export const SPAN_KINDS: readonly SpanKindName[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/**
Attribute names the sidecars put on their spans. `http.*` and `server.address` follow the OTel
semantic conventions; the rest are meshproof's own, under `meshproof.`.
*/
export const ATTR = {
  /** `outbound` (the app's request through its sidecar), `attempt` (one try to one upstream), `inbound`, `app`. */
  role: 'meshproof.role',
  /** The destination service (outbound and attempt spans). */
  destination: 'meshproof.destination',
  /** Attempt number, from 1 (attempt spans). */
  attempt: 'meshproof.attempt',
  /** Tries sent for the request (outbound spans). */
  attempts: 'meshproof.attempts',
  /** The upstream instance the try went to (attempt spans; outbound: the last one). */
  upstreamInstance: 'meshproof.upstream.instance',
  /** Envoy response flags, comma separated (`UT,URX`); absent when none. */
  flags: 'meshproof.response_flags',
  /** Mesh policies that acted on the request or try: retry, per-try-timeout, timeout, circuit-breaker, … */
  policy: 'meshproof.policy',
  status: 'http.response.status_code',
  method: 'http.request.method',
  path: 'url.path',
  /** OTel semconv: the ordinal of a resent request (attempt - 1), set on retries only. */
  resendCount: 'http.request.resend_count',
  serverAddress: 'server.address',
} as const;

/** The kind of mesh hop a sidecar span stands for (its `meshproof.role`), or null for other spans. */
export type SpanRole = 'outbound' | 'attempt' | 'inbound' | 'app';

export function spanRole(s: SpanRecord): SpanRole | null {
  const r = s.attributes[ATTR.role];
  return r === 'outbound' || r === 'attempt' || r === 'inbound' || r === 'app' ? r : null;
}

/** The policies attribute as a list (it is a string array; a comma string from another producer is split). */
export function spanPolicies(s: SpanRecord): string[] {
  const p = s.attributes[ATTR.policy];
  if (Array.isArray(p)) return p.filter((x): x is string => typeof x === 'string');
  if (typeof p === 'string' && p !== '') return p.split(',');
  return [];
}

/** The HTTP status of the span, or null. */
export function spanStatus(s: SpanRecord): number | null {
  const v = s.attributes[ATTR.status];
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : null;
}

/** A span counts as failed when its status is ERROR or its HTTP status is 5xx (or it got none). */
export function spanFailed(s: SpanRecord): boolean {
  if (s.error) return true;
  const st = spanStatus(s);
  return st !== null && st >= 500;
}
