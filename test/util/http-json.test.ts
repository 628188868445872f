import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MeshproofError } from '../../src/errors.ts';
import { codeLayout } from '../../src/util/code-layout.ts';
import { httpJson } from '../../src/util/http-json.ts';
import { runInFreshNode } from '../helpers/fresh-node.ts';

const servers: (Server | ReturnType<typeof createTcpServer>)[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  servers.push(server);
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const http = (handler: RequestListener) => listen(createHttpServer(handler));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** Resolves with the rejection of `call` and how long it took to come, failing the test if it resolved. */
async function rejection(call: Promise<unknown>): Promise<{ err: MeshproofError; ms: number }> {
  const started = performance.now();
  const err = await call.then(
    (v) => expect.fail(`resolved with ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MeshproofError);
  expect((err as MeshproofError).code).toBe('MESHPROOF_INTERNAL');
  return { err: err as MeshproofError, ms: performance.now() - started };
}

/** Resolves when `socket` is closed; the test's own timeout is the deadline. */
const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

// The bound under test, and how far past it a rejection may come on a loaded 2-core machine: far below "never".
const TIMEOUT_MS = 400;
const MARGIN_MS = 2000;

describe('httpJson', () => {
  it('GET: the answer\'s JSON, with the caller\'s headers sent and no body', async () => {
    const base = await http(async (req, res) => {
      const body = await readBody(req);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'] ?? null, body }));
    });
    const got = await httpJson(`${base}/stats?since=3`, { headers: { authorization: 'Bearer x' } });
    expect(got).toEqual({ method: 'GET', url: '/stats?since=3', auth: 'Bearer x', type: null, body: '' });
  });

  it('POST: the body goes as JSON with its content type, and the answer comes back parsed', async () => {
    const base = await http(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { version: number; name: string };
      res.end(JSON.stringify({ method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], echoed: body }));
    });
    const body = { version: 7, name: 'payments-ü' };
    const got = await httpJson<{ method: string; type: string; length: string; echoed: unknown }>(`${base}/config`, { method: 'POST', body });
    expect(got).toEqual({ method: 'POST', type: 'application/json', length: String(Buffer.byteLength(JSON.stringify(body))), echoed: body });
  });

  it('a status other than 2xx: the error says the method, URL, status and the body\'s first 200 characters', async () => {
    const text = 'x'.repeat(200) + 'NOT-IN-THE-MESSAGE';
    const base = await http((_req, res) => {
      res.statusCode = 503;
      res.end(text);
    });
    const { err } = await rejection(httpJson(`${base}/config`, { method: 'PUT', body: {} }));
    expect(err.message).toBe(`PUT ${base}/config answered 503: ${'x'.repeat(200)}`);
  });

  it('an empty body: undefined, on 200 as on 204', async () => {
    const base = await http((req, res) => {
      res.statusCode = req.url === '/none' ? 204 : 200;
      res.end();
    });
    expect(await httpJson(`${base}/empty`)).toBeUndefined();
    expect(await httpJson(`${base}/none`, { method: 'DELETE' })).toBeUndefined();
  });

  it('a peer that takes the connection and never answers: rejected within timeoutMs, and the connection closed', async () => {
    const held: Socket[] = [];
    // It reads (so it sees the caller close) and never answers.
    const base = await listen(createTcpServer((s) => void held.push(s.resume())));
    const { err, ms } = await rejection(httpJson(`${base}/config`, { method: 'POST', body: { a: 1 }, timeoutMs: TIMEOUT_MS }));
    expect(err.message).toBe(`POST ${base}/config failed: no answer within ${TIMEOUT_MS}ms`);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(held.length).toBe(1);
    await closed(held[0]);
  });

  it('a peer that answers its head and stalls the body: the bound covers the body too', async () => {
    let stalled: Socket | null = null;
    const base = await http((req, res) => {
      stalled = req.socket;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
    });
    const { err, ms } = await rejection(httpJson(`${base}/timeline`, { timeoutMs: TIMEOUT_MS }));
    expect(err.message).toBe(`GET ${base}/timeline failed: no answer within ${TIMEOUT_MS}ms`);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    await closed(stalled!);
  });

  it('a peer that closes in the middle of the body: rejected at once, not at the bound', async () => {
    const base = await http((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"partial":', () => req.socket.destroy());
    });
    const { err, ms } = await rejection(httpJson(`${base}/timeline`, { timeoutMs: 30_000 }));
    expect(err.message).toMatch(new RegExp(`^GET ${base}/timeline failed: `));
    expect(err.message).not.toMatch(/no answer within/);
    expect(ms).toBeLessThan(MARGIN_MS);
  });

  it('nobody listening: the "failed:" error with the reason', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const { err } = await rejection(httpJson(`http://127.0.0.1:${port}/stats`));
    expect(err.message).toBe(`GET http://127.0.0.1:${port}/stats failed: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('a URL that is not plain http: the "failed:" error, nothing sent', async () => {
    const { err } = await rejection(httpJson('https://127.0.0.1:1/stats'));
    expect(err.message).toBe('GET https://127.0.0.1:1/stats failed: https: is not supported: only http');
    const bad = await rejection(httpJson('not a url'));
    expect(bad.err.message).toMatch(/^GET not a url failed: /);
  });

  it('one call in a fresh Node loads no undici, http2 or zlib (fetch would: ~8 MB in the harness)', async () => {
    const probe = (call: string) =>
      runInFreshNode(`
        const { httpJson } = await import(${JSON.stringify(pathToFileURL(codeLayout.file('util/http-json.ts')).href)});
        const { createServer } = process.getBuiltinModule('node:http');
        const server = createServer((req, res) => res.end('{"ok":true}'));
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        const url = 'http://127.0.0.1:' + server.address().port + '/';
        const answer = await (${call});
        server.close();
        const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
        process.stdout.write(JSON.stringify({ answer, loaded }));
      `).then((out) => JSON.parse(out) as { answer: unknown; loaded: string[] });
    const unneeded = ['internal/deps/undici/undici', 'http2', 'zlib'];
    const lean = await probe('httpJson(url)');
    // The call reached the server.
    expect(lean.answer).toEqual({ ok: true });
    expect(unneeded.filter((m) => lean.loaded.includes(m))).toEqual([]);
    // The probe can fail: the same call through fetch loads undici.
    const fat = await probe('fetch(url).then((r) => r.json())');
    expect(fat.answer).toEqual({ ok: true });
    expect(fat.loaded).toContain('internal/deps/undici/undici');
  });
});
