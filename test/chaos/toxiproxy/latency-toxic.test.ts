import assert from 'node:assert/strict';
import { test } from 'vitest';
import { echoServer, linkCounters, open, portOf, roundTrip, sleep, startEngine, tcpServer, until } from '../helpers.ts';

// Timers never fire early by more than the event loop's 1 ms clock, so lower bounds are tight; a
// busy machine only makes things later, so upper bounds are generous.
const EARLY = 2;
const LATE = 120;

const { server, client } = await startEngine();
const echo = await echoServer();

test('latency delays every response by `latency` ms', async () => {
  const proxy = await client.createProxy({ name: 'lat', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 150, jitter: 0 } });
  const { socket, got } = await open(portOf(proxy.listen));
  for (let i = 0; i < 5; i++) {
    const rt = await roundTrip(socket, got, `ping${i}`);
    assert.ok(rt >= 150 - EARLY && rt <= 150 + LATE, `round trip ${i}: ${rt.toFixed(1)}ms, expected about 150ms`);
  }
});

test('latency counts from when each chunk was read, so chunks in flight are not delayed one after another', async () => {
  const arrivals: { bytes: number; at: number }[] = [];
  let total = 0;
  const sink = await tcpServer((s) =>
    s.on('data', (d: Buffer) => {
      total += d.length;
      arrivals.push({ bytes: total, at: performance.now() });
    }),
  );
  const proxy = await client.createProxy({ name: 'lat_pipeline', listen: '127.0.0.1:0', upstream: sink.address });
  await proxy.addToxic({ name: 'slow_requests', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
  const { socket } = await open(portOf(proxy.listen));
  const writes: number[] = [];
  for (let i = 0; i < 5; i++) {
    writes.push(performance.now());
    socket.write('0123456789');
    await sleep(40);
  }
  await until(() => total >= 50, 3000, 'all five chunks arrive');
  for (let i = 0; i < 5; i++) {
    const arrived = arrivals.find((a) => a.bytes >= (i + 1) * 10)!.at;
    const delay = arrived - writes[i];
    assert.ok(delay >= 200 - EARLY && delay <= 200 + LATE, `chunk ${i} took ${delay.toFixed(1)}ms, expected about 200ms`);
  }
  const span = arrivals.at(-1)!.at - writes[0];
  assert.ok(span < 200 * 5, `the last chunk arrived ${span.toFixed(0)}ms after the first was sent: delays did not pile up`);
});

test('jitter spreads each delay uniformly within latency ± jitter', async () => {
  const proxy = await client.createProxy({ name: 'lat_jitter', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'jittery', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 40 } });
  const { socket, got } = await open(portOf(proxy.listen));
  const rts: number[] = [];
  for (let i = 0; i < 15; i++) rts.push(await roundTrip(socket, got, `j${i}`));
  for (const rt of rts) assert.ok(rt >= 60 - EARLY && rt <= 140 + LATE, `round trip ${rt.toFixed(1)}ms outside 100 ± 40ms`);
  const spread = Math.max(...rts) - Math.min(...rts);
  assert.ok(spread >= 10, `15 draws should spread, got ${rts.map((r) => r.toFixed(0)).join(', ')}`);
});

test('stacked latency toxics add up', async () => {
  const proxy = await client.createProxy({ name: 'lat_stacked', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'first', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } });
  await proxy.addToxic({ name: 'second', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } });
  await proxy.addToxic({ name: 'third', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } });
  const { socket, got } = await open(portOf(proxy.listen));
  const rt = await roundTrip(socket, got);
  assert.ok(rt >= 250 - 2 * EARLY && rt <= 250 + LATE, `round trip ${rt.toFixed(1)}ms, expected about 100 + 100 + 50`);
});

test('adding latency slows connections already open; removing it restores them, passing held data on', async () => {
  const proxy = await client.createProxy({ name: 'lat_live', listen: '127.0.0.1:0', upstream: echo.address });
  const { socket, got } = await open(portOf(proxy.listen));
  assert.ok((await roundTrip(socket, got)) < 100, 'fast before');
  const toxic = await proxy.addToxic({ name: 'added_late', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 300, jitter: 0 } });
  const slow = await roundTrip(socket, got);
  assert.ok(slow >= 300 - EARLY, `slow once added: ${slow.toFixed(1)}ms`);
  // A response held by the toxic when it is removed is released at once, not dropped.
  const before = got.bytes;
  const responses = linkCounters(server, proxy, 'downstream');
  const read = responses.received;
  const t0 = performance.now();
  socket.write('held');
  await until(() => responses.received >= read + 4, 1000, 'the response reaches the toxic');
  await toxic.remove();
  await until(() => got.bytes >= before + 4, 1000, 'the held response arrives');
  assert.ok(got.times.at(-1)! - t0 < 250, 'released when the toxic went, not after its 300ms');
  assert.ok((await roundTrip(socket, got)) < 100, 'fast after');
});
