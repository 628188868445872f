import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { MessageParser, ParseError, type MessageHead } from '../../../src/sim/http1/message-parser.ts';

interface Parsed {
  head: MessageHead;
  body: Buffer;
}

/** Feeds `input` in pieces of `step` bytes; collects every message (a listener returning `pause` pauses after each). */
function parse(kind: 'request' | 'response', input: string | Buffer, opts: { step?: number; passThrough?: boolean; maxHeadBytes?: number; noBody?: boolean } = {}): Parsed[] {
  const out: Parsed[] = [];
  let chunks: Buffer[] = [];
  let head: MessageHead | null = null;
  const p = new MessageParser(kind, {
    onHead: (h) => (head = h),
    onBody: (b) => chunks.push(Buffer.from(b)),
    onComplete: () => {
      out.push({ head: head!, body: Buffer.concat(chunks) });
      chunks = [];
      return true;
    },
  }, { passThrough: opts.passThrough ?? false, maxHeadBytes: opts.maxHeadBytes });
  if (opts.noBody) p.expectNoBody(true);
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const step = opts.step ?? buf.length;
  for (let i = 0; i < buf.length; i += step) p.execute(buf.subarray(i, i + step));
  if (p.readsUntilClose) p.finish();
  return out;
}

function parseError(kind: 'request' | 'response', input: string, opts: { maxHeadBytes?: number } = {}): ParseError {
  try {
    parse(kind, input, opts);
  } catch (err) {
    assert.ok(err instanceof ParseError, `not a ParseError: ${err}`);
    return err;
  }
  assert.fail('parsed without an error');
}

const CHUNKED_REQUEST =
  'POST /upload?x=1 HTTP/1.1\r\nHost: payments\r\nTransfer-Encoding: chunked\r\nX-Trace: a\r\n\r\n' +
  '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n';

describe('MessageParser: requests', () => {
  it('reads the request line and the headers as sent, whatever the split of the bytes', () => {
    const text = 'GET /orders/7?full=1 HTTP/1.1\r\nHost: orders:8080\r\nX-Request-Id: abc\r\nAccept:  */*  \r\n\r\n';
    for (let step = 1; step <= text.length; step++) {
      const [m] = parse('request', text, { step });
      assert.equal(m.head.method, 'GET');
      assert.equal(m.head.target, '/orders/7?full=1');
      assert.deepEqual(m.head.rawHeaders, ['Host', 'orders:8080', 'X-Request-Id', 'abc', 'Accept', '*/*']);
      assert.equal(m.head.keepAlive, true);
      assert.equal(m.head.hasBody, false);
    }
  });

  it('decodes a chunked body (extensions and trailers dropped), at every split', () => {
    for (let step = 1; step <= CHUNKED_REQUEST.length; step += 3) {
      const [m] = parse('request', CHUNKED_REQUEST, { step });
      assert.equal(m.head.chunked, true);
      assert.equal(m.body.toString(), 'hello, world');
    }
  });

  it('passes a chunked body through as framed, byte for byte, at every split', () => {
    const framing = CHUNKED_REQUEST.slice(CHUNKED_REQUEST.indexOf('\r\n\r\n') + 4);
    for (let step = 1; step <= CHUNKED_REQUEST.length; step += 2) {
      const [m] = parse('request', CHUNKED_REQUEST, { step, passThrough: true });
      assert.equal(m.body.toString('latin1'), framing);
    }
  });

  it('frames a body by Content-Length, and a large one arrives whole', () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const input = Buffer.concat([Buffer.from(`PUT /blob HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    const [m] = parse('request', input, { step: 64 * 1024 });
    assert.equal(m.head.contentLength, body.length);
    assert.ok(m.body.equals(body));
  });

  it('parses pipelined requests one after another, and holds the next while paused', () => {
    const two = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\n\r\n';
    assert.deepEqual(parse('request', two).map((m) => `${m.head.method} ${m.head.target} ${m.body}`), ['GET /a ', 'POST /b abc', 'GET /c ']);
    const seen: string[] = [];
    const p = new MessageParser('request', { onHead: (h) => seen.push(h.target), onBody: () => {}, onComplete: () => false });
    p.execute(Buffer.from(two));
    assert.deepEqual(seen, ['/a']);
    p.resume();
    assert.deepEqual(seen, ['/a', '/b']);
    p.resume();
    assert.deepEqual(seen, ['/a', '/b', '/c']);
    assert.equal(p.idle, false);
  });

  it('knows HTTP/1.0 callers, Connection: close and Expect: 100-continue', () => {
    assert.equal(parse('request', 'GET / HTTP/1.0\r\n\r\n')[0].head.keepAlive, false);
    assert.equal(parse('request', 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')[0].head.keepAlive, true);
    assert.equal(parse('request', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n')[0].head.keepAlive, false);
    const [m] = parse('request', 'PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok');
    assert.equal(m.head.expectContinue, true);
    assert.equal(m.body.toString(), 'ok');
  });

  it('refuses what would let a request be smuggled or misread, with a stable code', () => {
    const cases: [string, ParseError['code']][] = [
      ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 'INVALID_TRANSFER_ENCODING'],
      ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 'INVALID_CONTENT_LENGTH'],
      ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 'INVALID_CONTENT_LENGTH'],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 'INVALID_TRANSFER_ENCODING'],
      ['GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n', 'INVALID_HEADER'],
      ['GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n', 'INVALID_HEADER'],
      ['GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 'INVALID_HEADER'],
      ['GET /\r\n\r\n', 'INVALID_START_LINE'],
      ['HELLO\r\n\r\n', 'INVALID_START_LINE'],
      ['GET / HTTP/2.0\r\n\r\n', 'UNSUPPORTED_VERSION'],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'INVALID_CHUNK'],
      ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n', 'INVALID_CHUNK'],
    ];
    for (const [input, code] of cases) assert.equal(parseError('request', input).code, code, JSON.stringify(input));
  });

  it('refuses a head over the limit, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`;
    assert.equal(parseError('request', big, { maxHeadBytes: 1024 }).code, 'HEADERS_TOO_LARGE');
    assert.equal(parseError('request', big.slice(0, 1500), { maxHeadBytes: 1024 }).code, 'HEADERS_TOO_LARGE');
    assert.equal(parse('request', big, { maxHeadBytes: 4096 }).length, 1);
  });
});

describe('MessageParser: responses', () => {
  it('reads the status line, skips a 100 Continue, frames by length', () => {
    const [m] = parse('response', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\nX-A: 2\r\n\r\nok', { step: 5 });
    assert.equal(m.head.status, 201);
    assert.equal(m.head.reason, 'Created');
    assert.deepEqual(m.head.rawHeaders, ['Content-Length', '2', 'X-A', '1', 'X-A', '2']);
    assert.equal(m.body.toString(), 'ok');
  });

  it('gives no body to 204, 304 and the answer to a HEAD, whatever their headers say', () => {
    const two = 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n';
    assert.deepEqual(parse('response', two).map((m) => [m.head.status, m.body.length]), [[204, 0], [304, 0]]);
    const [head] = parse('response', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { noBody: true });
    assert.equal(head.head.hasBody, false);
  });

  it('reads a body without length or chunking until the connection closes, and does not keep the connection', () => {
    const [m] = parse('response', 'HTTP/1.1 200 OK\r\n\r\nall of it', { step: 4 });
    assert.equal(m.body.toString(), 'all of it');
    assert.equal(m.head.keepAlive, false);
  });

  it('decodes a chunked response, and an HTTP/1.0 one closes its connection', () => {
    const [m] = parse('response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n', { step: 1 });
    assert.equal(m.body.toString(), 'abc');
    assert.equal(parse('response', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')[0].head.keepAlive, false);
  });

  it('refuses a malformed status line', () => {
    assert.equal(parseError('response', 'HTTP/1.1 OK\r\n\r\n').code, 'INVALID_START_LINE');
  });
});
