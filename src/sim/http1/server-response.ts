import type { Socket } from 'node:net';
import type { DownstreamResponse } from './downstream.ts';

/** What a response needs from its connection. */
export interface ResponseSink {
  readonly socket: Socket;
  /** The answer is to a HEAD request: headers only. */
  readonly head: boolean;
  /** The caller speaks HTTP/1.1 (chunked coding allowed). */
  readonly http11: boolean;
  /** The head's lines for a connection that stays open (`Connection: keep-alive` and the server's `Keep-Alive` hint). */
  readonly keepAliveLines: string;
  /** The response has been written whole; `keepAlive` false = close the connection after it. */
  done(keepAlive: boolean): void;
  /** The response was cut: close the connection now. */
  cut(): void;
}

type Fn = () => void;

/** One cached `Date` value per second, as node:http caches it. */
let dateSecond = 0;
let dateValue = '';
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/** Reason phrases for the statuses a sidecar sends; others get none (RFC 9112 allows an empty one). */
const REASONS: Record<number, string> = {
  100: 'Continue', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  409: 'Conflict', 413: 'Payload Too Large', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/**
A response written straight to its connection's socket: the head is built as one string and
goes out with the first body bytes (or the whole body) in one write. Framing as node:http does
it: the handler's Content-Length when it gives one; else a body given whole to `end` gets one;
else chunked coding (HTTP/1.1) or the connection's close (HTTP/1.0). No body for HEAD, 204 and 304.
*/
export class ServerResponse implements DownstreamResponse {
  statusCode = 200;
  headersSent = false;
  destroyed = false;
  writableFinished = false;
  shouldKeepAlive = true;
  private readonly sink: ResponseSink;
  /** The head, built by writeHead and not yet written. */
  private pendingHead: string | null = null;
  private chunked = false;
  private bodyless = false;
  private hasLength = false;
  /** The handler gave a Date (an upstream's, relayed): none is added. */
  private hasDate = false;
  /** HTTP/1.0 caller, no length: the body ends when the connection closes. */
  private closeDelimited = false;
  /** @internal */
  closeFns: Fn[] | null = null;
  private closed = false;

  constructor(sink: ResponseSink) {
    this.sink = sink;
  }

  writeHead(status: number, headers: string[]): this {
    if (this.headersSent) throw new Error('writeHead: the headers were already sent');
    this.statusCode = status;
    this.headersSent = true;
    let s = `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\n`;
    let framed = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        this.hasLength = true;
        framed = true;
      } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
        // The body given is what goes on the wire: the caller frames it itself.
        framed = true;
      } else if (name.length === 4 && name.toLowerCase() === 'date') {
        this.hasDate = true;
      } else if (name.length === 10 && name.toLowerCase() === 'connection') {
        if (value.toLowerCase().includes('close')) this.shouldKeepAlive = false;
        continue;
      }
      s += `${name}: ${value}\r\n`;
    }
    this.bodyless = this.sink.head || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (!framed && !this.bodyless) this.chunked = true; // decided for good at the first write or end
    this.pendingHead = s;
    return this;
  }

  private headEnd(): string {
    const keep = this.shouldKeepAlive && !this.closeDelimited;
    this.shouldKeepAlive = keep;
    return `${this.chunked ? 'transfer-encoding: chunked\r\n' : ''}${this.hasDate ? '' : `date: ${httpDate()}\r\n`}${keep ? this.sink.keepAliveLines : 'connection: close\r\n'}\r\n`;
  }

  write(chunk: Buffer): boolean {
    if (this.destroyed || this.writableFinished) return false;
    if (!this.headersSent) this.writeHead(200, []);
    const socket = this.sink.socket;
    if (this.pendingHead !== null) {
      if (this.chunked && !this.sink.http11) {
        this.chunked = false;
        this.closeDelimited = true;
      }
      const head = this.pendingHead + this.headEnd();
      this.pendingHead = null;
      if (this.bodyless || chunk.length === 0) return socket.write(head, 'latin1');
      return this.chunked ? send(socket, `${head}${chunk.length.toString(16)}\r\n`, chunk, '\r\n') : send(socket, head, chunk, '');
    }
    if (this.bodyless || chunk.length === 0) return true;
    if (this.chunked) return send(socket, `${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    return socket.write(chunk);
  }

  end(chunk?: Buffer | string): this {
    if (this.destroyed || this.writableFinished) return this;
    const body = chunk === undefined ? null : typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!this.headersSent) this.writeHead(200, []);
    const socket = this.sink.socket;
    if (this.pendingHead !== null) {
      // The whole body at once: sent with its length instead of chunked.
      if (this.chunked) {
        this.chunked = false;
        this.hasLength = true;
        if (!this.bodyless) this.pendingHead += `content-length: ${body === null ? 0 : body.length}\r\n`;
      }
      const head = this.pendingHead + this.headEnd();
      this.pendingHead = null;
      if (body === null || this.bodyless || body.length === 0) socket.write(head, 'latin1');
      else send(socket, head, body, '');
    } else if (!this.bodyless) {
      if (this.chunked) {
        if (body === null || body.length === 0) socket.write('0\r\n\r\n', 'latin1');
        else send(socket, `${body.length.toString(16)}\r\n`, body, '\r\n0\r\n\r\n');
      } else if (body !== null && body.length > 0) socket.write(body);
    }
    this.writableFinished = true;
    this.sink.done(this.shouldKeepAlive);
    this.emitClose();
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (!this.writableFinished) this.sink.cut();
    this.emitClose();
    return this;
  }

  /** @internal The connection closed under the response. */
  connectionClosed(): void {
    if (this.writableFinished) return;
    this.destroyed = true;
    this.emitClose();
  }

  /** 'close' comes once, a tick later, as node:http's does: after the code that ended the response has run on. */
  private emitClose(): void {
    if (this.closed) return;
    this.closed = true;
    process.nextTick(emitCloseNT, this);
  }

  on(event: string, fn: (...args: never[]) => void): this {
    if (event === 'close') (this.closeFns ??= []).push(fn as Fn);
    else if (event === 'drain') this.sink.socket.once('drain', fn as Fn);
    return this;
  }

  once(event: string, fn: (...args: never[]) => void): this {
    return this.on(event, fn);
  }
}

function emitCloseNT(res: ServerResponse): void {
  const fns = res.closeFns;
  if (fns !== null) for (const fn of fns) fn();
}

/** Bodies up to this size are copied into the head's string: one write, one syscall. */
const INLINE_BODY_BYTES = 16 * 1024;

/** `before`, the body and `after` in one write when the body is small, else corked together. */
function send(socket: Socket, before: string, body: Buffer, after: string): boolean {
  if (body.length <= INLINE_BODY_BYTES) return socket.write(before + body.toString('latin1') + after, 'latin1');
  socket.cork();
  socket.write(before, 'latin1');
  let ok = socket.write(body);
  if (after !== '') ok = socket.write(after, 'latin1');
  socket.uncork();
  return ok;
}
