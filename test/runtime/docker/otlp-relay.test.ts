import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterAll, test } from 'vitest';
import { startOtlpRelay, type HeldExport } from '../../../src/runtime/docker/entry/otlp-relay.ts';

/** The span relay of the Docker runtime, in process (no Docker needed): it keeps exports untouched until drained. */

const relay = await startOtlpRelay({ host: '127.0.0.1', port: 0, maxBytes: 100 });
const base = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((r) => relay.close(() => r())));

const post = (body: Buffer, headers: Record<string, string>) => fetch(`${base}/v1/traces`, { method: 'POST', body, headers });
const drain = async () => {
  const res = await fetch(`${base}/drain`);
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
  const res = await fetch(`${base}/v1/metrics`, { method: 'POST', body: 'x' });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /POST \/v1\/traces, GET \/drain/);
});
