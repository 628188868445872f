import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { HttpResponseParser } from '../../src/load/http-response-parser.ts';

/** Feeds `parts` in order; returns after which part the response completed (-1: never). */
function completesAt(p: HttpResponseParser, parts: string[]): number {
  for (let i = 0; i < parts.length; i++) if (p.feed(Buffer.from(parts[i], 'latin1'))) return i;
  return -1;
}

describe('HttpResponseParser: where a response ends on a keep-alive connection', () => {
  test('Content-Length, in one piece or split anywhere', () => {
    const whole = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    for (let cut = 1; cut < whole.length; cut++) {
      const p = new HttpResponseParser();
      assert.equal(completesAt(p, [whole.slice(0, cut), whole.slice(cut)]), 1, `cut at ${cut}`);
      assert.equal(p.status, 200);
      assert.equal(p.keepAlive, true);
    }
  });

  test('chunked, with an extension and a trailer, split byte by byte; then the next response on the same parser', () => {
    const p = new HttpResponseParser();
    const body = 'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nx-t: 1\r\n\r\n';
    assert.equal(completesAt(p, [...body]), body.length - 1);
    assert.equal(p.status, 503);
    assert.equal(completesAt(p, ['HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n']), 0, '204 has no body whatever it says');
    assert.equal(p.status, 204);
  });

  test('Connection: close and HTTP/1.0 end keep-alive; a body without a length is read until the close', () => {
    const p = new HttpResponseParser();
    assert.equal(completesAt(p, ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']), 0);
    assert.equal(p.keepAlive, false);
    const q = new HttpResponseParser();
    assert.equal(completesAt(q, ['HTTP/1.0 200 OK\r\n\r\nsome', ' more']), -1);
    assert.equal(q.closed(), true, 'the close ends it');
    assert.equal(q.status, 200);
    const r = new HttpResponseParser();
    assert.equal(r.closed(), false, 'a close before any response ends none');
  });

  test('an interim 100 Continue is skipped; bytes that are not a response throw', () => {
    const p = new HttpResponseParser();
    assert.equal(completesAt(p, ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']), 0);
    assert.equal(p.status, 201);
    assert.throws(() => new HttpResponseParser().feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /not an HTTP\/1.x status line/);
  });
});
