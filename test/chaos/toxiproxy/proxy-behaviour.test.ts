import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'vitest';
import type { Proxy as ClientProxy } from 'toxiproxy-node-client';
import { startToxiproxyServer, type StartedToxiproxyServer } from '../../../src/chaos/toxiproxy/toxiproxy-server.ts';
import { Toxiproxy } from 'toxiproxy-node-client';
import { echoServer, open, portOf, roundTrip, startEngine, tcpServer, until } from '../helpers.ts';

const { server, client } = await startEngine(1234);
const echo = await echoServer();

function digest(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

test('without toxics bytes pass through unchanged, both ways, in bulk', async () => {
  const proxy = await client.createProxy({ name: 'bulk', listen: '127.0.0.1:0', upstream: echo.address });
  const { socket, got } = await open(portOf(proxy.listen));
  const payload = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
  socket.write(payload);
  await until(() => got.bytes >= payload.length, 20_000, 'the echo of 8 MiB');
  assert.equal(digest(Buffer.concat(got.chunks)), digest(payload));
});

test('with toxics in the chain bulk data still arrives intact and in order', async () => {
  const proxy = await client.createProxy({ name: 'bulk_toxic', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 5, jitter: 5 } });
  await proxy.addToxic({ name: 'slices', type: 'slicer', stream: 'downstream', toxicity: 1, attributes: { average_size: 3000, size_variation: 1000, delay: 0 } });
  await proxy.addToxic({ name: 'lat2', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 2, jitter: 1 } });
  const { socket, got } = await open(portOf(proxy.listen));
  const payload = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  socket.write(payload);
  await until(() => got.bytes >= payload.length, 20_000, 'the echo of 2 MiB');
  assert.equal(digest(Buffer.concat(got.chunks)), digest(payload));
});

test('enabled: false refuses new connections and closes open ones; enabling again listens on the same port', async () => {
  const proxy = await client.createProxy({ name: 'down', listen: '127.0.0.1:0', upstream: echo.address });
  const { socket, got } = await open(portOf(proxy.listen));
  await roundTrip(socket, got);
  const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(down.enabled, false);
  await until(() => got.ending !== undefined, 2000, 'the open connection is closed');
  await assert.rejects(open(portOf(proxy.listen)), { code: 'ECONNREFUSED' });
  const up = await down.update({ enabled: true, listen: down.listen, upstream: down.upstream });
  assert.equal(up.listen, proxy.listen);
  const again = await open(portOf(up.listen));
  assert.ok((await roundTrip(again.socket, again.got)) < 500);
});

/** Whether the toxic named `toxic` is active on each open connection of a proxy, in connection order. */
function rolls(s: StartedToxiproxyServer, proxy: string, toxic: string): boolean[] {
  return s.engine.proxies
    .get(proxy)
    .openConnections()
    .sort((a, b) => a.index - b.index)
    .map((c) => [...c.up.activeToxics(), ...c.down.activeToxics()].includes(toxic));
}

async function openConnections(s: StartedToxiproxyServer, proxy: ClientProxy, n: number): Promise<Awaited<ReturnType<typeof open>>[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(await open(portOf(proxy.listen)));
    await until(() => s.engine.proxies.get(proxy.name).openConnections().length === i + 1, 2000, 'the proxy registers the connection');
  }
  return out;
}

test('toxicity 0 never applies and 1 always applies', async () => {
  const proxy = await client.createProxy({ name: 'toxicity_edges', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'never', type: 'latency', stream: 'downstream', toxicity: 0, attributes: { latency: 300, jitter: 0 } });
  await proxy.addToxic({ name: 'always', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } });
  const conns = await openConnections(server, proxy, 5);
  for (const { socket, got } of conns) {
    const rt = await roundTrip(socket, got);
    assert.ok(rt >= 98 && rt < 300, `round trip ${rt.toFixed(0)}ms: the always toxic only`);
  }
  assert.deepEqual(rolls(server, 'toxicity_edges', 'never'), [false, false, false, false, false]);
  assert.deepEqual(rolls(server, 'toxicity_edges', 'always'), [true, true, true, true, true]);
});

test('toxicity is rolled per connection: every request on a connection gets the same fate', async () => {
  const proxy = await client.createProxy({ name: 'toxicity_half', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'coin', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 150, jitter: 0 } });
  const conns = await openConnections(server, proxy, 8);
  const fate = rolls(server, 'toxicity_half', 'coin');
  assert.ok(fate.includes(true) && fate.includes(false), `with seed 1234, eight connections get both fates: ${fate}`);
  for (const [i, { socket, got }] of conns.entries()) {
    for (let r = 0; r < 3; r++) {
      const rt = await roundTrip(socket, got, `c${i}r${r}`);
      assert.equal(rt >= 148, fate[i], `connection ${i} request ${r}: ${rt.toFixed(0)}ms, toxic ${fate[i] ? 'active' : 'inactive'}`);
    }
  }
});

test('updating a toxic re-rolls its toxicity on open connections', async () => {
  const proxy = await client.createProxy({ name: 'reroll', listen: '127.0.0.1:0', upstream: echo.address });
  const toxic = await proxy.addToxic({ name: 'dormant', type: 'latency', stream: 'downstream', toxicity: 0, attributes: { latency: 200, jitter: 0 } });
  const [{ socket, got }] = await openConnections(server, proxy, 1);
  assert.ok((await roundTrip(socket, got)) < 150);
  await toxic.update({ ...toxic.toJson(), toxicity: 1 });
  assert.ok((await roundTrip(socket, got)) >= 198, 'active after the update rolled again');
});

test('the same seed gives the same toxicity rolls; another seed, others', async () => {
  async function pattern(seed: number): Promise<boolean[]> {
    const s = await startToxiproxyServer({ seed });
    try {
      const c = new Toxiproxy(s.url);
      const proxy = await c.createProxy({ name: 'seeded', listen: '127.0.0.1:0', upstream: echo.address });
      await proxy.addToxic({ name: 'coin', type: 'timeout', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 0 } });
      const conns = await openConnections(s, proxy, 16);
      const p = rolls(s, 'seeded', 'coin');
      for (const { socket } of conns) socket.destroy();
      return p;
    } finally {
      await s.close();
    }
  }
  const a = await pattern(99);
  const b = await pattern(99);
  const c = await pattern(100);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.includes(true) && a.includes(false));
});

test('the seed is reported, and chosen at random when not given', async () => {
  assert.equal(server.seed, 1234);
  const s = await startToxiproxyServer();
  try {
    assert.ok(Number.isInteger(s.seed) && s.seed >= 0 && s.seed < 2 ** 32);
  } finally {
    await s.close();
  }
});

test('close() ends every proxy and connection', async () => {
  const s = await startToxiproxyServer({ seed: 5 });
  const c = new Toxiproxy(s.url);
  const proxy = await c.createProxy({ name: 'closing', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 10_000, jitter: 0 } });
  const { socket, got } = await open(portOf(proxy.listen));
  socket.write('pending');
  await s.close();
  await until(() => got.ending !== undefined, 2000, 'the connection is closed');
  await assert.rejects(open(portOf(proxy.listen)), { code: 'ECONNREFUSED' });
  await assert.rejects(fetch(s.url + '/version'));
});

test('a slow reader is not buffered without bound: the proxy stops reading its upstream', async () => {
  let written = 0;
  const firehose = await tcpServer((s) => {
    const chunk = Buffer.alloc(64 * 1024);
    const pump = (): void => {
      while (written < 256 * 1024 * 1024 && s.write(chunk)) written += chunk.length;
    };
    s.on('drain', pump);
    pump();
  });
  const proxy = await client.createProxy({ name: 'backpressure', listen: '127.0.0.1:0', upstream: firehose.address });
  const { socket } = await open(portOf(proxy.listen));
  socket.pause();
  // The upstream is held back: polled until it has written nothing for 300ms (a busy machine only
  // makes the buffers fill later), rather than hoping they are full after a fixed wait.
  let stalled = -1;
  let since = 0;
  await until(
    () => {
      const now = performance.now();
      if (written !== stalled) {
        stalled = written;
        since = now;
      }
      return written > 0 && now - since >= 300;
    },
    10_000,
    'the upstream is held back',
  );
  assert.ok(written < 64 * 1024 * 1024, `only socket buffers' worth was taken (${(written / 1024 / 1024).toFixed(1)} MiB)`);
});

test('toxics added, updated and removed mid-stream never lose or reorder a byte', async () => {
  const proxy = await client.createProxy({ name: 'churn', listen: '127.0.0.1:0', upstream: echo.address });
  const { socket, got } = await open(portOf(proxy.listen));
  const payload = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
  let sent = 0;
  const writer = (async () => {
    while (sent < payload.length) {
      socket.write(payload.subarray(sent, sent + 16 * 1024));
      sent += 16 * 1024;
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  const attrs = { latency: { latency: 3, jitter: 2 }, slicer: { average_size: 2000, size_variation: 500, delay: 0 }, bandwidth: { rate: 100_000 } };
  for (let round = 0; round < 6; round++) {
    const a = await proxy.addToxic({ name: 'a', type: 'latency', stream: 'upstream', toxicity: 1, attributes: attrs.latency });
    const b = await proxy.addToxic({ name: 'b', type: 'slicer', stream: 'upstream', toxicity: 1, attributes: attrs.slicer });
    const c = await proxy.addToxic({ name: 'c', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: attrs.latency });
    const d = await proxy.addToxic({ name: 'd', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: attrs.bandwidth });
    await new Promise((r) => setTimeout(r, 20));
    await b.update({ ...b.toJson(), attributes: { average_size: 500, size_variation: 100, delay: 0 } });
    await b.remove(); // from the middle
    await a.remove(); // from the front
    await d.remove(); // from the end
    await c.remove();
  }
  await writer;
  await until(() => got.bytes >= payload.length, 20_000, 'the echo of 3 MiB');
  assert.equal(digest(Buffer.concat(got.chunks)), digest(payload));
});

test('as in Toxiproxy, adding a toxic rolls again the toxicity of the toxic before it', async () => {
  const proxy = await client.createProxy({ name: 'neighbour_roll', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'first', type: 'latency', stream: 'downstream', toxicity: 0.5, attributes: { latency: 1, jitter: 0 } });
  await openConnections(server, proxy, 16);
  const before = rolls(server, 'neighbour_roll', 'first');
  await proxy.addToxic({ name: 'second', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } });
  const after = rolls(server, 'neighbour_roll', 'first');
  assert.notDeepEqual(after, before, 'the first toxic was rolled again on every connection');
  await proxy.addToxic({ name: 'elsewhere', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } });
  assert.deepEqual(rolls(server, 'neighbour_roll', 'first'), after, 'a toxic on the other stream does not touch it');
});
