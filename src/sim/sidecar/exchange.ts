import type { DownstreamRequest, DownstreamResponse } from '../http1/downstream.ts';
import type { ClusterState } from './cluster.ts';
import { Flag, flagsToString } from './flags.ts';
import { hostWithoutPort } from './headers.ts';
import { HEALTH_CHECK_USER_AGENT } from './health-probe.ts';
import { EXPECTED_TIMEOUT_HEADER, GIVE_UP_HEADER, parseEpochHeader, parseTimeoutHeader } from '../policy/deadline.ts';

export type Direction = 'inbound' | 'outbound';

/** Envoy's header on a local reply refused by a circuit breaker (the caller's sidecar never retries such an answer). */
export const OVERLOADED: readonly string[] = Object.freeze(['x-envoy-overloaded', 'true']);
/** Envoy's header on a 429 from the local rate limit. */
export const RATE_LIMITED: readonly string[] = Object.freeze(['x-envoy-ratelimited', 'true']);

function noop(): void {}

/**
One request through one listener of the sidecar, from arrival to the end of the response: what
filters and the router share (Envoy's stream info). The headers the sidecar cares about are read in
one pass over the raw headers when it arrives.
*/
export class Exchange {
  readonly req: DownstreamRequest;
  readonly res: DownstreamResponse;
  readonly direction: Direction;
  /** clock.now() at arrival, for the latency. */
  readonly start: number;
  /**
  The destination service on the outbound side: the Host header, lower-cased, without port; the host
  of a proxy-form target (`GET http://payments/x`) instead, as RFC 9112 §3.2.2 has it; or the
  service a dedicated outbound listener is for.
  */
  authority = '';
  /** The request target in origin form (`/x?y`), what is sent on: a proxy-form target loses its scheme and host. */
  path: string;
  traceparent: string | undefined = undefined;
  requestId: string | undefined = undefined;
  /** Trace this request belongs to (outbound: from its traceparent, or a new one). */
  traceId = '';
  traceFlags = '01';
  /** The caller's span (from `traceparent`), null when this request starts its trace. */
  parentSpanId: string | null = null;
  /** This exchange's span when tracing is on and its trace is sampled; '' = no span (see spans.ts). */
  spanId = '';
  /** Inbound: the span of the call to the app, '' = none; `appStart` is when it was sent. */
  appSpanId = '';
  appStart = 0;
  /** Policies that acted on this request, for its span (only kept when it has one). */
  policies: string[] | null = null;
  /** Outbound: the instance the last try went to, '' = none. */
  upstreamInstance = '';
  /** Envoy response flags (bits of `Flag`). */
  flags = 0;
  /** Tries sent upstream. */
  attempts = 0;
  /** Where the last try went, for the access log. */
  upstreamAddress = '-';
  /** Outbound: the destination, once routed. */
  cluster: ClusterState | null = null;
  /** Outbound: the cluster whose bulkhead slot this request holds, released when it completes. */
  bulkhead: ClusterState | null = null;
  /** Whether the request announces a body (content-length > 0, or transfer-encoding): without one it is complete on arrival. */
  hasBody = false;
  /** An active health check probe (user agent `Envoy/HC`): not rate limited, not recorded in the timeline. */
  healthCheck = false;
  /** Timeline series the request is recorded into when it completes; empty = not recorded. */
  seriesKey = '';
  /** Inbound: it arrived over mutual TLS. Outbound: the answer it got came back over mutual TLS. */
  mtls = false;
  /** Inbound: the caller's SPIFFE ID (mutual TLS only), null = no identity. */
  peer: string | null = null;
  /** Refused by an authorization policy: at this pod's inbound, or (outbound) by the callee's. */
  denied = false;
  /** A gateway's routed request is also recorded on the edge to its destination; empty = not. */
  edgeSeriesKey = '';
  /** Why a locally generated response was sent (its body). */
  detail = '';
  /** `x-envoy-expected-rq-timeout-ms` as it arrived: the caller's remaining time, ms; null when absent or invalid. */
  expectedTimeoutMs: number | null = null;
  /** `x-meshproof-give-up-at` as it arrived: when a caller up the chain stops waiting (epoch ms); null when absent. */
  giveUpAt: number | null = null;
  private abortHandler: (() => void) | null = null;
  private resetByUs = false;

  constructor(req: DownstreamRequest, res: DownstreamResponse, direction: Direction, start: number) {
    this.req = req;
    this.res = res;
    this.direction = direction;
    this.start = start;
    // Writes after the caller went away must not crash the process; the close is accounted for.
    res.on('error', noop);
    const url = req.url ?? '/';
    this.path = url;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      switch (name.length) {
        case 4:
          if (name === 'host' || name.toLowerCase() === 'host') this.authority = hostWithoutPort(raw[i + 1]);
          break;
        case 11:
          if (name === 'traceparent' || name.toLowerCase() === 'traceparent') this.traceparent = raw[i + 1];
          break;
        case 12:
          if (name === 'x-request-id' || name.toLowerCase() === 'x-request-id') this.requestId = raw[i + 1];
          break;
        case 10:
          if (raw[i + 1] === HEALTH_CHECK_USER_AGENT && name.toLowerCase() === 'user-agent') this.healthCheck = true;
          break;
        case 14:
          if (raw[i + 1] !== '0' && (name === 'content-length' || name.toLowerCase() === 'content-length')) this.hasBody = true;
          break;
        case 17:
          if (name === 'transfer-encoding' || name.toLowerCase() === 'transfer-encoding') this.hasBody = true;
          break;
        case 22:
          if (name === GIVE_UP_HEADER || name.toLowerCase() === GIVE_UP_HEADER) this.giveUpAt = parseEpochHeader(raw[i + 1]);
          break;
        case 30:
          if (name === EXPECTED_TIMEOUT_HEADER || name.toLowerCase() === EXPECTED_TIMEOUT_HEADER) this.expectedTimeoutMs = parseTimeoutHeader(raw[i + 1]);
          break;
      }
    }
    // 47 is '/': origin form, the usual case, costs one comparison.
    if (url.charCodeAt(0) !== 47) this.readAbsoluteForm(url);
  }

  /**
  A proxy-form target, as a client configured with HTTP_PROXY sends it (`GET http://payments/x`): its
  host names the destination, and what goes on is its path. Anything else (`*`, an authority form)
  is left as it is.
  */
  private readAbsoluteForm(url: string): void {
    const m = /^http:\/\/([^/?#]*)([^#]*)/i.exec(url);
    if (!m) return;
    const host = m[1].slice(m[1].lastIndexOf('@') + 1);
    if (host !== '') this.authority = hostWithoutPort(host);
    this.path = m[2] === '' ? '/' : m[2].charCodeAt(0) === 47 ? m[2] : `/${m[2]}`;
  }

  /** What to do if the caller goes away before the response has ended (abort the upstream work). */
  onDownstreamAbort(fn: () => void): void {
    this.abortHandler = fn;
  }

  /**
  Called once the downstream response has closed. Returns the status to record: the one sent, or
  'error' when the caller got no response at all.
  */
  closed(): number | 'error' {
    if (!this.res.writableFinished) {
      if (!this.resetByUs) this.flags |= Flag.DC;
      const h = this.abortHandler;
      this.abortHandler = null;
      h?.();
    }
    return this.res.headersSent ? this.res.statusCode : 'error';
  }

  /** True when the caller went away (or we reset it) before the response ended. */
  get abandoned(): boolean {
    return !this.res.writableFinished;
  }

  /**
  A response generated by the sidecar itself (Envoy's local reply): a status, the flags saying why,
  a short text body, and optionally headers such as `x-envoy-overloaded` (flat [name, value, …]).
  If the response has already started, the stream is reset instead.
  */
  sendLocalReply(status: number, flags: number, body: string, extraHeaders?: readonly string[]): void {
    this.flags |= flags;
    this.detail = body;
    const res = this.res;
    if (res.headersSent) {
      this.resetDownstream(0);
      return;
    }
    if (res.destroyed) return;
    const text = body + '\n';
    const headers = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(text))];
    if (this.flags !== 0) headers.push('x-meshproof-flags', flagsToString(this.flags));
    if (this.attempts > 0) headers.push('x-envoy-attempt-count', String(this.attempts));
    if (extraHeaders) for (const h of extraHeaders) headers.push(h);
    res.writeHead(status, headers);
    res.end(text);
  }

  /** Resets the caller's stream mid-response, as Envoy does when an upstream fails after the headers were sent. */
  resetDownstream(flags: number): void {
    this.flags |= flags;
    this.resetByUs = true;
    this.res.destroy();
  }
}
