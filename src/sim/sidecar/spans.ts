import type { Exchange } from './exchange.ts';
import type { Filter } from './filter.ts';
import { Flag, flagsToString } from './flags.ts';
import type { FinishedSpan, SpanSink } from '../../contract/span-sink.ts';
import { parseTraceparent } from '../../contract/trace-context.ts';

/**
The sidecar's spans, one per hop, parented the way the request travelled:

  outbound <svc>          (the app's request through its sidecar; a root at the ingress)
  └ attempt <n> <inst>    (each try to one upstream instance, retries included)
    └ inbound <inst>      (the callee's sidecar, parent = the attempt's id in `traceparent`)
      └ app <inst>        (the call to the app; the app's own calls carry this span as parent)
        └ outbound <svc>  …

Attribute names are in src/trace/span-model.ts (ATTR); they are repeated here as literals so the
request path does not import the harness's trace code.
*/

/** Policies an exchange's flags show by themselves (the router marks the rest as they act). */
const FLAG_POLICIES: readonly [number, string][] = [
  [Flag.URX, 'retry-limit'],
  [Flag.FI, 'fault'],
  [Flag.DI, 'fault'],
  [Flag.RL, 'rate-limit'],
  [Flag.UH, 'no-healthy-upstream'],
];

/** Notes that a policy acted on this exchange (once each), for its span. */
export function markPolicy(ex: Exchange, policy: string): void {
  if (ex.spanId === '') return;
  const p = (ex.policies ??= []);
  if (!p.includes(policy)) p.push(policy);
}

/**
Decides whether the exchange gets a span, right after `requestIdentity`. Outbound: a request with
a sampled parent is recorded, a new trace is sampled by the sink (and an unsampled one goes on
with flags 00, so the hops after it record nothing either). Inbound: the caller's `traceparent`
names the parent span; health check probes get no span.
*/
export function spanFilter(sink: SpanSink): Filter {
  return (next) => (ex) => {
    if (ex.direction === 'outbound') {
      if (ex.parentSpanId === null) {
        if (!sink.sampleRoot(ex.traceId)) ex.traceFlags = '00';
      }
      if (sampled(ex.traceFlags)) ex.spanId = sink.newSpanId();
    } else if (!ex.healthCheck) {
      const tc = parseTraceparent(ex.traceparent);
      if (tc) {
        if (sampled(tc.flags)) {
          ex.traceId = tc.traceId;
          ex.traceFlags = tc.flags;
          ex.parentSpanId = tc.parentId;
          ex.spanId = sink.newSpanId();
        }
      }
    }
    next(ex);
  };
}

function sampled(flags: string): boolean {
  // The sampled bit is the low bit of the last hex digit.
  return (flags.charCodeAt(1) & 1) === 1;
}

/** The `traceparent` for the app's request: the app span becomes the parent of whatever the app calls. */
export function startAppSpan(ex: Exchange, sink: SpanSink, now: number): string {
  ex.appSpanId = sink.newSpanId();
  ex.appStart = now;
  return `00-${ex.traceId}-${ex.appSpanId}-${ex.traceFlags}`;
}

/**
Records the spans of a finished exchange: its own, and for an inbound one the app span under it.
`status` is what the caller got ('error' when it got no response).
*/
export function recordExchangeSpans(sink: SpanSink, ex: Exchange, status: number | 'error', end: number, instance: string): void {
  const flags = ex.flags;
  const policies = ex.policies ? ex.policies.slice() : [];
  for (const [bit, p] of FLAG_POLICIES) if ((flags & bit) !== 0 && !policies.includes(p)) policies.push(p);
  const attributes: FinishedSpan['attributes'] = {
    'meshproof.role': ex.direction,
    'http.request.method': ex.req.method ?? 'GET',
    'url.path': ex.path,
  };
  if (status !== 'error') attributes['http.response.status_code'] = status;
  if (flags !== 0) attributes['meshproof.response_flags'] = flagsToString(flags);
  if (policies.length > 0) attributes['meshproof.policy'] = policies;
  const error = status === 'error' || status >= 500;
  if (ex.direction === 'outbound') {
    const dest = ex.cluster?.name ?? ex.authority;
    attributes['meshproof.destination'] = dest;
    attributes['meshproof.attempts'] = ex.attempts;
    if (ex.upstreamInstance !== '') attributes['meshproof.upstream.instance'] = ex.upstreamInstance;
    sink.record({ traceId: ex.traceId, spanId: ex.spanId, parentSpanId: ex.parentSpanId, name: `outbound ${dest || '-'}`, kind: 'server', start: ex.start, end, error, attributes });
    return;
  }
  // Who called, as the caller's certificate proved it (Envoy's %DOWNSTREAM_PEER_URI_SAN%).
  attributes['meshproof.mtls'] = ex.mtls;
  if (ex.peer !== null) attributes['meshproof.peer.identity'] = ex.peer;
  sink.record({ traceId: ex.traceId, spanId: ex.spanId, parentSpanId: ex.parentSpanId, name: `inbound ${instance}`, kind: 'server', start: ex.start, end, error, attributes });
  if (ex.appSpanId !== '') {
    const app: FinishedSpan['attributes'] = { 'meshproof.role': 'app', 'server.address': ex.upstreamAddress };
    if (status !== 'error') app['http.response.status_code'] = status;
    const appFlags = flags & (Flag.UF | Flag.UC);
    if (appFlags !== 0) app['meshproof.response_flags'] = flagsToString(appFlags);
    sink.record({ traceId: ex.traceId, spanId: ex.appSpanId, parentSpanId: ex.spanId, name: `app ${instance}`, kind: 'client', start: ex.appStart, end, error, attributes: app });
  }
}

/** What an attempt span needs, kept on the try from when it is sent until it ends. */
export interface TrySpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attempt: number;
  destination: string;
  policies: string[];
  /** The SPIFFE ID the upstream proved over mutual TLS (Envoy's %UPSTREAM_PEER_URI_SAN%); absent for plaintext. */
  peer?: string;
}

/** Records one try's span when it ends. */
export function recordAttemptSpan(sink: SpanSink, t: TrySpan, upstream: { instance: string; address: string }, start: number, end: number, status: number | 'error', flags: number): void {
  const attributes: FinishedSpan['attributes'] = {
    'meshproof.role': 'attempt',
    'meshproof.destination': t.destination,
    'meshproof.attempt': t.attempt,
    'meshproof.upstream.instance': upstream.instance,
    'server.address': upstream.address,
  };
  if (t.attempt > 1) attributes['http.request.resend_count'] = t.attempt - 1;
  if (status !== 'error') attributes['http.response.status_code'] = status;
  if (flags !== 0) attributes['meshproof.response_flags'] = flagsToString(flags);
  if (t.policies.length > 0) attributes['meshproof.policy'] = t.policies;
  if (t.peer !== undefined) attributes['meshproof.peer.identity'] = t.peer;
  const error = status === 'error' || status >= 500 || (flags & (Flag.UT | Flag.UC | Flag.UF)) !== 0;
  sink.record({ traceId: t.traceId, spanId: t.spanId, parentSpanId: t.parentSpanId, name: `attempt ${t.attempt} ${upstream.instance}`, kind: 'client', start, end, error, attributes });
}
