import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { waitFor } from '../../../src/util/http-json.ts';
import { endpoint, policy, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startEchoServer, startServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';
import type { TestContext } from 'vitest';

/** Caller outbound → callee inbound → app, as in a run. */
async function pair(t: TestContext, appPort: number) {
  const callee = await startSidecar(t, { instance: 'payments-0', service: 'payments' });
  callee.sidecar.applyConfig(sidecarConfig({ service: 'payments', instance: 'payments-0', app: { host: '127.0.0.1', port: appPort }, clusters: {} }));
  const caller = await startSidecar(t);
  caller.sidecar.applyConfig(sidecarConfig({ clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', callee.ports.inbound)] } } }));
  return { caller, callee };
}

/** A chunked request (no content-length) with a timeout; resolves to status and body. */
function sendChunked(port: number, host: string, parts: string[], extra: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { host, ...extra }, agent: false });
    const timer = setTimeout(() => req.destroy(new Error('no response within 5000ms')), 5000);
    req.on('error', (e) => (clearTimeout(timer), reject(e)));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (clearTimeout(timer), resolve({ status: res.statusCode ?? 0, body })));
    });
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('request and response bodies through a sidecar pair', () => {
  it('a POST body with content-length reaches the app whole; a GET carries no body and no framing headers', async (t) => {
    const app = closing(t, await startEchoServer());
    const { caller } = await pair(t, app.port);
    const post = await send(caller.ports.outbound, { host: 'payments', method: 'POST', path: '/pay', body: 'amount=42', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.status, 200);
    const seen = JSON.parse(post.body);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body, 'amount=42');
    assert.equal(seen.headers['content-length'], '9');
    assert.equal(seen.headers['content-type'], 'text/plain');

    const get = await send(caller.ports.outbound, { host: 'payments', path: '/status' });
    const g = JSON.parse(get.body);
    assert.equal(g.method, 'GET');
    assert.equal(g.body, '');
    assert.equal(g.headers['transfer-encoding'], undefined);
  });

  it('a chunked body: buffered by the caller (sent with its length), streamed by the callee to the app', async (t) => {
    const app = closing(t, await startEchoServer());
    const { caller, callee } = await pair(t, app.port);
    const through = await sendChunked(caller.ports.outbound, 'payments', ['one,', 'two,', 'three']);
    assert.equal(through.status, 200);
    assert.equal(JSON.parse(through.body).body, 'one,two,three');
    assert.equal(JSON.parse(through.body).headers['content-length'], '13');

    // Straight at the callee's inbound: streamed, re-framed by the sidecar's client (chunked, or
    // with its length when the whole body had already arrived), never with both framings.
    const direct = await sendChunked(callee.ports.inbound, 'payments', ['a', 'b', 'c']);
    const seen = JSON.parse(direct.body);
    assert.equal(seen.body, 'abc');
    const framing = [seen.headers['transfer-encoding'], seen.headers['content-length']];
    assert.ok(framing[0] === 'chunked' ? framing[1] === undefined : framing[1] === '3', JSON.stringify(seen.headers));
  });

  it('Expect: 100-continue is answered by the sidecar and not passed on; the body still arrives', async (t) => {
    const app = closing(t, await startEchoServer());
    const { caller, callee } = await pair(t, app.port);
    for (const port of [caller.ports.outbound, callee.ports.inbound]) {
      const r = await sendChunked(port, 'payments', ['hello'], { expect: '100-continue', 'content-length': '5' });
      assert.equal(r.status, 200);
      const seen = JSON.parse(r.body);
      assert.equal(seen.body, 'hello');
      assert.equal(seen.headers.expect, undefined);
    }
  });

  it('a large response (4 MB) comes back whole through both sidecars', async (t) => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    const app = closing(t, await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
      res.end(big);
    }));
    const { caller } = await pair(t, app.port);
    const r = await send(caller.ports.outbound, { host: 'payments', timeoutMs: 10_000 });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, big.length);
    assert.equal(r.headers['content-length'], String(big.length));
  });

  it('a streamed response: each chunk reaches the caller while the app is still writing, through both sidecars', async (t) => {
    // The app sends its second chunk only once the caller has read the first: a proxy that held a
    // chunk back until the body ended (or until more data came) would never see the rest.
    let firstSeen!: () => void;
    const seen = new Promise<void>((r) => (firstSeen = r));
    const app = closing(t, await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      void seen.then(() => res.end('second'));
    }));
    const { caller } = await pair(t, app.port);
    const r = await new Promise<{ status: number; body: string; chunked: boolean }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: caller.ports.outbound, path: '/stream', headers: { host: 'payments' }, agent: false });
      const timer = setTimeout(() => req.destroy(new Error('the first chunk did not arrive before the app ended its body, within 5000ms')), 5000);
      req.on('error', (e) => (clearTimeout(timer), reject(e)));
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          if (body.startsWith('first;')) firstSeen();
        });
        res.on('end', () => (clearTimeout(timer), resolve({ status: res.statusCode ?? 0, body, chunked: res.headers['transfer-encoding'] === 'chunked' })));
      });
      req.end();
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'first;second');
    assert.equal(r.chunked, true);
  });

  it('an app that dies mid-body: both sidecars cut their callers off (UC), and the caller counts the reset', async (t) => {
    const app = closing(t, await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    }));
    const { caller, callee } = await pair(t, app.port);
    await assert.rejects(send(caller.ports.outbound, { host: 'payments' }));
    const inst = await waitFor(() => {
      const s = callee.sidecar.timeline().series['instance:payments-0'];
      return s ? Object.values(s)[0] : undefined;
    }, { timeoutMs: 2000, describe: () => 'the cut request recorded at the callee' });
    assert.deepEqual(inst.flags, { UC: 1 });
    const edge = await waitFor(() => {
      const s = caller.sidecar.timeline().series['edge:checkout->payments'];
      return s ? Object.values(s)[0] : undefined;
    }, { timeoutMs: 2000, describe: () => 'the cut request recorded at the caller' });
    assert.deepEqual(edge.flags, { UC: 1 });
    assert.equal(counter(caller.sidecar, 'cluster.payments.upstream_rq_rx_reset'), 1);
    assert.equal(caller.sidecar.stats().gauges['cluster.payments.upstream_rq_active'], 0);
  });
});
