/**
Header handling on the proxy path. Headers travel as Node's flat raw arrays (`[name, value, …]`),
which `http.request` and `writeHead` accept as they are, so a request is copied in one pass with
one Set lookup per header.
*/

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization'];

/**
`Expect: 100-continue` is answered by the sidecar's own server (Node sends the 100); it is not
passed on, as Envoy does not by default (and the upstream client refuses it).
*/
const EXPECT = 'expect';

/**
Headers the sidecar sets itself on each upstream try; copies from the app are dropped.
The body is buffered for replay, so its length is known and sent as content-length.
*/
export const OUTBOUND_REQUEST_OWN = new Set([
  ...HOP_BY_HOP,
  EXPECT,
  'transfer-encoding',
  'content-length',
  'traceparent',
  'x-request-id',
  'x-envoy-attempt-count',
  'x-envoy-expected-rq-timeout-ms',
  'x-meshproof-give-up-at',
  'x-envoy-downstream-service-cluster',
]);

/**
An inbound that honours deadlines rewrites the remaining time and the give-up time it passes to the
app (what is left when the request reaches it); one that does not passes both through unchanged.
*/
export const INBOUND_DEADLINE_OWN = new Set(['x-envoy-expected-rq-timeout-ms', 'x-meshproof-give-up-at']);

/**
Streamed through: content-length stays (the pool checks the body against it); without one the
pool sends the body chunked itself, so the caller's transfer-encoding is dropped.
*/
export const INBOUND_REQUEST_OWN = new Set([...HOP_BY_HOP, EXPECT, 'transfer-encoding', 'x-request-id', 'x-forwarded-client-cert']);

/**
Response headers the sidecar sets itself: its own flags and attempt count replace those of the
hop behind it (flags describe one hop, as in Envoy's access log). Transfer-encoding is re-framed
by Node when needed.
*/
export const RESPONSE_OWN = new Set([...HOP_BY_HOP, 'transfer-encoding', 'x-meshproof-flags', 'x-envoy-attempt-count']);

/** `raw` without the names in `drop` (lower-case), as a new flat array. */
export function copyRawHeaders(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (drop.has(name) || drop.has(name.toLowerCase())) continue;
    out.push(name, raw[i + 1]);
  }
  return out;
}

/** The host part of a Host header value, lower-cased, without a port. */
export function hostWithoutPort(host: string): string {
  const colon = host.indexOf(':');
  const h = colon === -1 ? host : host.slice(0, colon);
  return h.toLowerCase();
}
