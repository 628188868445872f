import assert from 'node:assert/strict';
import { afterAll, test } from 'vitest';
import type { Link } from '../../../src/chaos/links/link-plan.ts';
import { Wire } from '../../../src/chaos/links/wire.ts';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.ts';
import { echoServer, open, roundTrip, startEngine } from '../helpers.ts';

const { server } = await startEngine(5);
const echo = await echoServer();
const driver = new ToxiproxyDriver({ url: server.url, timeoutMs: 2000 });
afterAll(async () => {
  driver.close();
  await server.close();
  echo.server.close();
  for (const s of echo.sockets) s.destroy();
});

const link = (from: string, fromService: string, to: string, toService: string): Link => ({ name: `${from}__${to}`, fromInstance: from, fromService, toInstance: to, toService });
const LINKS = [link('front-0', 'front', 'store-0', 'store'), link('front-0', 'front', 'store-1', 'store'), link('ingress', 'client', 'front-0', 'front')];
const inbound = () => ({ host: '127.0.0.1', port: echo.port });

test('a shared server gets the run prefix on every proxy; faults land on the target links only; teardown leaves nothing', async () => {
  const wire = new Wire(driver, LINKS, { prefix: 'meshproof-r1-', engineNote: 'test engine' });
  await wire.setup(inbound);
  const names = (await driver.listProxies()).map((p) => p.name).sort();
  assert.deepEqual(names, ['meshproof-r1-front-0__store-0', 'meshproof-r1-front-0__store-1', 'meshproof-r1-ingress__front-0']);
  const to1 = wire.addressFor('front-0', 'store-1')!;
  assert.ok(to1.port > 0);
  assert.equal(wire.addressFor('front-0', 'nowhere'), undefined);

  const detail = await wire.applyToxic('slow', { kind: 'edge', from: 'front', to: 'store', toInstance: 'store-1' }, { type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
  assert.equal(detail, 'latency toxic (downstream, latency=200 jitter=0) on 1 link(s): front-0→store-1 (test engine)');
  assert.deepEqual((await driver.listToxics('meshproof-r1-front-0__store-1')).map((t) => t.name), ['slow']);
  assert.deepEqual(await driver.listToxics('meshproof-r1-front-0__store-0'), []);
  const { socket, got } = await open(to1.port);
  assert.ok((await roundTrip(socket, got)) >= 190, 'the toxic is on the wire');
  socket.destroy();

  assert.equal(await wire.partition([['front-0'], ['store-0']], false), '1 link(s) cut between [front-0] and [store-0] (test engine)');
  assert.equal((await driver.getProxy('meshproof-r1-front-0__store-0')).enabled, false);

  const torn = await wire.teardown();
  assert.deepEqual(torn.removed.sort(), names);
  assert.deepEqual([torn.fellBackToReset, torn.problems], [false, []]);
  assert.deepEqual(await driver.listProxies(), []);
});
