/**
The head of one HTTP/1.x message as it arrived: the start line's parts and the header fields in
Node's flat `[name, value, …]` form, names as the sender spelled them.
*/
export interface MessageHead {
  /** Request: the method; response: ''. */
  method: string;
  /** Request: the target as sent (`/x?y`, or a proxy-form `http://h/x`); response: ''. */
  target: string;
  /** Response: the status code; request: 0. */
  status: number;
  /** Response: the reason phrase. */
  reason: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  rawHeaders: string[];
  /** The Content-Length, -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /** Whether the connection stays open after this message (the version's default, or its `Connection` header). */
  keepAlive: boolean;
  /** Request: `Expect: 100-continue`. */
  expectContinue: boolean;
  /** Whether a body follows the head (a length > 0, chunked, or a response read until close). */
  hasBody: boolean;
}

/** Why a message could not be parsed; `code` is stable, for the 400's text and the counters. */
export class ParseError extends Error {
  readonly code: 'HEADERS_TOO_LARGE' | 'INVALID_START_LINE' | 'INVALID_HEADER' | 'INVALID_CONTENT_LENGTH' | 'INVALID_TRANSFER_ENCODING' | 'INVALID_CHUNK' | 'UNSUPPORTED_VERSION';
  constructor(code: ParseError['code'], message: string) {
    super(message);
    this.name = 'ParseError';
    this.code = code;
  }
}

export interface ParserEvents {
  /** A message's head arrived. */
  onHead(head: MessageHead): void;
  /**
  Body bytes. In pass-through mode these are the bytes as framed on the wire (chunk sizes, CRLFs
  and trailers included), so a relay copies them without re-chunking; otherwise the payload only.
  */
  onBody(chunk: Buffer): void;
  /** The message ended. Returns false to stop parsing here (the rest is kept until `resume`). */
  onComplete(): boolean;
}

/** Node's default `maxHeaderSize` (16 KiB), the head's limit unless said otherwise. */
export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;

// Parser states (plain numbers: type stripping has no enums).
const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const PAUSED = 7;
const DEAD = 8;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, SP and HTAB (RFC 9110 §5.5); CR, LF and NUL are refused.
const BAD_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

/**
An incremental HTTP/1.1 parser for one direction of one connection (RFC 9112): requests on a
server connection, responses on a client connection. It frames bodies by Content-Length or chunked
coding (a response without either is read until the connection closes) and parses heads whole:
a head is small, so it is found with one search for CRLFCRLF and split, rather than byte by byte.

Request smuggling is refused as Envoy and Node refuse it: Content-Length with Transfer-Encoding,
differing Content-Lengths, a request Transfer-Encoding not ending in chunked, obsolete line folding.
*/
export class MessageParser {
  private readonly kind: 'request' | 'response';
  private readonly events: ParserEvents;
  private readonly passThrough: boolean;
  private readonly maxHeadBytes: number;
  private state: number = HEAD;
  /** Bytes not consumed yet: a partial head, or what follows a message while paused. */
  private pending: Buffer | null = null;
  private remaining = 0;
  /** Partial chunk-size or trailer line. */
  private line = '';
  /** Response: the next message answers a HEAD (no body whatever the headers say). */
  private noBody = false;

  constructor(kind: 'request' | 'response', events: ParserEvents, options?: { passThrough?: boolean; maxHeadBytes?: number }) {
    this.kind = kind;
    this.events = events;
    this.passThrough = options?.passThrough ?? true;
    this.maxHeadBytes = options?.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  }

  /** Response parser: the next response answers a HEAD request, so it has no body. */
  expectNoBody(on: boolean): void {
    this.noBody = on;
  }

  /** True between messages (nothing of the next one has arrived). */
  get idle(): boolean {
    return this.state === HEAD && this.pending === null;
  }

  /** True when bytes that arrived are held unparsed (paused, or a partial head). */
  get holding(): boolean {
    return this.pending !== null;
  }

  /** True when part of a head has arrived and the rest has not. */
  get partialHead(): boolean {
    return this.state === HEAD && this.pending !== null;
  }

  /** True when the current response is read until the connection closes. */
  get readsUntilClose(): boolean {
    return this.state === UNTIL_CLOSE;
  }

  /** Parses what arrived. Throws a ParseError on a malformed message; the parser is then dead. */
  execute(data: Buffer): void {
    if (this.state === DEAD) return;
    if (this.pending !== null) {
      data = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    if (this.state === PAUSED) {
      this.pending = data;
      return;
    }
    try {
      this.run(data, 0);
    } catch (err) {
      this.state = DEAD;
      throw err;
    }
  }

  /** Continues after `onComplete` returned false, with the bytes held since. */
  resume(): void {
    if (this.state !== PAUSED) return;
    this.state = HEAD;
    const data = this.pending;
    this.pending = null;
    if (data !== null) this.execute(data);
  }

  /**
  The connection closed. Returns true when that ends a response read until close, false when it
  cut a message short (nothing was in progress: also true).
  */
  finish(): boolean {
    if (this.state === UNTIL_CLOSE) {
      this.state = HEAD;
      this.events.onComplete();
      return true;
    }
    return this.state === HEAD && this.pending === null || this.state === PAUSED;
  }

  private run(data: Buffer, pos: number): void {
    const len = data.length;
    while (pos < len) {
      switch (this.state) {
        case HEAD: {
          const end = data.indexOf(CRLFCRLF, pos);
          if (end === -1) {
            // A leading CRLF between messages is tolerated (RFC 9112 §2.2).
            if (len - pos > this.maxHeadBytes) throw new ParseError('HEADERS_TOO_LARGE', `the head is over ${this.maxHeadBytes} bytes`);
            this.pending = pos === 0 ? data : data.subarray(pos);
            return;
          }
          if (end - pos > this.maxHeadBytes) throw new ParseError('HEADERS_TOO_LARGE', `the head is over ${this.maxHeadBytes} bytes`);
          const head = this.parseHead(data.toString('latin1', pos, end));
          pos = end + 4;
          if (head === null) continue; // an interim 1xx response: the real one follows
          this.events.onHead(head);
          if ((this.state as number) === DEAD) return;
          if (!head.hasBody) {
            if (!this.complete()) {
              if (pos < len) this.pending = data.subarray(pos);
              return;
            }
          }
          break;
        }
        case LENGTH: {
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          const chunk = data.subarray(pos, pos + n);
          pos += n;
          this.events.onBody(chunk);
          if (this.remaining === 0 && !this.complete()) {
            if (pos < len) this.pending = data.subarray(pos);
            return;
          }
          break;
        }
        case UNTIL_CLOSE:
          this.events.onBody(pos === 0 ? data : data.subarray(pos));
          return;
        default:
          pos = this.runChunked(data, pos);
          if (this.state === PAUSED) {
            if (pos < len) this.pending = data.subarray(pos);
            return;
          }
      }
    }
  }

  /** Chunked framing from `pos`; returns where it stopped (the end, or after the last chunk). */
  private runChunked(data: Buffer, pos: number): number {
    const len = data.length;
    const start = pos;
    const pass = this.passThrough;
    while (pos < len) {
      switch (this.state) {
        case CHUNK_SIZE:
        case TRAILERS: {
          const nl = data.indexOf(10, pos);
          if (nl === -1) {
            this.line += data.toString('latin1', pos, len);
            if (this.line.length > this.maxHeadBytes) throw new ParseError('INVALID_CHUNK', 'a chunk-size or trailer line is too long');
            pos = len;
            break;
          }
          const line = this.line + data.toString('latin1', pos, nl);
          this.line = '';
          pos = nl + 1;
          if (line.charCodeAt(line.length - 1) !== 13) throw new ParseError('INVALID_CHUNK', 'a chunk line does not end in CRLF');
          if (this.state === CHUNK_SIZE) {
            const size = parseChunkSize(line.slice(0, -1));
            if (size === 0) this.state = TRAILERS;
            else {
              this.remaining = size;
              this.state = CHUNK_DATA;
            }
          } else if (line.length === 1) {
            // The empty line after the trailers: the message is complete.
            if (pass && pos > start) this.events.onBody(data.subarray(start, pos));
            this.complete();
            return pos;
          }
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, len - pos);
          if (!pass) this.events.onBody(data.subarray(pos, pos + n));
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) {
            this.state = CHUNK_DATA_END;
            this.remaining = 2;
          }
          break;
        }
        case CHUNK_DATA_END: {
          const c = data[pos];
          if (c !== (this.remaining === 2 ? 13 : 10)) throw new ParseError('INVALID_CHUNK', 'chunk data is not followed by CRLF');
          pos++;
          if (--this.remaining === 0) this.state = CHUNK_SIZE;
          break;
        }
        default:
          return pos;
      }
    }
    if (pass && pos > start) this.events.onBody(data.subarray(start, pos));
    return pos;
  }

  /** The message ended; false when the listener paused the parser. */
  private complete(): boolean {
    this.state = HEAD;
    this.noBody = false;
    if (this.events.onComplete()) return true;
    this.state = PAUSED;
    return false;
  }

  private parseHead(text: string): MessageHead | null {
    // Tolerate CRLFs before a request line (RFC 9112 §2.2).
    let start = 0;
    while (text.charCodeAt(start) === 13 && text.charCodeAt(start + 1) === 10) start += 2;
    // Lines are cut out of the head where they stand, without an array of them first.
    let eol = text.indexOf('\r\n', start);
    const head: MessageHead = { method: '', target: '', status: 0, reason: '', minor: 1, rawHeaders: [], contentLength: -1, chunked: false, keepAlive: true, expectContinue: false, hasBody: false };
    const first = eol === -1 ? text.slice(start) : text.slice(start, eol);
    if (this.kind === 'request') {
      const m = REQUEST_LINE.exec(first);
      if (m === null) {
        if (/^\S+ \S+ HTTP\/\d/.test(first)) throw new ParseError('UNSUPPORTED_VERSION', `unsupported HTTP version in "${printable(first)}"`);
        throw new ParseError('INVALID_START_LINE', `not an HTTP/1.x request line: "${printable(first)}"`);
      }
      head.method = m[1];
      head.target = m[2];
      head.minor = m[3] === '1' ? 1 : 0;
    } else {
      const m = STATUS_LINE.exec(first);
      if (m === null) throw new ParseError('INVALID_START_LINE', `not an HTTP/1.x status line: "${printable(first)}"`);
      head.minor = m[1] === '1' ? 1 : 0;
      head.status = Number(m[2]);
      head.reason = m[3] ?? '';
    }
    let connClose = false;
    let connKeepAlive = false;
    let te: string | null = null;
    const raw = head.rawHeaders;
    while (eol !== -1) {
      const from = eol + 2;
      eol = text.indexOf('\r\n', from);
      const to = eol === -1 ? text.length : eol;
      const colon = text.indexOf(':', from);
      if (colon <= from || colon >= to) throw new ParseError('INVALID_HEADER', `not a header field: "${printable(text.slice(from, to))}"`);
      const name = text.slice(from, colon);
      if (!TOKEN.test(name)) throw new ParseError('INVALID_HEADER', `invalid header name "${printable(name)}"`);
      const value = text.slice(colon + 1, to).trim();
      if (BAD_VALUE.test(value)) throw new ParseError('INVALID_HEADER', `invalid character in the value of ${name}`);
      raw.push(name, value);
      switch (name.length) {
        case 6:
          if (this.kind === 'request' && name.toLowerCase() === 'expect' && value.toLowerCase() === '100-continue') head.expectContinue = true;
          break;
        case 10:
          if (name.toLowerCase() === 'connection') {
            const v = value.toLowerCase();
            if (v.includes('close')) connClose = true;
            if (v.includes('keep-alive')) connKeepAlive = true;
          }
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (!/^\d{1,15}$/.test(value)) throw new ParseError('INVALID_CONTENT_LENGTH', `invalid Content-Length "${printable(value)}"`);
            const n = Number(value);
            if (head.contentLength !== -1 && head.contentLength !== n) throw new ParseError('INVALID_CONTENT_LENGTH', 'differing Content-Length values');
            head.contentLength = n;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') te = te === null ? value : `${te}, ${value}`;
          break;
      }
    }
    head.keepAlive = head.minor === 1 ? !connClose : connKeepAlive && !connClose;
    if (te !== null) {
      if (head.contentLength !== -1) throw new ParseError('INVALID_TRANSFER_ENCODING', 'both Content-Length and Transfer-Encoding');
      const last = te.slice(te.lastIndexOf(',') + 1).trim().toLowerCase();
      head.chunked = last === 'chunked';
      if (!head.chunked && this.kind === 'request') throw new ParseError('INVALID_TRANSFER_ENCODING', `Transfer-Encoding "${printable(te)}" does not end in chunked`);
    }
    if (this.kind === 'response') {
      const s = head.status;
      // 1xx answers other than 101 are interim: 100 Continue comes before the real response.
      if (s >= 100 && s < 200 && s !== 101) return null;
      if (this.noBody || s === 204 || s === 304 || s < 200) {
        head.hasBody = false;
        return head;
      }
      if (head.chunked) this.state = CHUNK_SIZE;
      else if (head.contentLength > 0) {
        this.remaining = head.contentLength;
        this.state = LENGTH;
      } else if (head.contentLength === -1) {
        this.state = UNTIL_CLOSE;
        head.keepAlive = false;
      }
    } else if (head.chunked) this.state = CHUNK_SIZE;
    else if (head.contentLength > 0) {
      this.remaining = head.contentLength;
      this.state = LENGTH;
    }
    head.hasBody = this.state !== HEAD;
    return head;
  }
}

function parseChunkSize(line: string): number {
  const semi = line.indexOf(';');
  const hex = (semi === -1 ? line : line.slice(0, semi)).trim();
  if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new ParseError('INVALID_CHUNK', `invalid chunk size "${printable(hex)}"`);
  return parseInt(hex, 16);
}

function printable(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
