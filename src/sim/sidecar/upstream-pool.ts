import type { TLSSocket } from 'node:tls';
import type { DownstreamResponse } from '../http1/downstream.ts';
import { ClientPool, type RequestController, type ResponseHandler } from '../http1/client-pool.ts';
import { handshakeError, type HandshakeFailure } from '../../security/handshake-failure.ts';

/**
The sidecar's HTTP client for its upstreams (each endpoint, and the app behind the inbound
listener): meshproof's own HTTP/1.1 connection pool (src/sim/http1/) per address, driven through
`dispatch` with a handler, so a try is callbacks on one object. It replaced undici's Pool, whose
per-request work was half the upstream side's cost (see docs/benchmarks.md, "A request path that
owns its framing").
*/
export type UpstreamPool = ClientPool;
export type DispatchController = RequestController;
export type DispatchHandler = ResponseHandler;

/**
A keep-alive pool to `host:port`: as many connections as there are tries in flight (the circuit
breakers limit them, not the pool), one request per connection at a time, the most recently used
connection first. No headers or body timeout: the router's per-try and whole-request timeouts are
the only ones, as in Envoy (whose route timeout is off unless set). Connecting gives up after 10 s,
Envoy's and Istio's default `connect_timeout`, as a connect failure. `onConnect` is called for each
connection the pool opens, as it starts to open it (the cluster's `upstream_cx_total`, which in
Envoy counts failed connections too).
*/
export function createUpstreamPool(host: string, port: number, onConnect?: () => void, tls?: UpstreamTlsOptions | null): UpstreamPool {
  if (!tls) return new ClientPool({ host, port, onConnect });
  // A destination with a name of its own (a gateway terminating TLS, whose certificate is for it)
  // asks for that one; otherwise the request's Host is the name asked for, as undici did.
  const options = tls.servername ? { ...tls.options, servername: tls.servername } : tls.options;
  return new ClientPool({
    host,
    port,
    tls: options,
    onConnect: (socket) => {
      onConnect?.();
      const s = socket as TLSSocket & { [RESPONDED]?: boolean };
      let secure = false;
      s.once('secureConnect', () => {
        secure = true;
        tls.onHandshake(null);
      });
      // Under TLS 1.3 a server that refuses this side's certificate says so after the client has
      // finished its handshake: with an alert as the first read fails, or (Node's servers check the
      // certificate once the handshake is done) by closing the connection before a word. Either is
      // this connection's handshake failing, and the request on it fails with it.
      s.once('data', () => void (s[RESPONDED] = true));
      s.once('error', (e: Error) => {
        if (!s[RESPONDED]) tls.onHandshake(e);
      });
      s.once('end', () => {
        if (secure && !s[RESPONDED]) s.destroy(handshakeError(CLOSED_AFTER_HANDSHAKE, 'ERR_SSL_PEER_CLOSED_AFTER_HANDSHAKE'));
      });
    },
  });
}

const RESPONDED = Symbol('meshproof.responded');

const CLOSED_AFTER_HANDSHAKE: HandshakeFailure = {
  kind: 'connection_error',
  reason: 'PEER_CLOSED_AFTER_HANDSHAKE',
  detail: "the server closed the connection as the handshake ended: it refused this side's certificate (expired, not yet valid or untrusted)",
};

/**
TLS on an upstream pool (mutual TLS toward the mesh, or TLS toward a gateway that terminates it):
Node's `tls.connect` options (certificate, key, trust bundle, identity check, the name to ask for), and a callback for every handshake's outcome — null when it completed, the error
when it failed (at connect, or as the first read under TLS 1.3) — so the cluster counts them once
per connection, not once per request the failure touched.
*/
export interface UpstreamTlsOptions {
  options: Record<string, unknown>;
  /** The name every connection asks for (SNI) and verifies, whatever the request's Host; absent = the Host, as undici does. */
  servername?: string;
  onHandshake(err: Error | null): void;
}

function noop(): void {}

/** Closes a pool now: tries still on it fail, its connections close. Never rejects. */
export function destroyPool(pool: UpstreamPool): void {
  pool.destroy().catch(noop);
}

/**
The error code a failed try is reported with. undici said `UND_ERR_SOCKET` ("other side closed")
where Node's client said `ECONNRESET` ("socket hang up"): the same event, and the code the
messages, flags and docs have always used (the pool says ECONNRESET itself).
*/
export function tryErrorCode(err: NodeJS.ErrnoException): string {
  const code = err.code;
  if (code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return code ?? err.message;
}

/** Errors that mean the connection was never made (Envoy: connect failure, flag UF). */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT']);

/**
A TLS handshake that fails (the peer's certificate not trusted, not for the name asked, expired)
is a connect failure too: Envoy says UF, "transport failure reason: TLS error".
*/
const TLS_VERIFY_ERRORS = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

export function isConnectFailure(err: NodeJS.ErrnoException): boolean {
  return err.code !== undefined && (CONNECT_ERRORS.has(err.code) || TLS_VERIFY_ERRORS.has(err.code) || err.code.startsWith('ERR_SSL_'));
}

/** Writes a response body chunk to the caller; when its buffer is full, pauses the upstream until it drains. */
export function writeOrPause(out: Pick<DownstreamResponse, 'write' | 'once'>, controller: DispatchController, chunk: Buffer): void {
  if (!out.write(chunk)) {
    controller.pause();
    out.once('drain', () => controller.resume());
  }
}

/**
Response headers as received (flat `[name, value, …]`) in the same form for `writeHead`, names
lower-cased (Envoy's HTTP/1.1 codec sends them so), without the names in `drop`.
*/
export function responseHeaders(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!drop.has(name)) out.push(name, raw[i + 1]);
  }
  return out;
}
