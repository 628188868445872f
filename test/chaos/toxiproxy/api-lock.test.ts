// Who may drive the fault engine (issue 16). A run's engine (engine-process.ts, a real child of the
// harness) takes writes only with the run's credential; `meshproof toxiproxy` on its own keeps
// Toxiproxy's API for any client, with no credential. Both answer only a Host naming loopback.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { bearerHeader, newRunCredential } from '../../../src/auth/run-credential.ts';
import { ToxiproxyDriver } from '../../../src/chaos/toxiproxy-driver.ts';
import { startToxiproxyServer, type StartedToxiproxyServer } from '../../../src/chaos/toxiproxy/toxiproxy-server.ts';
import { spawnNodeChild, stopChild, type SpawnedChild } from '../../../src/process/child-process.ts';

const ENGINE_MAIN = fileURLToPath(new URL('../../../src/chaos/toxiproxy/engine-process.ts', import.meta.url));

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request with exactly these headers (the Host too, when given). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function refused(a: Answer, status: number, message: RegExp): void {
  assert.equal(a.status, status, a.body);
  const body = JSON.parse(a.body) as { error: string; status: number };
  assert.equal(body.status, status);
  assert.match(body.error, message);
}

const JSON_TYPE = { 'content-type': 'application/json' };
const proxyBody = (name: string) => JSON.stringify({ name, upstream: '127.0.0.1:9', listen: '127.0.0.1:0' });

describe("a run's engine (a child of the harness, with the run's credential)", () => {
  const credential = newRunCredential();
  let engine: SpawnedChild;
  let port: number;
  beforeAll(async () => {
    engine = await spawnNodeChild({ name: 'fault engine', script: ENGINE_MAIN, env: { MESHPROOF_SEED: '9' }, credential, readyTimeoutMs: 15_000 });
    assert.ok(engine.ready.type === 'ready' && engine.ready.role === 'fault-engine');
    port = engine.ready.port;
  });
  afterAll(() => stopChild(engine.child));

  test('the credential came over IPC: not in its command line or environment', () => {
    for (const file of ['cmdline', 'environ']) assert.ok(!readFileSync(`/proc/${engine.child.pid}/${file}`, 'utf8').includes(credential), file);
  });

  test('writes without the credential, or with another one: 401, and nothing is created, changed or removed', async () => {
    refused(await call(port, 'POST', '/proxies', JSON_TYPE, proxyBody('nope')), 401, /needs the run's credential/);
    refused(await call(port, 'POST', '/proxies', { ...JSON_TYPE, ...bearerHeader(newRunCredential()) }, proxyBody('nope')), 401, /not this run's/);
    refused(await call(port, 'POST', '/populate', JSON_TYPE, `[${proxyBody('nope')}]`), 401, /credential/);
    refused(await call(port, 'POST', '/reset', {}), 401, /credential/);
    assert.equal((await call(port, 'GET', '/proxies/nope')).status, 404);

    const driver = new ToxiproxyDriver({ url: `http://127.0.0.1:${port}`, credential });
    try {
      await driver.createProxy({ name: 'kept', upstream: '127.0.0.1:9' });
      await driver.addToxic('kept', { type: 'latency', attributes: { latency: 5 } });
      refused(await call(port, 'DELETE', '/proxies/kept', {}), 401, /credential/);
      refused(await call(port, 'POST', '/proxies/kept', JSON_TYPE, '{"enabled": false}'), 401, /credential/);
      refused(await call(port, 'DELETE', '/proxies/kept/toxics/latency_downstream', {}), 401, /credential/);
      refused(await call(port, 'POST', '/proxies/kept/toxics', JSON_TYPE, '{"type":"timeout","attributes":{"timeout":0}}'), 401, /credential/);
      const kept = await driver.getProxy('kept');
      assert.equal(kept.enabled, true);
      assert.deepEqual((await driver.listToxics('kept')).map((t) => t.name), ['latency_downstream']);
      await driver.removeProxy('kept');
    } finally {
      driver.close();
    }
  });

  test('reads need no credential: the proxies, a proxy, its toxics, the version, the metrics', async () => {
    for (const path of ['/version', '/proxies', '/metrics']) assert.equal((await call(port, 'GET', path)).status, 200, path);
  });

  test('a Host that is not loopback with this port: 421, for reads and writes, with the credential or not', async () => {
    refused(await call(port, 'GET', '/proxies', { host: `evil.example:${port}` }), 421, /DNS rebinding/);
    refused(await call(port, 'POST', '/proxies', { ...JSON_TYPE, ...bearerHeader(credential), host: `evil.example:${port}` }, proxyBody('rebound')), 421, /is not this listener/);
    refused(await call(port, 'GET', '/proxies', { host: `127.0.0.1:${port + 1}` }), 421, /another port/);
    assert.equal((await call(port, 'GET', '/proxies', { host: `localhost:${port}` })).status, 200);
    assert.equal((await call(port, 'GET', '/proxies/rebound')).status, 404);
  });

  test('browsers stay refused as before (403 / 415), with the credential too', async () => {
    assert.equal((await call(port, 'POST', '/proxies', { ...JSON_TYPE, ...bearerHeader(credential), origin: 'http://evil.example' }, proxyBody('b'))).status, 403);
    assert.equal((await call(port, 'POST', '/proxies', { 'content-type': 'text/plain', ...bearerHeader(credential) }, proxyBody('b'))).status, 415);
    assert.equal((await call(port, 'GET', '/proxies/b')).status, 404);
  });
});

describe('meshproof toxiproxy on its own: Toxiproxy\'s API for any client, Host checked', () => {
  let server: StartedToxiproxyServer;
  beforeAll(async () => {
    server = await startToxiproxyServer({ seed: 1 });
  });
  afterAll(() => server.close());

  test('toxiproxy-node-client needs no credential: create, toxic, delete', async () => {
    const driver = new ToxiproxyDriver({ url: server.url });
    try {
      await driver.createProxy({ name: 'open', upstream: '127.0.0.1:9' });
      await driver.addToxic('open', { type: 'latency', attributes: { latency: 1 } });
      await driver.removeProxy('open');
    } finally {
      driver.close();
    }
  });

  test("toxiproxy-cli's request (Go's user agent, Host localhost:<port>, no Content-Type) is accepted", async () => {
    const created = await call(server.port, 'POST', '/proxies', { host: `localhost:${server.port}`, 'user-agent': 'Go-http-client/1.1' }, proxyBody('cli'));
    assert.equal(created.status, 201, created.body);
    assert.equal((await call(server.port, 'DELETE', '/proxies/cli', { host: `[::1]:${server.port}` })).status, 204);
  });

  test('a DNS-rebound name or another port in Host: 421', async () => {
    refused(await call(server.port, 'POST', '/proxies', { ...JSON_TYPE, host: `evil.example:${server.port}` }, proxyBody('rebound')), 421, /DNS rebinding/);
    refused(await call(server.port, 'GET', '/proxies', { host: 'localhost' }), 421, /another port/);
    assert.equal((await call(server.port, 'GET', '/proxies/rebound')).status, 404);
  });

  test('behind a published port (hostHeader any-port) a loopback name with any port passes; unchecked (bound beyond loopback on purpose) takes any Host', async () => {
    const published = await startToxiproxyServer({ seed: 1, hostHeader: 'any-port' });
    const open = await startToxiproxyServer({ seed: 1, hostHeader: 'unchecked' });
    try {
      assert.equal((await call(published.port, 'GET', '/proxies', { host: '127.0.0.1:32768' })).status, 200);
      refused(await call(published.port, 'GET', '/proxies', { host: 'fault-engine:8474' }), 421, /not this listener/);
      assert.equal((await call(open.port, 'GET', '/proxies', { host: 'toxiproxy.internal:8474' })).status, 200);
    } finally {
      await Promise.all([published.close(), open.close()]);
    }
  });
});
