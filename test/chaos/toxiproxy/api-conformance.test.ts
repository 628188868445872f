import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'vitest';
import { ToxiproxyError } from 'toxiproxy-node-client';
import { startToxiproxyServer } from '../../../src/chaos/toxiproxy/toxiproxy-server.ts';
import { api, deadPort, echoServer, open, portOf, roundTrip, startEngine, tcpServer, until } from '../helpers.ts';

const { server, client } = await startEngine();
const upstream = await echoServer();
const url = server.url;

/** Asserts a Toxiproxy error answer: the status, and `{"error", "status"}` as the body. */
function assertApiError(res: { status: number; json: unknown; headers: Headers }, status: number, message: string | RegExp, contentType = /^text\/plain/): void {
  assert.equal(res.status, status);
  const body = res.json as { error: string; status: number };
  assert.equal(body.status, status);
  if (typeof message === 'string') assert.equal(body.error, message);
  else assert.match(body.error, message);
  // Toxiproxy writes errors with Go's http.Error, which forces text/plain (populate's are JSON).
  assert.match(res.headers.get('content-type') ?? '', contentType);
}

test('GET /version answers JSON naming the Toxiproxy version it is compatible with', async () => {
  const res = await api(url, 'GET', '/version');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { version: '2.12.0-meshproof' });
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('x-meshproof-seed'), '1');
  assert.deepEqual(JSON.parse(await client.getVersion()), { version: '2.12.0-meshproof' });
});

test('POST /proxies creates a proxy (201), listening on a real port when asked for port 0', async () => {
  const res = await api(url, 'POST', '/proxies', { name: 'create_me', listen: '127.0.0.1:0', upstream: upstream.address });
  assert.equal(res.status, 201);
  const body = res.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['name', 'listen', 'upstream', 'enabled', 'toxics']);
  assert.equal(body.name, 'create_me');
  assert.match(String(body.listen), /^127\.0\.0\.1:\d+$/);
  assert.notEqual(portOf(String(body.listen)), 0);
  assert.equal(body.upstream, upstream.address);
  assert.equal(body.enabled, true);
  assert.deepEqual(body.toxics, []);
  const { socket, got } = await open(portOf(String(body.listen)));
  assert.ok((await roundTrip(socket, got)) >= 0, 'bytes go through');
  socket.destroy();
});

test('the client creates, reads and lists proxies; without a listen address it binds 127.0.0.1', async () => {
  const proxy = await client.createProxy({ name: 'via_client', listen: '127.0.0.1:0', upstream: upstream.address });
  assert.equal(proxy.name, 'via_client');
  assert.equal(proxy.enabled, true);
  const again = await client.get('via_client');
  assert.equal(again.listen, proxy.listen);
  const created = await api(url, 'POST', '/proxies', { name: 'no_listen', upstream: upstream.address });
  assert.match(String((created.json as { listen: string }).listen), /^127\.0\.0\.1:\d+$/);
  const all = await client.getAll();
  assert.ok(all.via_client && all.no_listen);
  const raw = await api(url, 'GET', '/proxies');
  const names = Object.keys(raw.json as object);
  assert.deepEqual(names, [...names].sort(), 'keyed by name, in order');
});

test('creating a proxy twice answers 409 "proxy already exists"; the client only sees the status', async () => {
  await api(url, 'POST', '/proxies', { name: 'twice', listen: '127.0.0.1:0', upstream: upstream.address });
  assertApiError(await api(url, 'POST', '/proxies', { name: 'twice', listen: '127.0.0.1:0', upstream: upstream.address }), 409, 'proxy already exists');
  await assert.rejects(client.createProxy({ name: 'twice', listen: '127.0.0.1:0', upstream: upstream.address }), (e: unknown) => {
    assert.ok(e instanceof ToxiproxyError);
    assert.equal((e as Error).message, 'Request failed with status code 409');
    return true;
  });
});

test('missing fields and bad bodies answer 400 with Toxiproxy\'s messages', async () => {
  assertApiError(await api(url, 'POST', '/proxies', { upstream: upstream.address }), 400, 'missing required field: name');
  assertApiError(await api(url, 'POST', '/proxies', { name: 'no_upstream' }), 400, 'missing required field: upstream');
  assertApiError(await api(url, 'POST', '/proxies', '{"name": '), 400, /^bad request body: /);
  assertApiError(await api(url, 'POST', '/proxies', ''), 400, 'bad request body: EOF');
  assertApiError(await api(url, 'POST', '/proxies', { name: 7, upstream: upstream.address }), 400, /^bad request body: name must be a string/);
});

test('a listen address already in use answers 500 and no proxy is created', async () => {
  const taken = await tcpServer(() => {});
  const res = await api(url, 'POST', '/proxies', { name: 'clash', listen: taken.address, upstream: upstream.address });
  assertApiError(res, 500, `listen tcp ${taken.address}: bind: address already in use`);
  assertApiError(await api(url, 'GET', '/proxies/clash'), 404, 'proxy not found');
});

test('GET, POST/PATCH and DELETE of a missing proxy answer 404 "proxy not found"', async () => {
  assertApiError(await api(url, 'GET', '/proxies/nope'), 404, 'proxy not found');
  assertApiError(await api(url, 'PATCH', '/proxies/nope', { enabled: false }), 404, 'proxy not found');
  assertApiError(await api(url, 'POST', '/proxies/nope', { enabled: false }), 404, 'proxy not found');
  assertApiError(await api(url, 'DELETE', '/proxies/nope'), 404, 'proxy not found');
  assertApiError(await api(url, 'GET', '/proxies/nope/toxics'), 404, 'proxy not found');
  assertApiError(await api(url, 'POST', '/proxies/nope/toxics', { type: 'latency' }), 404, 'proxy not found');
});

test('updating a proxy changes enabled, listen and upstream; a new upstream takes effect', async () => {
  const created = (await api(url, 'POST', '/proxies', { name: 'updatable', listen: '127.0.0.1:0', upstream: upstream.address })).json as { listen: string };
  const disabled = await api(url, 'PATCH', '/proxies/updatable', { enabled: false });
  assert.equal(disabled.status, 200);
  assert.equal((disabled.json as { enabled: boolean }).enabled, false);
  assert.equal((disabled.json as { listen: string }).listen, created.listen, 'listen unchanged');
  const enabled = await api(url, 'POST', '/proxies/updatable', { enabled: true }); // POST: deprecated but accepted
  assert.equal((enabled.json as { enabled: boolean }).enabled, true);

  const other = await tcpServer((s) => s.end('other'));
  const moved = await api(url, 'PATCH', '/proxies/updatable', { upstream: other.address, listen: '127.0.0.1:0' });
  const body = moved.json as { upstream: string; listen: string; enabled: boolean };
  assert.equal(body.upstream, other.address);
  assert.equal(body.enabled, true);
  const { got } = await open(portOf(body.listen));
  await until(() => got.ending !== undefined, 3000, 'the new upstream answers and closes');
  assert.equal(Buffer.concat(got.chunks).toString(), 'other');

  // The client's update sends all three fields, as POST.
  const proxy = await client.get('updatable');
  const updated = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(updated.enabled, false);
});

test('DELETE /proxies/{p} answers 204 and closes its listener', async () => {
  const { listen } = (await api(url, 'POST', '/proxies', { name: 'doomed', listen: '127.0.0.1:0', upstream: upstream.address })).json as { listen: string };
  const res = await api(url, 'DELETE', '/proxies/doomed');
  assert.equal(res.status, 204);
  assert.equal(res.text, '');
  await assert.rejects(open(portOf(listen)), { code: 'ECONNREFUSED' });
  const proxy = await client.createProxy({ name: 'doomed', listen: '127.0.0.1:0', upstream: upstream.address });
  await proxy.remove();
  await assert.rejects(client.get('doomed'), /status code 404/);
});

test('toxics: add answers 200 with Toxiproxy\'s defaults and every attribute', async () => {
  await api(url, 'POST', '/proxies', { name: 'toxic_defaults', listen: '127.0.0.1:0', upstream: upstream.address });
  const res = await api(url, 'POST', '/proxies/toxic_defaults/toxics', { type: 'latency', attributes: { latency: 10 } });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { attributes: { latency: 10, jitter: 0 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1 });
  const expected: Record<string, Record<string, number>> = {
    bandwidth: { rate: 0 },
    slow_close: { delay: 0 },
    timeout: { timeout: 0 },
    reset_peer: { timeout: 0 },
    slicer: { average_size: 0, size_variation: 0, delay: 0 },
    limit_data: { bytes: 0 },
  };
  for (const [type, attributes] of Object.entries(expected)) {
    const added = await api(url, 'POST', '/proxies/toxic_defaults/toxics', { type, stream: 'upstream', toxicity: 0 });
    assert.equal(added.status, 200, type);
    assert.deepEqual((added.json as { attributes: unknown }).attributes, attributes, type);
    assert.equal((added.json as { name: string }).name, `${type}_upstream`);
  }
  const list = (await api(url, 'GET', '/proxies/toxic_defaults/toxics')).json as { name: string; stream: string }[];
  assert.deepEqual(
    list.map((t) => t.stream),
    ['upstream', 'upstream', 'upstream', 'upstream', 'upstream', 'upstream', 'downstream'],
    'upstream toxics are listed first',
  );
  const proxy = (await api(url, 'GET', '/proxies/toxic_defaults')).json as { toxics: unknown[] };
  assert.equal(proxy.toxics.length, 7);
});

test('toxics: 409 for a name in use (two unnamed toxics of a type on a stream), 400 for a bad type, stream or attribute', async () => {
  await api(url, 'POST', '/proxies', { name: 'toxic_errors', listen: '127.0.0.1:0', upstream: upstream.address });
  await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'latency', stream: 'upstream' });
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'latency', stream: 'upstream' }), 409, 'toxic already exists');
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'down' }), 400, 'invalid toxic type');
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'latency', stream: 'sideways' }), 400, 'stream was invalid, can be either upstream or downstream');
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'latency', name: 'frac', attributes: { latency: 1.5 } }), 400, /^bad request body: attribute latency/);
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', { type: 'latency', name: 'str', attributes: { latency: '100' } }), 400, /^bad request body: /);
  assertApiError(await api(url, 'POST', '/proxies/toxic_errors/toxics', [1]), 400, /^bad request body: /);
  const proxy = await client.get('toxic_errors');
  await assert.rejects(proxy.addToxic({ type: 'latency', stream: 'upstream', name: 'latency_upstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } }), /status code 409/);
});

test('toxics: get, update (attributes merged, toxicity; nothing else) and delete, with 404 "toxic not found"', async () => {
  const proxy = await client.createProxy({ name: 'toxic_crud', listen: '127.0.0.1:0', upstream: upstream.address });
  const toxic = await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'upstream', toxicity: 0.5, attributes: { latency: 100, jitter: 10 } });
  assert.deepEqual(toxic.toJson(), { attributes: { latency: 100, jitter: 10 }, name: 'slow', stream: 'upstream', toxicity: 0.5, type: 'latency' });
  const fetched = await proxy.getToxic('slow');
  assert.deepEqual(fetched.toJson(), toxic.toJson());

  const patched = await api(url, 'PATCH', '/proxies/toxic_crud/toxics/slow', { attributes: { jitter: 5 }, name: 'renamed', stream: 'downstream', type: 'bandwidth' });
  assert.deepEqual(patched.json, { attributes: { latency: 100, jitter: 5 }, name: 'slow', type: 'latency', stream: 'upstream', toxicity: 0.5 });
  const updated = await fetched.update({ ...fetched.toJson(), attributes: { latency: 200, jitter: 0 }, toxicity: 1 });
  assert.deepEqual(updated.toJson(), { attributes: { latency: 200, jitter: 0 }, name: 'slow', stream: 'upstream', toxicity: 1, type: 'latency' });

  assertApiError(await api(url, 'GET', '/proxies/toxic_crud/toxics/nope'), 404, 'toxic not found');
  assertApiError(await api(url, 'PATCH', '/proxies/toxic_crud/toxics/nope', { toxicity: 1 }), 404, 'toxic not found');
  assertApiError(await api(url, 'DELETE', '/proxies/toxic_crud/toxics/nope'), 404, 'toxic not found');
  const removed = await api(url, 'DELETE', '/proxies/toxic_crud/toxics/slow');
  assert.equal(removed.status, 204);
  await assert.rejects(proxy.getToxic('slow'), /status code 404/);
  assert.deepEqual((await api(url, 'GET', '/proxies/toxic_crud/toxics')).json, []);
});

test('POST /populate creates proxies (201), keeps unchanged ones, replaces changed ones', async () => {
  const first = await api(url, 'POST', '/populate', [
    { name: 'pop_a', listen: '127.0.0.1:0', upstream: upstream.address },
    { name: 'pop_b', listen: '127.0.0.1:0', upstream: upstream.address, enabled: false },
  ]);
  assert.equal(first.status, 201);
  const proxies = (first.json as { proxies: { name: string; listen: string; enabled: boolean }[] }).proxies;
  assert.deepEqual(proxies.map((p) => [p.name, p.enabled]), [['pop_a', true], ['pop_b', false]]);
  const a = proxies[0];
  await api(url, 'POST', '/proxies/pop_a/toxics', { type: 'latency', attributes: { latency: 1 } });

  const same = await api(url, 'POST', '/populate', [{ name: 'pop_a', listen: a.listen, upstream: upstream.address }]);
  const kept = (same.json as { proxies: { listen: string; toxics: unknown[] }[] }).proxies[0];
  assert.equal(kept.listen, a.listen, 'same listen and upstream: kept as it is');
  assert.equal(kept.toxics.length, 1, 'with its toxics');

  const other = await echoServer();
  const changed = await api(url, 'POST', '/populate', [{ name: 'pop_a', listen: '127.0.0.1:0', upstream: other.address }]);
  const replaced = (changed.json as { proxies: { upstream: string; toxics: unknown[] }[] }).proxies[0];
  assert.equal(replaced.upstream, other.address);
  assert.deepEqual(replaced.toxics, [], 'a replaced proxy starts without toxics');

  const viaClient = await client.populate([{ name: 'pop_c', listen: '127.0.0.1:0', upstream: upstream.address }]);
  assert.equal(viaClient.pop_c.name, 'pop_c');
});

test('POST /populate reports a missing field with its position, and errors with the proxies applied before', async () => {
  const missing = await api(url, 'POST', '/populate', [{ name: 'ok', upstream: upstream.address }, { upstream: upstream.address }]);
  assertApiError(missing, 400, 'missing required field: name at proxy 2', /^application\/json/);
  assert.equal((missing.json as { proxies: unknown }).proxies, null);
  assertApiError(await api(url, 'GET', '/proxies/ok'), 404, 'proxy not found');

  const taken = await tcpServer(() => {});
  const partial = await api(url, 'POST', '/populate', [
    { name: 'pop_first', listen: '127.0.0.1:0', upstream: upstream.address },
    { name: 'pop_clash', listen: taken.address, upstream: upstream.address },
  ]);
  assertApiError(partial, 500, /address already in use/, /^application\/json/);
  assert.deepEqual((partial.json as { proxies: { name: string }[] }).proxies.map((p) => p.name), ['pop_first']);
  assertApiError(await api(url, 'POST', '/populate', { name: 'not_an_array' }), 400, /^bad request body: /, /^application\/json/);
});

test('POST /reset (204) re-enables every proxy and removes every toxic; the proxies stay', async () => {
  const p = await client.createProxy({ name: 'resettable', listen: '127.0.0.1:0', upstream: upstream.address });
  await p.addToxic({ name: 'lat', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 500, jitter: 0 } });
  await p.update({ enabled: false, listen: p.listen, upstream: p.upstream });
  const res = await api(url, 'POST', '/reset');
  assert.equal(res.status, 204);
  const after = (await api(url, 'GET', '/proxies/resettable')).json as { enabled: boolean; toxics: unknown[]; listen: string };
  assert.equal(after.enabled, true);
  assert.deepEqual(after.toxics, []);
  assert.equal(after.listen, p.listen, 're-enabled on the same port');
  const { socket, got } = await open(portOf(after.listen));
  assert.ok((await roundTrip(socket, got)) < 400, 'no latency left');
  await client.reset();
});

test('a browser User-Agent is turned away with 403, as Toxiproxy does', async () => {
  const res = await api(url, 'GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
  assert.equal(res.status, 403);
  assert.equal(res.text, 'User agent not allowed\n');
  assert.equal((await api(url, 'GET', '/proxies', undefined, { 'user-agent': 'curl/8.0' })).status, 200);
});

test('unknown paths answer 404, known paths with another method 405', async () => {
  assert.equal((await api(url, 'GET', '/nothing')).status, 404);
  assert.equal((await api(url, 'GET', '/proxies/')).status, 404);
  assert.equal((await api(url, 'PUT', '/proxies')).status, 405);
  assert.equal((await api(url, 'GET', '/reset')).status, 405);
});

test('GET /metrics counts bytes per proxy and direction with Toxiproxy\'s labels', async () => {
  const p = await client.createProxy({ name: 'metered', listen: '127.0.0.1:0', upstream: upstream.address });
  const { socket, got } = await open(portOf(p.listen));
  await roundTrip(socket, got, 'x'.repeat(1000));
  const res = await api(url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const labels = (direction: string) => `{direction="${direction}",listener="${p.listen}",proxy="metered",upstream="${upstream.address}"}`;
  for (const d of ['upstream', 'downstream']) {
    assert.ok(res.text.includes(`toxiproxy_proxy_received_bytes_total${labels(d)} 1000`), `received ${d}\n${res.text}`);
    assert.ok(res.text.includes(`toxiproxy_proxy_sent_bytes_total${labels(d)} 1000`), `sent ${d}`);
  }
  assert.match(res.text, /# TYPE toxiproxy_proxy_received_bytes_total counter/);
});

test('a proxy whose upstream is down accepts the client, then closes it (not ECONNREFUSED)', async () => {
  const p = await client.createProxy({ name: 'upstream_down', listen: '127.0.0.1:0', upstream: `127.0.0.1:${await deadPort()}` });
  const { got } = await open(portOf(p.listen));
  await until(() => got.ending !== undefined, 3000, 'the proxy closes the client');
  assert.notEqual(got.ending, 'ECONNREFUSED');
  assert.equal(got.bytes, 0);
});

test('a missing proxy or toxic is reported before a bad body, as Toxiproxy looks them up first', async () => {
  assertApiError(await api(url, 'PATCH', '/proxies/nope', '{oops'), 404, 'proxy not found');
  await api(url, 'POST', '/proxies', { name: 'lookup_first', listen: '127.0.0.1:0', upstream: upstream.address });
  assertApiError(await api(url, 'PATCH', '/proxies/lookup_first/toxics/nope', '{oops'), 404, 'toxic not found');
  assertApiError(await api(url, 'PATCH', '/proxies/lookup_first', '{oops'), 400, /^bad request body: /);
});

test('a request that takes too long is answered 503 instead of hanging', async () => {
  const slow = await startToxiproxyServer({ seed: 1, handlerTimeoutMs: 100 });
  try {
    // A body that never finishes keeps the handler waiting.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${slow.url}/proxies`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } }, (r) => {
        let body = '';
        r.setEncoding('utf8').on('data', (d: string) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('{"name":');
    });
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.body), { error: 'request not handled within 100ms', status: 503 });
  } finally {
    await slow.close();
  }
});
