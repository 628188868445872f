import type { Socket } from 'node:net';
import { DEFAULT_MAX_HEAD_BYTES, MessageParser, ParseError, type MessageHead } from './message-parser.ts';
import { ServerRequest } from './server-request.ts';
import { ServerResponse, type ResponseSink } from './server-response.ts';

export type RequestHandler = (req: ServerRequest, res: ServerResponse) => void;

export interface ServerConnectionOptions {
  /** A request head over this many bytes is answered 431 and the connection closed. Default 16 KiB (node:http's `maxHeaderSize`). */
  maxHeadBytes?: number;
  /**
  A connection idle between requests this long is closed; its whole seconds (floored) are the
  `Keep-Alive: timeout=` hint each response gives, none when 0. 0 = never. Default 5000 ms
  (node:http's `keepAliveTimeout`).
  */
  keepAliveTimeoutMs?: number;
  /**
  A request head must arrive whole within this long of its first byte (of the connection opening,
  for its first request); else the connection is answered 408 if part of a head came, and closed.
  0 = no limit. Default 60 000 ms (node:http's `headersTimeout`).
  */
  headersTimeoutMs?: number;
}

/** node:http's `keepAliveTimeout`: what callers written against Node expect of a server. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** node:http's `headersTimeout`: a caller that never finishes a head is not held until the sidecar stops. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;

/** The response lines that say the connection stays open, by keep-alive timeout: one string per value, not one per response. */
const keepAliveLinesByMs = new Map<number, string>();
function keepAliveLines(ms: number): string {
  let s = keepAliveLinesByMs.get(ms);
  if (s === undefined) {
    // As node:http: whole seconds, floored; no hint when the server never times an idle connection out.
    s = ms > 0 ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(ms / 1000)}\r\n` : 'connection: keep-alive\r\n';
    keepAliveLinesByMs.set(ms, s);
  }
  return s;
}

/** After a 408, how long the answer has to drain before the connection is cut. */
const HEADERS_TIMEOUT_GRACE_MS = 1_000;

const CONNECTION = Symbol('meshproof.http1.connection');

/**
One HTTP/1.1 connection on the server side (a net.Socket, or a TLSSocket once its handshake is
under way: the bytes are the same). Requests are handed to `handler` one at a time: a pipelined
request waits, unparsed, until the response before it has been written, as Envoy's HTTP/1 codec
does, so pipelining is handled, in order. An invalid request is answered 400 (431 for a head over
the limit) and the connection closed; a caller that goes away mid-exchange aborts its request
(its 'aborted' and 'error') and closes its response (its 'close', with `writableFinished` false).
`Expect: 100-continue` is answered at once with a 100, as node:http does by default.
*/
export class ServerConnection implements ResponseSink {
  readonly socket: Socket;
  readonly keepAliveLines: string;
  head = false;
  http11 = true;
  private readonly handler: RequestHandler;
  private readonly parser: MessageParser;
  private readonly keepAliveTimeoutMs: number;
  private readonly headersTimeoutMs: number;
  /** Armed only while a head is awaited past one read (and for the first request): none per request in the usual case. */
  private headTimer: NodeJS.Timeout | null = null;
  private req: ServerRequest | null = null;
  private res: ServerResponse | null = null;
  private idleTimer = false;
  /** The response was written before its request's body ended: that body is being read and dropped. */
  private draining = false;
  /** The connection closes after the response written: nothing more is served on it. */
  private ending = false;
  private closed = false;

  constructor(socket: Socket, handler: RequestHandler, options: ServerConnectionOptions = {}) {
    this.socket = socket;
    this.handler = handler;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
    this.keepAliveLines = keepAliveLines(this.keepAliveTimeoutMs);
    this.headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    (socket as Socket & { [CONNECTION]?: ServerConnection })[CONNECTION] = this;
    socket.setNoDelay(true);
    this.parser = new MessageParser('request', {
      onHead: (h) => this.onHead(h),
      onBody: (chunk) => this.req?.push(chunk),
      onComplete: () => this.onRequestComplete(),
    }, { passThrough: false, maxHeadBytes: options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES });
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', noop);
    socket.on('timeout', () => this.onIdleTimeout());
    socket.on('close', () => this.onClose());
    // node:http counts the first head's time from the connection's start: one that never sends a byte is closed too.
    this.armHeadTimer();
  }

  /** The response being written on `socket` now, if it is a ServerConnection's; null otherwise. */
  static responseOn(socket: Socket): ServerResponse | null {
    return (socket as Socket & { [CONNECTION]?: ServerConnection })[CONNECTION]?.res ?? null;
  }

  private onData(d: Buffer): void {
    try {
      this.parser.execute(d);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      this.refuse(err);
      return;
    }
    if (this.headTimer === null && this.parser.partialHead) this.armHeadTimer();
  }

  private armHeadTimer(): void {
    if (this.headersTimeoutMs <= 0 || this.closed) return;
    this.headTimer = setTimeout(() => this.onHeadersTimeout(), this.headersTimeoutMs);
    // The socket keeps the process up while it is open; this timer alone must not.
    this.headTimer.unref();
  }

  private clearHeadTimer(): void {
    if (this.headTimer === null) return;
    clearTimeout(this.headTimer);
    this.headTimer = null;
  }

  /** A head did not arrive whole in time: 408 if part of one came (as node:http answers), and closed. */
  private onHeadersTimeout(): void {
    this.headTimer = null;
    if (this.req !== null || this.closed) return;
    if (!this.parser.partialHead) {
      this.socket.destroy();
      return;
    }
    this.ending = true;
    const body = `no complete request head within ${this.headersTimeoutMs} ms\n`;
    this.socket.end(`HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
    // A caller that does not read its answer does not keep the connection either.
    this.socket.setTimeout(HEADERS_TIMEOUT_GRACE_MS);
  }

  private onHead(h: MessageHead): void {
    // A request pipelined behind one whose answer closed the connection is never served.
    if (this.ending) return;
    if (this.headTimer !== null) this.clearHeadTimer();
    this.head = h.method === 'HEAD';
    this.http11 = h.minor === 1;
    const socket = this.socket;
    const req = new ServerRequest(h, socket, this.flow);
    const res = new ServerResponse(this);
    if (!h.keepAlive) res.shouldKeepAlive = false;
    // Without a body the request is whole now: a handler may answer before the parser says so.
    if (!h.hasBody) req.complete = true;
    this.req = req;
    this.res = res;
    if (h.expectContinue && h.minor === 1) socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    this.handler(req, res);
  }

  private readonly flow = {
    pause: (): void => void this.socket.pause(),
    resume: (): void => void this.socket.resume(),
  };

  /** The request has arrived whole: the parser waits (pipelined bytes are held) until its response is written. */
  private onRequestComplete(): boolean {
    const req = this.req;
    if (req !== null) {
      req.finish();
      return false;
    }
    if (this.draining) {
      this.draining = false;
      this.armIdle();
    }
    return true;
  }

  /** ResponseSink: the response was written whole. */
  done(keepAlive: boolean): void {
    const req = this.req;
    this.req = null;
    this.res = null;
    if (!keepAlive) {
      this.ending = true;
      this.socket.end();
      return;
    }
    // Answered before its body has all arrived (a local reply): the rest of the body is read and
    // dropped, as node:http does, and the connection serves the next request after it.
    if (req !== null && !req.complete) {
      this.draining = true;
      return;
    }
    if (this.parser.holding) {
      // A pipelined request is waiting: it starts after the code that ended this response has run on.
      setImmediate(() => {
        this.parser.resume();
        if (this.req === null) this.armIdle();
      });
      return;
    }
    this.parser.resume();
    this.armIdle();
  }

  /** ResponseSink: the response was cut. */
  cut(): void {
    this.socket.destroy();
  }

  /**
  Armed once, after the first response, and left armed: the socket restarts it on every read and
  write, so it fires only after that long without a byte either way. A request in progress or a
  head arriving when it fires is left alone (the headers timeout rules a head).
  */
  private armIdle(): void {
    if (this.idleTimer || this.closed || this.keepAliveTimeoutMs <= 0) return;
    this.idleTimer = true;
    this.socket.setTimeout(this.keepAliveTimeoutMs);
  }

  private onIdleTimeout(): void {
    // Ending (after a 408, or `Connection: close`): the caller has had its answer's time to read it.
    if (this.ending || (this.req === null && !this.draining && !this.parser.partialHead)) this.socket.destroy();
  }

  /** Answers a request that could not be read, and closes the connection. */
  private refuse(err: ParseError): void {
    const res = this.res;
    if (res !== null && (res.headersSent || this.req?.complete)) {
      // Mid-exchange (a body that went wrong): nothing sensible can be said on this connection.
      this.req?.abort(err);
      this.socket.destroy();
      return;
    }
    this.req?.abort(err);
    const status = err.code === 'HEADERS_TOO_LARGE' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = `${err.message}\n`;
    this.socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, 'latin1');
  }

  private onClose(): void {
    this.closed = true;
    this.clearHeadTimer();
    const req = this.req;
    const res = this.res;
    this.req = null;
    this.res = null;
    req?.abort(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    res?.connectionClosed();
  }
}

function noop(): void {}
