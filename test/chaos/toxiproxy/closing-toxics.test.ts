import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { Socket } from 'node:net';
import { echoServer, linkCounters, open, portOf, roundTrip, sleep, startEngine, tcpServer, until } from '../helpers.ts';

const EARLY = 3;
const LATE = 250;

const { server, client } = await startEngine();
const echo = await echoServer();

/** An upstream that records how each of its connections ended ('end' for FIN, or the error code). */
async function recordingEcho(): Promise<{ address: string; endings: string[] }> {
  const endings: string[] = [];
  const server = await tcpServer((s: Socket) => {
    let ending: string | undefined;
    s.pipe(s);
    s.on('end', () => (ending ??= 'end'));
    s.on('error', (e: NodeJS.ErrnoException) => (ending ??= e.code));
    s.on('close', () => endings.push(ending ?? 'close'));
  });
  return { address: server.address, endings };
}

test('slow_close holds back the close by `delay` ms; the data itself is not delayed', async () => {
  const bye = await tcpServer((s) => s.end('bye'));
  const proxy = await client.createProxy({ name: 'slow_close', listen: '127.0.0.1:0', upstream: bye.address });
  await proxy.addToxic({ name: 'lingering', type: 'slow_close', stream: 'downstream', toxicity: 1, attributes: { delay: 300 } });
  const { got, connectedAt } = await open(portOf(proxy.listen));
  await until(() => got.ending !== undefined, 3000, 'the close arrives');
  assert.equal(Buffer.concat(got.chunks).toString(), 'bye');
  assert.ok(got.times[0] - connectedAt < 150, `data came at once (${(got.times[0] - connectedAt).toFixed(0)}ms)`);
  const held = got.endedAt! - got.times[0];
  assert.ok(held >= 300 - EARLY && held <= 300 + LATE, `the close came ${held.toFixed(0)}ms after the data, expected about 300ms`);
  assert.equal(got.ending, 'end');
});

test('timeout drops all data and closes the connection after `timeout` ms', async () => {
  const proxy = await client.createProxy({ name: 'timeout', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'cut', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 300 } });
  const { socket, got, connectedAt } = await open(portOf(proxy.listen));
  socket.write('hello?');
  await until(() => got.ending !== undefined, 3000, 'the connection closes');
  assert.equal(got.bytes, 0, 'nothing came back');
  const after = got.endedAt! - connectedAt;
  assert.ok(after >= 300 - EARLY && after <= 300 + LATE, `closed after ${after.toFixed(0)}ms, expected about 300ms`);
});

test('timeout restarts its clock on every chunk it drops, as Toxiproxy does', async () => {
  const proxy = await client.createProxy({ name: 'timeout_restart', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'cut', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 200 } });
  const { socket, got, connectedAt } = await open(portOf(proxy.listen));
  let lastWrite = 0;
  for (let i = 0; i < 5; i++) {
    lastWrite = performance.now();
    socket.write(`x${i}`);
    await sleep(100);
  }
  await until(() => got.ending !== undefined, 3000, 'the connection closes');
  assert.ok(got.endedAt! - connectedAt >= 550, 'kept open while data kept coming');
  const quiet = got.endedAt! - lastWrite;
  assert.ok(quiet >= 200 - EARLY && quiet <= 200 + LATE, `closed ${quiet.toFixed(0)}ms after the last data, expected about 200ms`);
});

test('timeout 0 is a black hole until removed; removing it closes the connections it held', async () => {
  const proxy = await client.createProxy({ name: 'black_hole', listen: '127.0.0.1:0', upstream: echo.address });
  const toxic = await proxy.addToxic({ name: 'hole', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
  const { socket, got } = await open(portOf(proxy.listen));
  socket.write('anyone?');
  // The window counts from when the engine has read the request, so the toxic has had it all along.
  await until(() => linkCounters(server, proxy, 'upstream').received >= 7, 2000, 'the engine reads the request');
  await sleep(400);
  assert.equal(got.bytes, 0);
  assert.equal(got.ending, undefined, 'still open');
  await toxic.remove();
  await until(() => got.ending !== undefined, 2000, 'removing the toxic closes the connection');
  assert.equal(got.bytes, 0, 'what was dropped stays dropped');
});

test('reset_peer resets the connection (ECONNRESET on both sides) `timeout` ms after the first data', async () => {
  const upstream = await recordingEcho();
  const proxy = await client.createProxy({ name: 'reset', listen: '127.0.0.1:0', upstream: upstream.address });
  await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 100 } });
  const { socket, got } = await open(portOf(proxy.listen));
  const t0 = performance.now();
  socket.write('ping');
  await until(() => got.ending !== undefined, 3000, 'the connection ends');
  assert.equal(got.ending, 'ECONNRESET');
  assert.equal(got.bytes, 0, 'the response was dropped');
  const after = got.endedAt! - t0;
  assert.ok(after >= 100 - EARLY && after <= 100 + LATE, `reset after ${after.toFixed(0)}ms, expected about 100ms`);
  await until(() => upstream.endings.length === 1, 2000, 'the upstream connection ends');
  assert.equal(upstream.endings[0], 'ECONNRESET');
});

test('reset_peer on the upstream stream with timeout 0 resets at the first request byte', async () => {
  const proxy = await client.createProxy({ name: 'reset_up', listen: '127.0.0.1:0', upstream: echo.address });
  await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
  const { socket, got } = await open(portOf(proxy.listen));
  await sleep(100);
  assert.equal(got.ending, undefined, 'nothing happens before data');
  socket.write('x');
  await until(() => got.ending !== undefined, 2000, 'the connection ends');
  assert.equal(got.ending, 'ECONNRESET');
});

test('reset_peer added to a connection already open closes it with FIN, as in Toxiproxy (linger is set at connect)', async () => {
  const proxy = await client.createProxy({ name: 'reset_late', listen: '127.0.0.1:0', upstream: echo.address });
  const { socket, got } = await open(portOf(proxy.listen));
  await roundTrip(socket, got);
  await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 0 } });
  socket.write('ping');
  await until(() => got.ending !== undefined, 2000, 'the connection ends');
  assert.equal(got.ending, 'end');
});

test('limit_data lets `bytes` bytes through, then closes the connection', async () => {
  const big = await tcpServer((s) => s.write(Buffer.alloc(5000, 1)));
  const proxy = await client.createProxy({ name: 'limit', listen: '127.0.0.1:0', upstream: big.address });
  await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'downstream', toxicity: 1, attributes: { bytes: 1000 } });
  const { got } = await open(portOf(proxy.listen));
  await until(() => got.ending !== undefined, 3000, 'the connection closes');
  assert.equal(got.bytes, 1000);
});

test('limit_data counts across writes on the upstream stream', async () => {
  const received: Buffer[] = [];
  const sink = await tcpServer((s) => s.on('data', (d: Buffer) => received.push(d)));
  const proxy = await client.createProxy({ name: 'limit_up', listen: '127.0.0.1:0', upstream: sink.address });
  await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'upstream', toxicity: 1, attributes: { bytes: 10 } });
  const { socket, got } = await open(portOf(proxy.listen));
  socket.write('abcd');
  await until(() => Buffer.concat(received).length === 4, 2000, 'the first write passes');
  assert.equal(got.ending, undefined, 'still open under the limit');
  socket.write('efghijklmn');
  await until(() => got.ending !== undefined, 2000, 'the connection closes at the limit');
  assert.equal(Buffer.concat(received).toString(), 'abcdefghij');
});
