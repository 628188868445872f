import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterAll, test } from 'vitest';
import { request } from 'node:http';
import { bearerHeader, newRunCredential } from '../../../src/auth/run-credential.ts';
import { startOtlpRelay, type HeldExport } from '../../../src/runtime/docker/entry/otlp-relay.ts';

/** The span relay of the Docker runtime, in process (no Docker needed): it keeps exports untouched until drained. */

const credential = newRunCredential();
const auth = bearerHeader(credential);
const relay = await startOtlpRelay({ host: '127.0.0.1', port: 0, maxBytes: 100, credential, networkHost: 'span-relay:4318' });
const port = (relay.address() as AddressInfo).port;
const base = `http://127.0.0.1:${port}`;
afterAll(() => new Promise<void>((r) => relay.close(() => r())));

const post = (body: Buffer, headers: Record<string, string>) => fetch(`${base}/v1/traces`, { method: 'POST', body, headers: { ...auth, ...headers } });
const drain = async () => {
  const res = await fetch(`${base}/drain`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
  return { held: (await res.json()) as HeldExport[], dropped: Number(res.headers.get('x-meshproof-dropped')) };
};

test('exports are answered as OTLP success and held as sent, oldest first, until drained', async () => {
  const proto = Buffer.from([0x0a, 0x02, 0x01, 0xff]);
  const a = await post(proto, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('content-type'), 'application/x-protobuf');
  assert.equal((await a.arrayBuffer()).byteLength, 0);
  const b = await post(Buffer.from('{"resourceSpans":[]}'), { 'content-type': 'application/json' });
  assert.equal(b.status, 200);
  assert.equal(await b.text(), '{}');

  const { held, dropped } = await drain();
  assert.equal(dropped, 0);
  assert.deepEqual(
    held.map((h) => ({ ...h, body: Buffer.from(h.body, 'base64') })),
    [
      { type: 'application/x-protobuf', encoding: 'gzip', body: proto },
      { type: 'application/json', encoding: null, body: Buffer.from('{"resourceSpans":[]}') },
    ],
  );
  assert.deepEqual((await drain()).held, [], 'a drain empties it');
});

test('beyond maxBytes held, exports are dropped and counted (the harness stopped draining)', async () => {
  assert.equal((await post(Buffer.alloc(80), { 'content-type': 'application/x-protobuf' })).status, 200);
  assert.equal((await post(Buffer.alloc(80), { 'content-type': 'application/x-protobuf' })).status, 200);
  const { held, dropped } = await drain();
  assert.equal(held.length, 1);
  assert.equal(dropped, 1);
});

test('anything else is a 404 naming the routes', async () => {
  const res = await fetch(`${base}/v1/metrics`, { method: 'POST', body: '{}', headers: { ...auth, 'content-type': 'application/json' } });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /POST \/v1\/traces, POST \/drain, GET \/ready/);
});

/** A raw request, with the Host header the caller chooses (fetch does not let it be set). */
function raw(path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('exports and drains need the run credential: none or a wrong one is a 401, and nothing is held or handed out', async () => {
  const json = { 'content-type': 'application/json', host: `127.0.0.1:${port}` };
  const forged = await raw('/v1/traces', json, '{"resourceSpans":[]}');
  assert.equal(forged.status, 401);
  assert.match(JSON.parse(forged.body).error, /run's credential/);
  assert.equal((await raw('/v1/traces', { ...json, ...bearerHeader(newRunCredential()) }, '{"resourceSpans":[]}')).status, 401);
  // The spans of the run stay where they are: a drain without the credential gets nothing.
  assert.equal((await post(Buffer.from('{"resourceSpans":[]}'), { 'content-type': 'application/json' })).status, 200);
  assert.equal((await raw('/drain', json, '{}')).status, 401);
  assert.equal((await drain()).held.length, 1, 'the refused drain took nothing');
});

test('Host: span-relay:4318 (the run network) or a loopback name; anything else is a 421, even with the credential', async () => {
  const headers = { ...auth, 'content-type': 'application/json' };
  assert.equal((await raw('/v1/traces', { ...headers, host: 'span-relay:4318' }, '{"resourceSpans":[]}')).status, 200);
  assert.equal((await raw('/v1/traces', { ...headers, host: 'localhost:41234' }, '{"resourceSpans":[]}')).status, 200, 'a published port under another number');
  const rebound = await raw('/v1/traces', { ...headers, host: 'evil.example:4318' }, '{"resourceSpans":[]}');
  assert.equal(rebound.status, 421);
  assert.match(JSON.parse(rebound.body).error, /DNS rebinding/);
  assert.equal((await raw('/drain', { ...headers, host: 'evil.example' }, '{}')).status, 421);
  await drain();
});

test('a browser is refused: Origin, or a body a page may send (text/plain)', async () => {
  const headers = { ...auth, host: `127.0.0.1:${port}` };
  assert.equal((await raw('/v1/traces', { ...headers, 'content-type': 'application/json', origin: 'http://evil.example' }, '{}')).status, 403);
  assert.equal((await raw('/v1/traces', { ...headers, 'content-type': 'text/plain' }, '{}')).status, 415);
  assert.deepEqual((await drain()).held, []);
});
