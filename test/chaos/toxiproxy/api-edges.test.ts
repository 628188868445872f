// The fault engine's API at its edges (issue 16), against the real engine process: `meshproof
// toxiproxy` spawned as a child, driven over HTTP and with toxiproxy-node-client.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_BODY_BYTES } from '../../../src/chaos/toxiproxy/toxiproxy-server.ts';
import { waitFor } from '../../../src/util/http-json.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/run-toxiproxy-command.ts', import.meta.url));

interface Engine {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `meshproof toxiproxy --port 0 …` as a process; resolves once it says where it listens. */
async function startEngineProcess(args: string[] = []): Promise<Engine> {
  const child = spawn(process.execPath, [FIXTURE, '--port', '0', '--seed', '5', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await waitFor(() => /listening on (http:\/\/\S+) /.exec(out)?.[1], { timeoutMs: 15_000, intervalMs: 20, describe: () => `the engine process did not start:\n${out}` });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Answer {
  status: number;
  text: string;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request with exactly the headers given (fetch would add a Content-Type of its own). */
function call(url: string, method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string>; chunked?: boolean; agent?: Agent } = {}): Promise<Answer & { reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && !options.chunked) headers['content-length'] = String(body.length);
    const req = request({ host: target.hostname, port: target.port, method, path: target.pathname, headers, agent: options.agent ?? false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers, reusedSocket: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 10s`)));
    req.on('error', reject);
    // The server may answer before the whole body is sent: what is left still goes out, and fails quietly if the socket is gone.
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const json = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

async function echoServer(): Promise<{ address: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Whether something accepts TCP connections at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const portOf = (listen: string): number => Number(listen.slice(listen.lastIndexOf(':') + 1));

/** This machine's first IPv4 address that is not loopback (docker0 or eth0), or null. */
function ownAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

let engine: Engine;
let upstream: { address: string; close(): void };
let client: Toxiproxy;

beforeAll(async () => {
  [engine, upstream] = await Promise.all([startEngineProcess(), echoServer()]);
  client = new Toxiproxy(engine.url);
});
afterAll(async () => {
  await engine?.stop();
  upstream?.close();
});

async function proxyNames(): Promise<string[]> {
  const res = await call(engine.url, 'GET', '/proxies');
  assert.equal(res.status, 200);
  return Object.keys(res.json as object);
}

describe('proxy and toxic names', () => {
  test('a name of 100 000 characters is refused (400) before anything listens; 255 is the most', async () => {
    const huge = await call(engine.url, 'POST', '/proxies', json({ name: 'x'.repeat(100_000), listen: '127.0.0.1:0', upstream: upstream.address }));
    expect(huge.status).toBe(400);
    expect((huge.json as { error: string }).error).toMatch(/^bad request body: proxy name "x{40}"… is 100000 characters long; the most is 255$/);
    expect(await proxyNames()).toEqual([]);

    const over = await call(engine.url, 'POST', '/proxies', json({ name: 'y'.repeat(256), upstream: upstream.address }));
    expect(over.status).toBe(400);

    // The longest allowed name can be created, read, and deleted: its listener goes with it.
    const longest = 'z'.repeat(255);
    const created = await call(engine.url, 'POST', '/proxies', json({ name: longest, listen: '127.0.0.1:0', upstream: upstream.address }));
    expect(created.status).toBe(201);
    const port = portOf((created.json as { listen: string }).listen);
    expect(await accepts('127.0.0.1', port)).toBe(true);
    expect((await call(engine.url, 'GET', `/proxies/${longest}`)).status).toBe(200);
    expect((await call(engine.url, 'DELETE', `/proxies/${longest}`)).status).toBe(204);
    expect(await accepts('127.0.0.1', port)).toBe(false);
  });

  test('__proto__ and the other names every JavaScript object has are refused; nothing reaches a prototype', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await call(engine.url, 'POST', '/proxies', json({ name, listen: '127.0.0.1:0', upstream: upstream.address }));
      expect(res.status, name).toBe(400);
      expect((res.json as { error: string }).error).toContain('is a property every JavaScript object has');
    }
    expect(await proxyNames()).toEqual([]);
  });

  test('names that are not URL-safe are refused: spaces, slashes, percent signs, non-ASCII, "." and ".."', async () => {
    for (const name of ['a b', 'a/b', 'a%2Fb', 'a?b', 'a#b', 'café', '.', '..', 'tab\t']) {
      const res = await call(engine.url, 'POST', '/proxies', json({ name, listen: '127.0.0.1:0', upstream: upstream.address }));
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect((res.json as { error: string }).error).toMatch(/^bad request body: proxy name /);
    }
    expect(await proxyNames()).toEqual([]);
  });

  test('toxic names follow the same rule; populate refuses a bad name before applying any proxy', async () => {
    const p = await client.createProxy({ name: 'redis:6379', listen: '127.0.0.1:0', upstream: upstream.address });
    try {
      for (const name of ['__proto__', 't'.repeat(256), 'a b']) {
        const res = await call(engine.url, 'POST', '/proxies/redis:6379/toxics', json({ name, type: 'latency', attributes: { latency: 1 } }));
        expect(res.status, name.slice(0, 20)).toBe(400);
        expect((res.json as { error: string }).error).toMatch(/^bad request body: toxic name /);
      }
      expect((await call(engine.url, 'GET', '/proxies/redis:6379/toxics')).json).toEqual([]);
      const populated = await call(engine.url, 'POST', '/populate', json([
        { name: 'fine-1', listen: '127.0.0.1:0', upstream: upstream.address },
        { name: '__proto__', listen: '127.0.0.1:0', upstream: upstream.address },
      ]));
      expect(populated.status).toBe(400);
      expect(await proxyNames()).toEqual(['redis:6379']);
    } finally {
      await p.remove();
    }
  });
});

describe('request bodies', () => {
  test(`a 10 MB body is answered 400 on a connection that stays usable, not reset (the most is ${MAX_BODY_BYTES} bytes)`, async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const chunked of [false, true]) {
        const res = await call(engine.url, 'POST', '/proxies', { body: big, headers: { 'content-type': 'application/json' }, chunked, agent });
        expect(res.status, chunked ? 'chunked' : 'with a Content-Length').toBe(400);
        expect(res.json).toEqual({ error: `bad request body: the body is larger than ${MAX_BODY_BYTES} bytes, the most this server reads`, status: 400 });
        // The same connection answers the next request.
        const next = await call(engine.url, 'GET', '/version', { agent });
        expect(next.status).toBe(200);
        expect(next.reusedSocket).toBe(true);
      }
    } finally {
      agent.destroy();
    }
    // The engine still serves, and a body just under the limit is read in full (and found not to be JSON).
    const under = await call(engine.url, 'POST', '/proxies', { body: Buffer.alloc(MAX_BODY_BYTES, 0x20), headers: { 'content-type': 'application/json' } });
    expect(under.status).toBe(400);
    expect((under.json as { error: string }).error).toBe('bad request body: EOF');
    expect(await proxyNames()).toEqual([]);
  });
});

describe('attribute values (Toxiproxy validates none: each is what its source does with it)', () => {
  let proxy: Awaited<ReturnType<Toxiproxy['createProxy']>>;
  beforeAll(async () => {
    proxy = await client.createProxy({ name: 'values', listen: '127.0.0.1:0', upstream: upstream.address });
  });
  afterAll(async () => {
    await proxy.remove();
  });
  const add = (type: string, attributes: Record<string, number>, name = `${type}-${Object.values(attributes).join('_')}`) =>
    call(engine.url, 'POST', '/proxies/values/toxics', json({ name, type, attributes }));

  test('a negative bandwidth rate is refused (400): it crashes Toxiproxy', async () => {
    const res = await add('bandwidth', { rate: -1 });
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toBe(
      'bad request body: attribute rate of a bandwidth toxic must be at least 0, got -1: Toxiproxy crashes on a negative rate (it slices data with a negative bound); 0 lets nothing through',
    );
  });

  test('waits longer than a Node timer holds (2^31 - 1 ms) are refused (400)', async () => {
    for (const [type, attribute] of [['latency', 'latency'], ['latency', 'jitter'], ['slow_close', 'delay'], ['timeout', 'timeout'], ['reset_peer', 'timeout'], ['slicer', 'delay']] as const) {
      const res = await add(type, { [attribute]: 2 ** 31 }, `${type}-${attribute}-long`);
      expect(res.status, `${type}.${attribute}`).toBe(400);
      expect((res.json as { error: string }).error).toMatch(new RegExp(`^bad request body: attribute ${attribute} of a ${type} toxic must be at most 2147483647, got 2147483648`));
    }
    expect((await add('latency', { latency: 2 ** 31 - 1 }, 'longest')).status).toBe(200);
    expect((await call(engine.url, 'DELETE', '/proxies/values/toxics/longest')).status).toBe(204);
  });

  test('the negative values Toxiproxy accepts are accepted and shown as given', async () => {
    const accepted: [string, Record<string, number>][] = [
      ['latency', { latency: -100, jitter: -5 }],
      ['slow_close', { delay: -1 }],
      ['timeout', { timeout: -1 }],
      ['reset_peer', { timeout: -1 }],
      ['slicer', { average_size: -1, size_variation: -1, delay: -1 }],
      ['limit_data', { bytes: -1 }],
    ];
    for (const [type, attributes] of accepted) {
      const res = await add(type, attributes);
      expect(res.status, type).toBe(200);
      expect((res.json as { attributes: unknown }).attributes).toEqual(attributes);
      expect((await call(engine.url, 'DELETE', `/proxies/values/toxics/${type}-${Object.values(attributes).join('_')}`)).status).toBe(204);
    }
  });

  test('limit_data with -1 bytes does what 0 does in Toxiproxy: the link closes on its first data, passing none', async () => {
    await add('limit_data', { bytes: -1 }, 'cut');
    const socket = connect({ host: '127.0.0.1', port: portOf(proxy.listen) });
    let got = 0;
    socket.on('data', (d: Buffer) => (got += d.length));
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('hello');
    await closed;
    expect(got).toBe(0);
    expect((await call(engine.url, 'DELETE', '/proxies/values/toxics/cut')).status).toBe(204);
  });

  test('a negative latency adds no delay (Go sleeps a negative duration as none)', async () => {
    await add('latency', { latency: -1000 }, 'early');
    const socket = connect({ host: '127.0.0.1', port: portOf(proxy.listen) });
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const t0 = performance.now();
    socket.write('ping');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    // Bounded by the 1000 ms the value names: a clamp to |latency| would take that long.
    expect(performance.now() - t0).toBeLessThan(900);
    socket.destroy();
    expect((await call(engine.url, 'DELETE', '/proxies/values/toxics/early')).status).toBe(204);
  });
});

describe('where proxies listen', () => {
  test('0.0.0.0, [::] and this machine\'s own address are refused (400) and nothing is bound; loopback addresses are fine', async () => {
    const own = ownAddress();
    const refused = ['0.0.0.0:0', '[::]:0', ...(own ? [`${own}:0`] : [])];
    for (const listen of refused) {
      const res = await call(engine.url, 'POST', '/proxies', json({ name: 'wide', listen, upstream: upstream.address }));
      expect(res.status, listen).toBe(400);
      expect((res.json as { error: string }).error).toMatch(/^bad request body: listen ".*" is not a loopback address, and this engine lets proxies listen only on loopback \(127\.0\.0\.0\/8, ::1, localhost\); to expose proxies beyond this machine, start it with --host/);
    }
    expect(await proxyNames()).toEqual([]);
    for (const listen of ['127.0.0.1:0', '127.0.0.2:0', 'localhost:0', ':0', '[::1]:0']) {
      const res = await call(engine.url, 'POST', '/proxies', json({ name: 'narrow', listen, upstream: upstream.address }));
      expect(res.status, listen).toBe(201);
      expect((await call(engine.url, 'DELETE', '/proxies/narrow')).status).toBe(204);
    }
  });

  test('PATCH and populate cannot widen a proxy either', async () => {
    const p = await client.createProxy({ name: 'stays', listen: '127.0.0.1:0', upstream: upstream.address });
    try {
      const patched = await call(engine.url, 'PATCH', '/proxies/stays', json({ listen: '0.0.0.0:0' }));
      expect(patched.status).toBe(400);
      const after = (await call(engine.url, 'GET', '/proxies/stays')).json as { listen: string; enabled: boolean };
      expect(after).toMatchObject({ listen: p.listen, enabled: true });
      expect(await accepts('127.0.0.1', portOf(p.listen))).toBe(true);
      const populated = await call(engine.url, 'POST', '/populate', json([{ name: 'wide', listen: '0.0.0.0:0', upstream: upstream.address }]));
      expect(populated.status).toBe(400);
      expect(await proxyNames()).toEqual(['stays']);
    } finally {
      await p.remove();
    }
  });

  test('an engine started with --host <address> lets proxies listen there, and still not on every interface', async () => {
    const own = ownAddress();
    assert.ok(own, 'this machine has a non-loopback IPv4 address');
    const wide = await startEngineProcess(['--host', own]);
    try {
      expect(wide.url).toBe(`http://${own}:${new URL(wide.url).port}`);
      const there = await call(wide.url, 'POST', '/proxies', json({ name: 'there', listen: `${own}:0`, upstream: upstream.address }));
      expect(there.status).toBe(201);
      expect((there.json as { listen: string }).listen).toMatch(new RegExp(`^${own.replace(/\./g, '\\.')}:\\d+$`));
      expect((await call(wide.url, 'DELETE', '/proxies/there')).status).toBe(204);
      const everywhere = await call(wide.url, 'POST', '/proxies', json({ name: 'everywhere', listen: '0.0.0.0:0', upstream: upstream.address }));
      expect(everywhere.status).toBe(400);
    } finally {
      await wide.stop();
    }
  });
});

describe('browsers are refused', () => {
  test('a browser User-Agent in any case gets Toxiproxy\'s 403 "User agent not allowed"', async () => {
    for (const agent of ['Mozilla/5.0 (X11; Linux x86_64)', 'mozilla/5.0', 'MOZILLA/4.0', ' Mozilla/5.0']) {
      const res = await call(engine.url, 'GET', '/proxies', { headers: { 'user-agent': agent } });
      expect(res.status, agent).toBe(403);
      expect(res.text).toBe('User agent not allowed\n');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect((await call(engine.url, 'GET', '/proxies', { headers: { 'user-agent': 'toxiproxy-cli/2.12.0 linux/amd64' } })).status).toBe(200);
  });

  test('any Origin header gets 403, on reads and writes, and nothing changes', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:8474']) {
      const write = await call(engine.url, 'POST', '/proxies', { ...json({ name: 'from-a-page', listen: '127.0.0.1:0', upstream: upstream.address }), headers: { 'content-type': 'application/json', origin } });
      expect(write.status, origin).toBe(403);
      expect(write.text).toBe('Origin not allowed: this API does not answer web pages\n');
      expect((await call(engine.url, 'GET', '/proxies', { headers: { origin } })).status).toBe(403);
    }
    expect(await proxyNames()).toEqual([]);
  });

  test('a write whose Content-Type is not JSON gets 415 (the types a form may send without asking)', async () => {
    const body = JSON.stringify({ name: 'formed', listen: '127.0.0.1:0', upstream: upstream.address });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await call(engine.url, 'POST', '/proxies', { body, headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
      expect(res.text).toBe(`Content-Type ${JSON.stringify(type)} not allowed: send application/json\n`);
    }
    expect((await call(engine.url, 'POST', '/reset', { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect(await proxyNames()).toEqual([]);
    // JSON in any of its spellings, or no Content-Type at all (older toxiproxy-cli), is accepted.
    for (const [i, headers] of ([{ 'content-type': 'application/json; charset=utf-8' }, { 'content-type': 'Application/JSON' }, { 'content-type': 'application/merge-patch+json' }, {}] as Record<string, string>[]).entries()) {
      const res = await call(engine.url, 'POST', '/proxies', { body: JSON.stringify({ name: `ok-${i}`, listen: '127.0.0.1:0', upstream: upstream.address }), headers });
      expect(res.status, JSON.stringify(headers)).toBe(201);
      expect((await call(engine.url, 'DELETE', `/proxies/ok-${i}`)).status).toBe(204);
    }
    // A read with a form's type is not a write.
    expect((await call(engine.url, 'GET', '/version', { headers: { 'content-type': 'text/plain' } })).status).toBe(200);
  });
});

test('toxiproxy-node-client drives the engine process end to end', async () => {
  const p = await client.createProxy({ name: 'client-run', listen: '127.0.0.1:0', upstream: upstream.address });
  const toxic = await p.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } } as never);
  expect(toxic.attributes).toMatchObject({ latency: 50 });
  const all = await client.getAll();
  expect(Object.keys(all)).toEqual(['client-run']);
  expect(all['client-run'].listen).toBe(p.listen);
  const updated = await toxic.update({ ...toxic.toJson(), attributes: { latency: 20, jitter: 0 } } as never);
  expect(updated.attributes).toMatchObject({ latency: 20 });
  const disabled = await p.update({ enabled: false, listen: p.listen, upstream: p.upstream });
  expect(disabled.enabled).toBe(false);
  expect(await accepts('127.0.0.1', portOf(p.listen))).toBe(false);
  await toxic.remove();
  await p.remove();
  expect(await proxyNames()).toEqual([]);
});
