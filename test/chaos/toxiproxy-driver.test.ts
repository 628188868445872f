import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, test } from 'vitest';
import { ToxiproxyDriver, ToxiproxyDriverError } from '../../src/chaos/toxiproxy-driver.ts';
import { echoServer, open, roundTrip, startEngine, until } from './helpers.ts';

const { server } = await startEngine(3);
const echo = await echoServer();

function driverFor(url: string, timeoutMs = 2000): ToxiproxyDriver {
  const d = new ToxiproxyDriver({ url, timeoutMs });
  afterAll(() => d.close());
  return d;
}

/** An HTTP server that hands requests to `handle`, closed after the tests. */
async function httpServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handle);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  afterAll(() => {
    s.closeAllConnections();
    s.close();
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const driver = driverFor(server.url + '/');

test('version() reads the server\'s version', async () => {
  assert.equal(await driver.version(), '2.12.0-meshproof');
});

test('creates a proxy on a free port by default and reports where to connect', async () => {
  const p = await driver.createProxy({ name: 'd_create', upstream: echo.address });
  assert.equal(p.host, '127.0.0.1');
  assert.ok(p.port > 0);
  assert.equal(p.listen, `127.0.0.1:${p.port}`);
  assert.equal(p.enabled, true);
  const { socket, got } = await open(p.port);
  assert.ok((await roundTrip(socket, got)) < 500);
  assert.deepEqual(await driver.getProxy('d_create'), p);
  assert.ok((await driver.listProxies()).some((x) => x.name === 'd_create'));
});

test('adds, lists, updates (merging attributes) and removes toxics', async () => {
  await driver.createProxy({ name: 'd_toxics', upstream: echo.address });
  const added = await driver.addToxic('d_toxics', { type: 'latency', attributes: { latency: 100, jitter: 10 } });
  assert.deepEqual(added, { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 10 } });
  await driver.addToxic('d_toxics', { type: 'bandwidth', name: 'bw', stream: 'upstream', toxicity: 0.5, attributes: { rate: 1000 } });
  assert.deepEqual((await driver.listToxics('d_toxics')).map((t) => t.name), ['bw', 'latency_downstream']);
  const updated = await driver.updateToxic('d_toxics', 'latency_downstream', { attributes: { jitter: 0 } });
  assert.deepEqual(updated.attributes, { latency: 100, jitter: 0 });
  assert.equal(updated.toxicity, 1, 'toxicity kept');
  const retuned = await driver.updateToxic('d_toxics', 'bw', { toxicity: 0.25 });
  assert.deepEqual([retuned.toxicity, retuned.attributes], [0.25, { rate: 1000 }]);
  await driver.removeToxic('d_toxics', 'bw');
  assert.deepEqual((await driver.listToxics('d_toxics')).map((t) => t.name), ['latency_downstream']);
});

test('disables and enables a proxy', async () => {
  const p = await driver.createProxy({ name: 'd_down', upstream: echo.address });
  const down = await driver.setEnabled('d_down', false);
  assert.equal(down.enabled, false);
  assert.equal(down.listen, p.listen);
  await assert.rejects(open(p.port), { code: 'ECONNREFUSED' });
  const up = await driver.setEnabled('d_down', true);
  assert.equal(up.enabled, true);
  const { socket, got } = await open(up.port);
  assert.ok((await roundTrip(socket, got)) < 500);
});

test('populates proxies, and an empty list is no call at all', async () => {
  const ps = await driver.populate([
    { name: 'd_pop1', upstream: echo.address },
    { name: 'd_pop2', upstream: echo.address, enabled: false },
  ]);
  assert.deepEqual(ps.map((p) => [p.name, p.enabled]), [['d_pop1', true], ['d_pop2', false]]);
  assert.deepEqual(await driver.populate([]), []);
});

test('errors carry the HTTP status the client drops', async () => {
  await driver.createProxy({ name: 'd_dup', upstream: echo.address });
  await assert.rejects(driver.createProxy({ name: 'd_dup', upstream: echo.address }), (e: unknown) => {
    assert.ok(e instanceof ToxiproxyDriverError);
    assert.equal(e.status, 409);
    assert.equal(e.code, 'MESHPROOF_FAULT_INJECTION_FAILED');
    assert.match(e.message, /^create proxy "d_dup": Toxiproxy answered 409 \(already exists\)/);
    return true;
  });
  await assert.rejects(driver.getProxy('d_missing'), { status: 404 });
  await assert.rejects(driver.addToxic('d_dup', { type: 'latency', stream: 'sideways' as 'upstream', attributes: {} }), { status: 400 });
});

test('a name that would break the URL is refused before any request', async () => {
  await assert.rejects(driver.createProxy({ name: 'a/b', upstream: echo.address }), /invalid proxy name "a\/b"/);
  await assert.rejects(driver.removeToxic('ok', 'x?y'), /invalid toxic name/);
});

test('a server that never answers times the call out, and the request is aborted', async () => {
  let aborted = 0;
  const url = await httpServer((req) => req.on('close', () => aborted++));
  const slow = driverFor(url, 300);
  const t0 = performance.now();
  await assert.rejects(slow.createProxy({ name: 'x', upstream: echo.address }), (e: unknown) => {
    assert.ok(e instanceof ToxiproxyDriverError);
    assert.equal(e.timedOut, true);
    assert.match(e.message, /no answer from Toxiproxy at .* within 300ms/);
    return true;
  });
  const took = performance.now() - t0;
  assert.ok(took >= 290 && took < 1500, `gave up after ${took.toFixed(0)}ms`);
  await until(() => aborted === 1, 2000, 'the server sees the request go away');
});

test('an unreachable server fails fast with a clear message', async () => {
  const gone = driverFor('http://127.0.0.1:9', 2000);
  await assert.rejects(gone.version(), /get version: cannot reach Toxiproxy at http:\/\/127\.0\.0\.1:9/);
});

test('close() aborts calls in flight and refuses new ones', async () => {
  const url = await httpServer(() => {});
  const d = driverFor(url, 10_000);
  const pending = d.listProxies();
  d.close();
  await assert.rejects(pending, /driver was closed|driver closed/);
  await assert.rejects(d.reset(), /the driver is closed/);
});

test('teardown removes toxics and proxies, and falls back to /reset when removing hangs', async () => {
  await driver.createProxy({ name: 'd_td1', upstream: echo.address });
  await driver.addToxic('d_td1', { type: 'timeout', attributes: { timeout: 0 } });
  await driver.createProxy({ name: 'd_td2', upstream: echo.address });
  await driver.setEnabled('d_td2', false);
  const clean = await driver.teardown(['d_td1', 'd_td2', 'd_never_created']);
  assert.deepEqual(clean, { removed: ['d_td1', 'd_td2', 'd_never_created'], fellBackToReset: false, problems: [] });
  await assert.rejects(driver.getProxy('d_td1'), { status: 404 });

  // A server like a real Toxiproxy under load: DELETE hangs, everything else works.
  const hanging = await httpServer((req, res) => {
    if (req.method !== 'DELETE') server.engine.handle(req, res);
  });
  const d = driverFor(hanging, 300);
  const p = await d.createProxy({ name: 'd_hang', upstream: echo.address });
  await d.addToxic('d_hang', { type: 'latency', attributes: { latency: 1000 } });
  await d.setEnabled('d_hang', false);
  const report = await d.clearFaults(['d_hang']);
  assert.equal(report.fellBackToReset, true);
  assert.match(report.problems[0], /remove toxic "latency_downstream" from proxy "d_hang": no answer .* within 300ms/);
  assert.deepEqual(await d.listToxics('d_hang'), [], '/reset removed the toxic');
  assert.equal((await d.getProxy('d_hang')).enabled, true, '/reset enabled the proxy');
  const { socket, got } = await open(p.port);
  assert.ok((await roundTrip(socket, got)) < 500, 'traffic flows again');
  const td = await d.teardown(['d_hang']);
  assert.deepEqual(td.removed, []);
  assert.match(td.problems.at(-1)!, /delete proxy "d_hang": no answer/);
});
