import assert from 'node:assert/strict';
import { test } from 'vitest';
import { linkCounters, open, portOf, sleep, startEngine, tcpServer, until } from '../helpers.ts';

const { server, client } = await startEngine();
const PAYLOAD = 100_000;
// Sends 100 kB as soon as a client connects.
const sender = await tcpServer((s) => s.end(Buffer.alloc(PAYLOAD, 7)));

test('bandwidth paces a link to `rate` KB/s, within 10%', async () => {
  const proxy = await client.createProxy({ name: 'bw', listen: '127.0.0.1:0', upstream: sender.address });
  await proxy.addToxic({ name: 'narrow', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 100 } });
  const { got, connectedAt } = await open(portOf(proxy.listen));
  await until(() => got.bytes >= PAYLOAD, 5000, 'all bytes arrive');
  const seconds = (got.times.at(-1)! - connectedAt) / 1000;
  const rate = PAYLOAD / 1000 / seconds;
  assert.ok(rate >= 90 && rate <= 110, `measured ${rate.toFixed(1)} KB/s (${seconds.toFixed(3)}s for 100 kB), expected 100 ± 10%`);
  // Paced, not all at the end: after half the time, about half the data.
  const half = got.times.findIndex((t) => t - connectedAt >= 500);
  const byHalf = got.chunks.slice(0, half).reduce((n, c) => n + c.length, 0);
  assert.ok(byHalf >= 30_000 && byHalf <= 70_000, `${byHalf} bytes after 500ms`);
  assert.equal(got.chunks.reduce((n, c) => n + c.length, 0), PAYLOAD);
});

test('bandwidth 0 lets nothing through until the toxic is removed', async () => {
  const proxy = await client.createProxy({ name: 'bw_zero', listen: '127.0.0.1:0', upstream: sender.address });
  const toxic = await proxy.addToxic({ name: 'stopped', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 0 } });
  const { got } = await open(portOf(proxy.listen));
  // The window counts from when the engine has read the data, so the toxic has had it all along.
  await until(() => linkCounters(server, proxy, 'downstream').received > 0, 2000, 'the engine reads what the upstream sends');
  await sleep(300);
  assert.equal(got.bytes, 0, 'nothing flows at rate 0');
  await toxic.remove();
  await until(() => got.bytes >= PAYLOAD, 3000, 'everything arrives once the toxic is gone');
});
