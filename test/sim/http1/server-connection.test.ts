import { describe, it } from 'vitest';
import type { TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer, request, Agent } from 'node:http';
import { Http1Server } from '../../../src/sim/http1/http1-server.ts';
import { DEFAULT_KEEP_ALIVE_TIMEOUT_MS, type RequestHandler, type ServerConnectionOptions } from '../../../src/sim/http1/server-connection.ts';
import { waitFor } from '../../../src/util/http-json.ts';

async function serve(t: TestContext, handler: RequestHandler, options?: ServerConnectionOptions): Promise<number> {
  const server = new Http1Server(handler, options);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.onTestFinished(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return (server.address() as AddressInfo).port;
}

/** A raw client: writes `text`, collects everything until the server closes or `until` matches. */
function raw(port: number, text: string | Buffer, until?: RegExp): Promise<{ data: string; closed: boolean; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer in 5 s; got ${JSON.stringify(data)}`))), 5000);
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (until?.test(data)) (clearTimeout(timer), resolve({ data, closed: false, socket }));
    });
    socket.on('close', () => (clearTimeout(timer), resolve({ data, closed: true, socket })));
    socket.on('error', () => {});
    socket.write(text);
  });
}

/** One request with node:http's client (a real, independent HTTP implementation). */
function get(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; agent?: Agent }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), socket: res.socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('ServerConnection: HTTP/1.1 on the server side', () => {
  it('keeps a connection alive across requests, and closes it once idle past the timeout', async (t) => {
    let connections = 0;
    const seen = new Set<Socket>();
    const port = await serve(t, (req, res) => {
      if (!seen.has(req.socket)) connections++;
      seen.add(req.socket);
      res.writeHead(200, ['content-type', 'text/plain']);
      res.end(`hello ${req.url}`);
    }, { keepAliveTimeoutMs: 2_000 });
    // node:http's agent keeps a connection for 1 s less than the server's hint, and not at all under 2 s.
    const agent = new Agent({ keepAlive: true });
    t.onTestFinished(() => agent.destroy());
    const a = await get(port, { path: '/a', agent });
    const b = await get(port, { path: '/b', agent });
    assert.deepEqual([a.body.toString(), b.body.toString(), a.headers['content-length'], a.headers.connection, a.headers['keep-alive']], ['hello /a', 'hello /b', '8', 'keep-alive', 'timeout=2']);
    assert.equal(connections, 1);
    // A raw caller never closes: the close it sees is the server's, once idle for its timeout.
    const started = performance.now();
    const idle = await raw(port, 'GET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(idle.closed, true);
    assert.match(idle.data, /hello \/c$/);
    assert.ok(performance.now() - started >= 1_900, `closed after ${performance.now() - started} ms, before the timeout`);
  });

  it('the idle timeout never cuts a request in progress, however long its handler takes', async (t) => {
    const port = await serve(t, (req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 700);
      else res.end('now');
    }, { keepAliveTimeoutMs: 300 });
    const { data, closed } = await raw(port, 'GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n', /late$/);
    assert.equal(closed, false);
    assert.deepEqual(data.match(/\r\n\r\n(now|late)/g), ['\r\n\r\nnow', '\r\n\r\nlate']);
  });

  it('hints the keep-alive timeout it keeps, in whole seconds, and none when it keeps idle connections forever', async (t) => {
    const hint = async (options?: ServerConnectionOptions): Promise<string | undefined> => {
      const port = await serve(t, (_req, res) => res.end('x'), options);
      const agent = new Agent({ keepAlive: true });
      t.onTestFinished(() => agent.destroy());
      return (await get(port, { agent })).headers['keep-alive'] as string | undefined;
    };
    assert.deepEqual(
      [await hint(), await hint({ keepAliveTimeoutMs: 2_500 }), await hint({ keepAliveTimeoutMs: 65_000 }), await hint({ keepAliveTimeoutMs: 0 })],
      [`timeout=${Math.floor(DEFAULT_KEEP_ALIVE_TIMEOUT_MS / 1000)}`, 'timeout=2', 'timeout=65', undefined],
    );
  });

  it('closes a connection whose request head does not arrive whole in time: 408 after part of one, closed after none', async (t) => {
    let handled = 0;
    const port = await serve(t, (_req, res) => (handled++, res.end('x')), { headersTimeoutMs: 300, keepAliveTimeoutMs: 10_000 });
    const started = performance.now();
    const partial = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    assert.equal(partial.closed, true);
    assert.match(partial.data, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*connection: close\r\n/);
    assert.ok(performance.now() - started >= 250, 'not closed before its timeout');
    const silent = await raw(port, '');
    assert.deepEqual([silent.closed, silent.data], [true, '']);
    // A head sent in parts within the limit is served; so is the next request on the connection.
    const slow = connect(port, '127.0.0.1');
    t.onTestFinished(() => void slow.destroy());
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    slow.write('GET /a HTTP/1.1\r\n');
    await new Promise((r) => setTimeout(r, 100));
    slow.write('Host: x\r\n\r\n');
    await waitFor(() => (answer.endsWith('x') ? true : undefined), { timeoutMs: 2000, describe: () => `the first answer (${JSON.stringify(answer)})` });
    // Idle between requests is the keep-alive timeout's business (10 s here), not the head's.
    await new Promise((r) => setTimeout(r, 500));
    slow.write('GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => (answer.split('HTTP/1.1 200').length === 3 ? true : undefined), { timeoutMs: 2000, describe: () => `the second answer (${JSON.stringify(answer)})` });
    assert.equal(slow.destroyed, false);
    assert.equal(handled, 2);
  });

  it('adds a Date unless the handler relays one, and drops a handler\'s Connection header for its own', async (t) => {
    const port = await serve(t, (req, res) => {
      res.writeHead(200, req.url === '/relayed' ? ['date', 'Tue, 01 Dec 2026 00:00:00 GMT', 'connection', 'keep-alive', 'content-length', '0'] : ['content-length', '0']);
      res.end();
    });
    const { data } = await raw(port, 'GET /relayed HTTP/1.1\r\nHost: x\r\n\r\nGET /own HTTP/1.1\r\nHost: x\r\n\r\n', /(HTTP[\s\S]*){2}\r\n\r\n$/);
    const [relayed, own] = data.split(/(?=HTTP\/1\.1 )/);
    assert.deepEqual(relayed.match(/^date: .*$/gim), ['date: Tue, 01 Dec 2026 00:00:00 GMT']);
    assert.equal(relayed.match(/^connection: /gim)?.length, 1);
    assert.equal(own.match(/^date: .*GMT$/gim)?.length, 1);
  });

  it('gives the same request view as node:http: method, url, version, raw headers and the joined header map', async (t) => {
    const text = 'POST /p?q=1 HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-A: 1\r\nx-a: 2\r\nCookie: c=1\r\nCookie: d=2\r\nSet-Cookie: s=1\r\nSet-Cookie: s=2\r\nContent-Type: text/x\r\nContent-Length: 0\r\n\r\n';
    const view = (req: { method?: string; url?: string; httpVersion: string; rawHeaders: string[]; headers: unknown }) => JSON.stringify([req.method, req.url, req.httpVersion, req.rawHeaders, req.headers]);
    let ours = '';
    const port = await serve(t, (req, res) => ((ours = view(req)), res.end()));
    await raw(port, text, /\r\n\r\n$/).then((r) => r.socket.destroy());
    let nodes = '';
    const node = createServer((req, res) => ((nodes = view(req)), res.end()));
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', r));
    t.onTestFinished(() => new Promise<void>((r) => (node.closeAllConnections(), node.close(() => r()))));
    await raw((node.address() as AddressInfo).port, text, /\r\n\r\n$/).then((r) => r.socket.destroy());
    assert.equal(ours, nodes);
  });

  it('handles pipelined requests in order, one at a time', async (t) => {
    const order: string[] = [];
    let inFlight = 0;
    const port = await serve(t, (req, res) => {
      inFlight++;
      order.push(`${req.url} in-flight=${inFlight}`);
      req.on('data', () => {});
      req.on('end', () =>
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, ['content-length', String(req.url.length)]);
          res.end(req.url);
        }, req.url === '/slow' ? 50 : 0),
      );
    });
    const { data } = await raw(port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: x\r\n\r\n', /\/slow[\s\S]*\/b[\s\S]*\/c$/);
    assert.deepEqual(order, ['/slow in-flight=1', '/b in-flight=1', '/c in-flight=1']);
    assert.match(data, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\/slowHTTP\/1\.1 200 OK[\s\S]*\r\n\r\n\/bHTTP\/1\.1 200 OK[\s\S]*\r\n\r\n\/c$/);
  });

  it('reads a chunked request body, and sends a body written in parts chunked', async (t) => {
    const port = await serve(t, (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        res.writeHead(200, ['x-got', Buffer.concat(parts).toString()]);
        res.write(Buffer.from('one,'));
        setImmediate(() => res.end(Buffer.from('two')));
      });
    });
    const { data } = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', /0\r\n\r\n$/);
    assert.match(data, /x-got: abcde\r\n/);
    assert.match(data, /transfer-encoding: chunked\r\n/);
    assert.match(data, /\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n$/);
    const viaNode = await get(port, { method: 'POST', body: 'xyz' });
    assert.deepEqual([viaNode.headers['x-got'], viaNode.body.toString(), viaNode.headers['transfer-encoding']], ['xyz', 'one,two', 'chunked']);
  });

  it('streams MBs both ways with back-pressure: a paused request stops reading the socket; a full socket makes write return false', async (t) => {
    const SIZE = 16 * 1024 * 1024;
    let received = 0;
    let sawFull = false;
    let resumeReq: (() => void) | null = null;
    const port = await serve(t, (req, res) => {
      if (req.method === 'PUT') {
        req.on('data', (c: Buffer) => {
          received += c.length;
          if (resumeReq === null) {
            req.pause();
            resumeReq = () => req.resume();
          }
        });
        req.on('end', () => res.end(String(received)));
        return;
      }
      res.writeHead(200, ['content-length', String(SIZE)]);
      const block = Buffer.alloc(256 * 1024, 3);
      let sent = 0;
      const pump = (): void => {
        while (sent < SIZE) {
          sent += block.length;
          if (!res.write(block)) {
            sawFull = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const big = await get(port, {});
    assert.equal(big.body.length, SIZE);
    assert.ok(sawFull, 'write returned false at least once');
    // Upload: the handler pauses after its first chunk; nothing more arrives until it resumes.
    const upload = get(port, { method: 'PUT', body: Buffer.alloc(SIZE, 4) });
    await waitFor(() => resumeReq ?? undefined, { timeoutMs: 3000, describe: () => 'the first chunk arrived' });
    const atPause = received;
    let still = 0;
    let last = -1;
    await waitFor(() => {
      still = received === last ? still + 1 : 0;
      last = received;
      return still >= 5 ? true : undefined;
    }, { timeoutMs: 3000, describe: () => 'the upload stalled while paused' });
    assert.equal(received, atPause);
    resumeReq!();
    assert.equal((await upload).body.toString(), String(SIZE));
  });

  it('a caller that goes away mid-exchange aborts its request and closes its response unfinished', async (t) => {
    const events: string[] = [];
    const port = await serve(t, (req, res) => {
      req.on('aborted', () => events.push('aborted'));
      req.on('error', (e: Error & { code?: string }) => events.push(`error ${e.code}`));
      res.on('close', () => events.push(`close finished=${res.writableFinished}`));
      res.writeHead(200, ['content-length', '100']);
      res.write(Buffer.from('partial'));
    });
    const { socket } = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', /partial$/);
    socket.destroy();
    await waitFor(() => (events.length === 3 ? true : undefined), { timeoutMs: 3000, describe: () => `all events (${events})` });
    assert.deepEqual(events, ['aborted', 'error ECONNRESET', 'close finished=false']);
  });

  it('answers Expect: 100-continue with a 100 before the body is sent', async (t) => {
    const port = await serve(t, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => res.end(`got ${body}`));
    });
    const { data, socket } = await raw(port, 'PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n', /100 Continue\r\n\r\n$/);
    assert.equal(data, 'HTTP/1.1 100 Continue\r\n\r\n');
    const done = new Promise<string>((r) => {
      let rest = '';
      socket.on('data', (d) => {
        rest += d.toString();
        if (rest.endsWith('got body')) r(rest);
      });
    });
    socket.write('body');
    assert.match(await done, /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 8\r\n[\s\S]*got body$/);
    socket.destroy();
  });

  it('answers an invalid request 400 and a head over the limit 431, then closes; the handler never sees them', async (t) => {
    let handled = 0;
    const port = await serve(t, (_req, res) => (handled++, res.end('ok')), { maxHeadBytes: 1024 });
    const bad = await raw(port, 'GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.match(bad.data, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*connection: close\r\n\r\nboth Content-Length and Transfer-Encoding\n$/);
    assert.equal(bad.closed, true);
    const garbage = await raw(port, '\x16\x03\x01 not http\r\n\r\n');
    assert.match(garbage.data, /^HTTP\/1\.1 400 Bad Request/);
    assert.equal(garbage.closed, true);
    const big = await raw(port, `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
    assert.match(big.data, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal(big.closed, true);
    assert.equal(handled, 0);
  });

  it('sends no body for HEAD, 204 and 304, and keeps the connection', async (t) => {
    const port = await serve(t, (req, res) => {
      if (req.url === '/204') return void res.writeHead(204, []).end();
      if (req.url === '/304') return void res.writeHead(304, ['etag', '"x"']).end();
      res.writeHead(200, ['content-length', '5']);
      res.end(Buffer.from('fives'));
    });
    const { data } = await raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', /fives$/);
    const heads = data.split(/(?=HTTP\/1\.1 )/);
    assert.equal(heads.length, 4);
    assert.match(heads[0], /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 5\r\n[\s\S]*\r\n\r\n$/);
    assert.match(heads[1], /^HTTP\/1\.1 204 No Content\r\n[\s\S]*\r\n\r\n$/);
    assert.doesNotMatch(heads[1], /content-length|transfer-encoding/i);
    assert.match(heads[2], /^HTTP\/1\.1 304 Not Modified\r\n[\s\S]*\r\n\r\n$/);
    assert.match(heads[3], /\r\n\r\nfives$/);
  });

  it('Connection: close either way closes after the response', async (t) => {
    const port = await serve(t, (req, res) => {
      if (req.url === '/bye') res.shouldKeepAlive = false;
      res.end('x');
    });
    const callerCloses = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n');
    assert.equal(callerCloses.closed, true);
    assert.equal(callerCloses.data.split('HTTP/1.1 ').length - 1, 1);
    assert.match(callerCloses.data, /connection: close\r\n/);
    const serverCloses = await raw(port, 'GET /bye HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(serverCloses.closed, true);
    assert.match(serverCloses.data, /connection: close\r\n\r\nx$/);
  });

  it('answered before its body has all arrived, a request\'s remaining body is read and dropped, and the connection goes on', async (t) => {
    const urls: string[] = [];
    const port = await serve(t, (req, res) => {
      urls.push(req.url);
      res.writeHead(413, ['content-length', '0']);
      res.end();
    });
    const { data, socket } = await raw(port, 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab', /\r\n\r\n$/);
    assert.match(data, /^HTTP\/1\.1 413 Payload Too Large\r\n[\s\S]*connection: keep-alive\r\n/);
    const next = new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.split('HTTP/1.1 413').length - 1 === 2) resolve(got);
      });
    });
    // The rest of /a's body, then two requests pipelined behind it.
    socket.write('cdePOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\nHost: x\r\n\r\n');
    await next;
    assert.deepEqual(urls, ['/a', '/b', '/c']);
    socket.destroy();
  });

  it('serves HTTP/1.0 callers: closed after the answer unless keep-alive, a body of unknown length delimited by the close', async (t) => {
    const port = await serve(t, (req, res) => {
      res.writeHead(200, []);
      res.write(Buffer.from('streamed '));
      setImmediate(() => res.end(Buffer.from(`to ${req.httpVersion}`)));
    });
    const old = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(old.closed, true);
    assert.match(old.data, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(old.data, /transfer-encoding|content-length/i);
    assert.match(old.data, /\r\n\r\nstreamed to 1\.0$/);
    const port2 = await serve(t, (_req, res) => res.end('short'));
    const kept = await raw(port2, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', /short$/);
    assert.equal(kept.closed, false);
    assert.match(kept.data, /connection: keep-alive\r\n/);
    kept.socket.destroy();
  });
});
