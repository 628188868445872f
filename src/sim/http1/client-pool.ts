import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Listener } from './downstream.ts';
import { MessageParser, type MessageHead } from './message-parser.ts';
import { ResponseHeaders, type ResponseHeaderMap } from './response-headers.ts';

/** Steers one request in flight: back-pressure on the response body, or dropping the exchange. */
export interface RequestController {
  /** Stops reading the response until `resume` (the caller's buffer is full). */
  pause(): void;
  resume(): void;
  /** Drops the exchange: its connection is closed; no handler method is called after. */
  abort(reason?: Error): void;
}

/** What a request's owner is told, in order (the subset of undici's `DispatchHandler` the sidecar uses). */
export interface ResponseHandler {
  /** The request is on a connection (called within `dispatch`). */
  onRequestStart?(controller: RequestController, context: unknown): void;
  onResponseStart?(controller: RequestController, statusCode: number, headers: ResponseHeaders, statusMessage?: string): void;
  onResponseData?(controller: RequestController, chunk: Buffer): void;
  onResponseEnd?(controller: RequestController, trailers: ResponseHeaderMap): void;
  /** The request failed: before any response (connect error, reset, refused), or mid-body. */
  onResponseError?(controller: RequestController | null, err: Error): void;
}

/** A streamed request body: a Readable, or a downstream request (node:http's or meshproof's). Events: 'data', 'end', 'error', 'aborted'. */
export interface BodySource {
  on(event: string, fn: Listener): unknown;
  once(event: string, fn: Listener): unknown;
  off(event: string, fn: Listener): unknown;
  pause(): unknown;
  resume(): unknown;
}

export interface RequestOptions {
  method: string;
  /** Origin form: `/x?y`. */
  path: string;
  /** Flat `[name, value, …]`; Host included (else the pool's address is sent). */
  headers: string[];
  /** A whole body, a stream (sent with its content-length header if it has one, else chunked), or none. */
  body: Buffer | BodySource | null;
}

export interface ClientPoolOptions {
  host: string;
  port: number;
  /** TLS toward the upstream (Node's `tls.connect` options); null = plaintext. Default null. */
  tls?: ConnectionOptions | null;
  /** Connecting gives up after this long, as a connect failure (code UND_ERR_CONNECT_TIMEOUT). Default 10 000 ms, Envoy's and Istio's `connect_timeout`. */
  connectTimeoutMs?: number;
  /** An idle connection is closed after this long, or 1 s before the server's `Keep-Alive: timeout` hint when that is shorter. Default 4000 ms (undici's). */
  idleTimeoutMs?: number;
  /** Called as each connection starts to open. Default none. */
  onConnect?(socket: Socket): void;
}

/** Envoy's and Istio's default `connect_timeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** undici's keep-alive timeout: below Node's servers' 5 s, so the server rarely closes a connection as a request goes out on it. */
export const DEFAULT_IDLE_TIMEOUT_MS = 4_000;
/** Bodies up to this size go out in the same write as the head. */
const INLINE_BODY_BYTES = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

function codeError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
A keep-alive pool of HTTP/1.1 connections to one address, with its own framing (MessageParser)
instead of undici's: as many connections as requests in flight, one request per connection at a
time (no pipelining), the most recently used idle connection first. Requests are driven with a
handler object, as undici's `dispatch`; no headers or body timeout (the caller's timeouts rule).
*/
export class ClientPool {
  readonly host: string;
  readonly port: number;
  private readonly options: ClientPoolOptions;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private closing = false;
  private destroyed = false;
  private sweep: NodeJS.Timeout | null = null;
  private closed: (() => void) | null = null;

  constructor(options: ClientPoolOptions) {
    this.options = options;
    this.host = options.host;
    this.port = options.port;
  }

  /** Sends a request. Throws (nothing sent) when a header is invalid; a closed pool fails it through the handler. */
  dispatch(rq: RequestOptions, handler: ResponseHandler): boolean {
    const head = requestHead(rq, this.host, this.port);
    const sized = headSized;
    if (this.closing || this.destroyed) {
      process.nextTick(() => handler.onResponseError?.(null, codeError('UND_ERR_DESTROYED', 'the pool is closed')));
      return false;
    }
    const conn = this.idle.pop() ?? this.open(rq);
    conn.send(rq, head, sized, handler);
    return true;
  }

  /** Connections open now (busy or idle). */
  get size(): number {
    return this.all.size;
  }

  /** Closes idle connections now and each busy one when its response ends; resolves once all are closed. */
  close(): Promise<void> {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.destroy(null);
    if (this.all.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.closed = resolve));
  }

  /** Closes every connection now; requests on them fail. */
  destroy(): Promise<void> {
    this.destroyed = this.closing = true;
    this.idle.length = 0;
    for (const c of [...this.all]) c.destroy(codeError('UND_ERR_DESTROYED', 'the pool was destroyed'));
    this.stopSweep();
    return Promise.resolve();
  }

  private open(rq: RequestOptions): Connection {
    const o = this.options;
    let socket: Socket;
    if (o.tls) {
      const servername = (o.tls.servername as string | undefined) ?? sniFor(rq.headers, this.host);
      socket = tlsConnect({ ...o.tls, host: this.host, port: this.port, servername });
    } else socket = netConnect({ host: this.host, port: this.port });
    // First, so its listeners run before the connection's own (a TLS hook turning a close into a handshake failure).
    o.onConnect?.(socket);
    const conn = new Connection(this, socket, o.tls ? 'secureConnect' : 'connect', o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    this.all.add(conn);
    return conn;
  }

  /** @internal A connection finished a response and can take the next request. */
  release(conn: Connection): void {
    if (this.closing) return conn.destroy(null);
    conn.idleSince = Date.now();
    this.idle.push(conn);
    if (this.sweep === null) {
      // One coarse timer per pool, not one per idle connection re-armed per request.
      this.sweep = setInterval(() => this.sweepIdle(), 500);
      this.sweep.unref();
    }
  }

  /** @internal */
  forget(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i !== -1) this.idle.splice(i, 1);
    if (this.all.size === 0) {
      this.stopSweep();
      const done = this.closed;
      this.closed = null;
      done?.();
    }
  }

  private sweepIdle(): void {
    const now = Date.now();
    const limit = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const c = this.idle[i];
      if (now - c.idleSince >= Math.min(limit, c.serverIdleMs)) c.destroy(null);
    }
    if (this.idle.length === 0) this.stopSweep();
  }

  private stopSweep(): void {
    if (this.sweep !== null) clearInterval(this.sweep);
    this.sweep = null;
  }
}

/** One connection of the pool and the request on it. */
class Connection implements RequestController {
  readonly socket: Socket;
  idleSince = 0;
  /** 1 s before the server's `Keep-Alive: timeout` hint; Infinity without one. */
  serverIdleMs = Infinity;
  private readonly pool: ClientPool;
  private readonly parser: MessageParser;
  private handler: ResponseHandler | null = null;
  private responded = false;
  private keepAlive = true;
  /** The request (its body included) has been written whole. */
  private requestSent = false;
  private body: BodySource | null = null;
  private connectTimer: NodeJS.Timeout | null;
  private dead = false;

  constructor(pool: ClientPool, socket: Socket, connectEvent: string, connectTimeoutMs: number) {
    this.pool = pool;
    this.socket = socket;
    socket.setNoDelay(true);
    this.parser = new MessageParser('response', {
      onHead: (h) => this.onHead(h),
      onBody: (chunk) => this.handler?.onResponseData?.(this, chunk),
      onComplete: () => this.onComplete(),
    }, { passThrough: false });
    this.connectTimer = setTimeout(() => this.destroy(codeError('UND_ERR_CONNECT_TIMEOUT', `connect timeout (${connectTimeoutMs} ms)`)), connectTimeoutMs);
    socket.once(connectEvent, () => this.clearConnectTimer());
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.destroy(err));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.destroy(null));
  }

  send(rq: RequestOptions, head: string, sized: boolean, handler: ResponseHandler): void {
    this.handler = handler;
    this.responded = false;
    this.requestSent = false;
    this.keepAlive = true;
    this.parser.expectNoBody(rq.method === 'HEAD');
    handler.onRequestStart?.(this, null);
    if (this.dead || this.handler !== handler) return;
    const s = this.socket;
    const body = rq.body;
    if (body === null) {
      s.write(`${head}\r\n`, 'latin1');
      this.requestSent = true;
    } else if (Buffer.isBuffer(body)) {
      const end = sized ? '\r\n' : `content-length: ${body.length}\r\n\r\n`;
      if (body.length <= INLINE_BODY_BYTES) s.write(`${head}${end}${body.toString('latin1', 0, body.length)}`, 'latin1');
      else {
        s.cork();
        s.write(`${head}${end}`, 'latin1');
        s.write(body);
        s.uncork();
      }
      this.requestSent = true;
    } else this.stream(body, head, sized);
  }

  /** A streamed request body, with back-pressure from the socket. */
  private stream(body: BodySource, head: string, sized: boolean): void {
    const s = this.socket;
    this.body = body;
    s.write(sized ? `${head}\r\n` : `${head}transfer-encoding: chunked\r\n\r\n`, 'latin1');
    const onData = (chunk: Buffer): void => {
      if (this.dead) return;
      let ok: boolean;
      if (sized) ok = s.write(chunk);
      else if (chunk.length === 0) return; // an empty chunk would read as the body's end
      else {
        // The chunk goes out as the Buffer it is, framed around it: corked, the three leave in one writev.
        s.cork();
        s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        s.write(chunk);
        ok = s.write('\r\n', 'latin1');
        s.uncork();
      }
      if (!ok) {
        body.pause();
        s.once('drain', () => body.resume());
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (this.dead) return;
      if (!sized) s.write('0\r\n\r\n', 'latin1');
      this.requestSent = true;
      // The answer may have come before the body was all sent.
      if (this.handler === null && !this.dead) this.finishExchange();
    };
    const onError = (): void => {
      cleanup();
      this.destroy(codeError('ECONNRESET', 'the request body was cut'));
    };
    const cleanup = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('aborted', onError);
      this.body = null;
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('aborted', onError);
  }

  private onData(d: Buffer): void {
    if (this.handler === null) {
      // Bytes with no request outstanding: the server is not speaking HTTP/1.1 as it should.
      this.destroy(null);
      return;
    }
    try {
      this.parser.execute(d);
    } catch (err) {
      this.destroy(codeError('HPE_INVALID_RESPONSE', `invalid response from ${this.pool.host}:${this.pool.port}: ${(err as Error).message}`));
    }
  }

  private onHead(h: MessageHead): void {
    this.responded = true;
    this.keepAlive = h.keepAlive;
    const raw = h.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name.length === 10 && name.toLowerCase() === 'keep-alive') {
        const m = /timeout=(\d+)/i.exec(raw[i + 1]);
        if (m) this.serverIdleMs = Math.max(0, Number(m[1]) * 1000 - 1000);
      }
    }
    this.handler?.onResponseStart?.(this, h.status, new ResponseHeaders(raw), h.reason);
  }

  private onComplete(): boolean {
    const handler = this.handler;
    this.handler = null;
    if (this.requestSent) this.finishExchange();
    // Last: the connection is back in the pool, so the handler may start the next request on it.
    handler?.onResponseEnd?.(this, NO_TRAILERS);
    return true;
  }

  /** Both the request and its response are done: back to the pool, or closed. */
  private finishExchange(): void {
    if (this.keepAlive && this.parser.idle) this.pool.release(this);
    else this.destroy(null);
  }

  private onEnd(): void {
    // Destroyed by a listener before this one, with the error that says why: that error follows.
    if (this.socket.destroyed) return;
    // A response read until close ends here.
    if (this.handler !== null && this.parser.readsUntilClose) {
      this.parser.finish();
      return;
    }
    this.destroy(null);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  abort(): void {
    this.handler = null;
    this.destroy(null);
  }

  /** Closes the connection; the request on it, if any, fails with `err` (or a reset). */
  destroy(err: Error | null): void {
    if (this.dead) return;
    this.dead = true;
    this.clearConnectTimer();
    this.socket.destroy();
    this.pool.forget(this);
    const handler = this.handler;
    this.handler = null;
    if (handler !== null) {
      const e = err ?? codeError('ECONNRESET', this.responded ? 'the upstream closed the connection mid-response' : 'socket hang up: the upstream closed the connection before responding');
      handler.onResponseError?.(this, e);
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}

/** Trailers are decoded and dropped (as the parser does): every response ends with none. */
const NO_TRAILERS: ResponseHeaderMap = Object.freeze({});

/** Whether the last head built carries a content-length (a second result of requestHead, without an object per request). */
let headSized = false;

/** The request line and headers, without the blank line that ends the head. Throws on a header that cannot be sent. */
function requestHead(rq: RequestOptions, host: string, port: number): string {
  headSized = false;
  let s = `${rq.method} ${rq.path} HTTP/1.1\r\n`;
  const h = rq.headers;
  let hasHost = false;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    const value = h[i + 1];
    if (!TOKEN.test(name)) throw codeError('UND_ERR_INVALID_ARG', `invalid header name "${name}"`);
    if (BAD_VALUE.test(value)) throw codeError('UND_ERR_INVALID_ARG', `invalid ${name} header value`);
    if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') headSized = true;
    s += `${name}: ${value}\r\n`;
  }
  if (!hasHost) s += `host: ${host.includes(':') ? `[${host}]` : host}:${port}\r\n`;
  return s;
}

/** The name a TLS connection asks for when none is configured: the Host header's, as undici does; none for an address. */
function sniFor(headers: string[], fallback: string): string | undefined {
  let name = fallback;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].toLowerCase() === 'host') {
      const v = headers[i + 1];
      name = v.startsWith('[') ? v.slice(1, v.indexOf(']')) : v.split(':')[0];
      break;
    }
  }
  return isIP(name) === 0 && name !== '' ? name : undefined;
}

