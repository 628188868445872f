import { describe, it } from 'vitest';
import type { TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { ClientPool, type RequestController } from '../../../src/sim/http1/client-pool.ts';
import type { ResponseHeaderMap } from '../../../src/sim/http1/response-headers.ts';
import { waitFor } from '../../../src/util/http-json.ts';

/** A node:http upstream that counts the connections it accepted and the ones still open. */
async function upstream(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; connections: () => number; open: () => number; server: Server }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer(handle);
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.onTestFinished(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, open: () => sockets.size, server };
}

interface Result {
  status: number;
  headers: ResponseHeaderMap;
  body: Buffer;
}

/** One request through the pool, as the sidecar drives it; `onController` sees the controller. */
function request(pool: ClientPool, rq: Partial<Parameters<ClientPool['dispatch']>[0]> = {}, onData?: (c: RequestController, chunk: Buffer) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: ResponseHeaderMap = {};
    const chunks: Buffer[] = [];
    pool.dispatch({ method: 'GET', path: '/', headers: ['host', 'payments'], body: null, ...rq }, {
      onResponseStart: (_c, s, h) => ((status = s), (headers = h.map)),
      onResponseData: (c, chunk) => (chunks.push(chunk), onData?.(c, chunk)),
      onResponseEnd: () => resolve({ status, headers, body: Buffer.concat(chunks) }),
      onResponseError: (_c, err) => reject(err),
    });
  });
}

function pool(t: TestContext, port: number, extra: Partial<ConstructorParameters<typeof ClientPool>[0]> = {}): ClientPool {
  const p = new ClientPool({ host: '127.0.0.1', port, ...extra });
  t.onTestFinished(() => p.destroy());
  return p;
}

describe('ClientPool: an HTTP/1.1 keep-alive pool with its own framing', () => {
  it('keeps a connection open and reuses it, and sends the Host and headers it is given', async (t) => {
    const seen: IncomingMessage['headers'][] = [];
    const up = await upstream(t, (req, res) => (seen.push(req.headers), res.end('hi')));
    const p = pool(t, up.port);
    for (let i = 0; i < 3; i++) {
      const r = await request(p, { headers: ['host', 'payments', 'x-request-id', String(i)] });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'hi');
    }
    assert.equal(up.connections(), 1);
    assert.deepEqual(seen.map((h) => [h.host, h['x-request-id']]), [['payments', '0'], ['payments', '1'], ['payments', '2']]);
  });

  it('opens as many connections as requests in flight (no pipelining)', async (t) => {
    const waiting: ServerResponse[] = [];
    const up = await upstream(t, (_req, res) => {
      waiting.push(res);
      if (waiting.length === 3) for (const r of waiting) r.end('ok');
    });
    const p = pool(t, up.port);
    const all = await Promise.all([request(p), request(p), request(p)]);
    assert.deepEqual(all.map((r) => r.status), [200, 200, 200]);
    assert.equal(up.connections(), 3);
  });

  it('closes a connection idle past its timeout, and one the upstream marks Connection: close', async (t) => {
    const up = await upstream(t, (req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end('x');
    });
    const p = pool(t, up.port, { idleTimeoutMs: 300 });
    await request(p);
    assert.equal(up.open(), 1);
    await waitFor(() => (up.open() === 0 ? true : undefined), { timeoutMs: 3000, describe: () => `the idle connection closed (${up.open()} open)` });
    await request(p, { path: '/close' });
    await waitFor(() => (up.open() === 0 && p.size === 0 ? true : undefined), { timeoutMs: 3000, describe: () => 'the Connection: close connection closed' });
    await request(p);
    assert.equal(up.connections(), 3);
  });

  it('decodes a chunked response and reads a 204, a HEAD and a 304 without waiting for a body', async (t) => {
    const up = await upstream(t, (req, res) => {
      if (req.url === '/chunked') {
        res.write('part one, ');
        setImmediate(() => res.end('part two'));
      } else if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { 'content-length': '99' }).end();
      else res.writeHead(200, { 'content-length': '5' }).end(req.method === 'HEAD' ? undefined : 'fives');
    });
    const p = pool(t, up.port);
    const chunked = await request(p, { path: '/chunked' });
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
    assert.equal(chunked.body.toString(), 'part one, part two');
    assert.equal((await request(p, { path: '/204' })).status, 204);
    const head = await request(p, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers['content-length'], head.body.length], [200, '5', 0]);
    assert.equal((await request(p, { path: '/304' })).status, 304);
    assert.equal((await request(p)).body.toString(), 'fives');
    assert.equal(up.connections(), 1);
  });

  it('streams MBs both ways with back-pressure: a paused response stops the upstream writing, a streamed request body is sent chunked', async (t) => {
    const SIZE = 32 * 1024 * 1024;
    /** The upstream's response while it is being written: whether it waits for 'drain', and how much it wrote. */
    let upstreamRes: ServerResponse | null = null;
    let sent = 0;
    let received = 0;
    const up = await upstream(t, (req, res) => {
      if (req.method === 'POST') {
        req.on('data', (d: Buffer) => (received += d.length));
        req.on('end', () => res.end(`${received} ${req.headers['transfer-encoding']}`));
        return;
      }
      const block = Buffer.alloc(64 * 1024, 1);
      upstreamRes = res;
      const pump = (): void => {
        while (sent < SIZE) {
          sent += block.length;
          if (!res.write(block)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const p = pool(t, up.port);
    let paused = false;
    let resumed = false;
    let dataWhilePaused = 0;
    let stalledAt = 0;
    const big = await request(p, { path: '/big' }, (c) => {
      if (paused && !resumed) dataWhilePaused++;
      if (paused) return;
      paused = true;
      c.pause();
      // Paused, the socket buffers fill and the upstream stalls short of the end, waiting for 'drain'.
      let last = -1;
      let still = 0;
      const stalled = (): true | undefined => {
        still = sent === last ? still + 1 : 0;
        last = sent;
        return upstreamRes!.writableNeedDrain && sent < SIZE && still >= 5 ? true : undefined;
      };
      void waitFor(stalled, { timeoutMs: 5000, describe: () => `the upstream stalled (${sent} bytes written)` }).then(() => {
        stalledAt = sent;
        resumed = true;
        c.resume();
      });
    });
    assert.equal(big.body.length, SIZE);
    assert.equal(dataWhilePaused, 0);
    assert.ok(stalledAt > 0 && stalledAt < SIZE);
    const body = new PassThrough();
    const pending = request(p, { method: 'POST', path: '/upload', body });
    for (let i = 0; i < 64; i++) body.write(Buffer.alloc(64 * 1024, 2));
    body.end();
    assert.equal((await pending).body.toString(), `${64 * 64 * 1024} chunked`);
  });

  it('sends a streamed body chunked with its bytes as they are: every byte value, each chunk framed by its length', async (t) => {
    // A raw upstream: what arrives on the wire, byte for byte, not what a parser makes of it.
    let wire = Buffer.alloc(0);
    const raw = createNetServer((s) => {
      s.on('data', (d: Buffer) => {
        wire = Buffer.concat([wire, d]);
        if (wire.includes('0\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => void raw.close());
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    // Chunks of several sizes, each starting at another byte value, and one of 64 KiB.
    const chunks = [every, every.subarray(128), Buffer.concat([every.subarray(200), every]), Buffer.concat(Array.from({ length: 256 }, () => every))];
    const body = new PassThrough();
    const pending = request(pool(t, (raw.address() as AddressInfo).port), { method: 'POST', path: '/bytes', body });
    for (const c of chunks) {
      body.write(c);
      // One chunk at a time on the wire: the PassThrough would otherwise join what it holds.
      await waitFor(() => (wire.includes(c) ? true : undefined), { timeoutMs: 2000, describe: () => `a ${c.length}-byte chunk sent` });
    }
    body.end();
    assert.equal((await pending).body.toString(), 'ok');
    const head = wire.indexOf('\r\n\r\n') + 4;
    assert.match(wire.subarray(0, head).toString('latin1'), /^POST \/bytes HTTP\/1\.1\r\n[\s\S]*transfer-encoding: chunked\r\n/i);
    const framed = Buffer.concat([...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
    assert.ok(wire.subarray(head).equals(framed), 'the body on the wire is each chunk, as sent, framed by its length');
  });

  it('a request aborted mid-response closes its connection: the upstream sees its response cut', async (t) => {
    let closedEarly = false;
    const up = await upstream(t, (_req, res) => {
      res.write('start');
      res.on('close', () => (closedEarly = !res.writableFinished));
    });
    const p = pool(t, up.port);
    await new Promise<void>((resolve, reject) => {
      p.dispatch({ method: 'GET', path: '/', headers: [], body: null }, {
        onResponseData: (c) => (c.abort(), resolve()),
        onResponseEnd: () => reject(new Error('ended')),
        onResponseError: () => reject(new Error('no handler call after abort')),
      });
    });
    await waitFor(() => (closedEarly ? true : undefined), { timeoutMs: 3000, describe: () => 'the upstream saw the response cut' });
    assert.equal(p.size, 0);
  });

  it('fails a request with the reason: refused connection, reset before a response, cut mid-body, an invalid header', async (t) => {
    const free = createNetServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const freePort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    await assert.rejects(request(pool(t, freePort)), { code: 'ECONNREFUSED' });

    const rude = createNetServer((s) => s.once('data', () => s.destroy()));
    await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => void rude.close());
    await assert.rejects(request(pool(t, (rude.address() as AddressInfo).port)), { code: 'ECONNRESET' });

    const cut = await upstream(t, (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setImmediate(() => res.destroy());
    });
    await assert.rejects(request(pool(t, cut.port)), { code: 'ECONNRESET', message: /mid-response/ });

    assert.throws(() => pool(t, cut.port).dispatch({ method: 'GET', path: '/', headers: ['x-bad', 'a\r\nb'], body: null }, {}), { code: 'UND_ERR_INVALID_ARG' });
  });

  it('reads a body delimited by the connection closing (HTTP/1.0 upstream)', async (t) => {
    const old = createNetServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end')));
    await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => void old.close());
    const p = pool(t, (old.address() as AddressInfo).port);
    const r = await request(p);
    assert.equal(r.body.toString(), 'until the end');
    await waitFor(() => (p.size === 0 ? true : undefined), { timeoutMs: 2000, describe: () => 'the connection dropped' });
  });

  it('close() lets the request in flight finish, then closes every connection', async (t) => {
    let respond: (() => void) | null = null;
    const up = await upstream(t, (_req, res) => (respond = () => res.end('late')));
    const p = pool(t, up.port);
    const pending = request(p);
    await waitFor(() => respond ?? undefined, { timeoutMs: 2000, describe: () => 'the request arrived' });
    const closed = p.close();
    respond!();
    assert.equal((await pending).body.toString(), 'late');
    await closed;
    assert.equal(p.size, 0);
    await assert.rejects(request(p), { code: 'UND_ERR_DESTROYED' });
  });
});
