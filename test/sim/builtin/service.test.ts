import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { ServiceSpec } from '../../../src/scenario/scenario.ts';
import { BuiltinService } from '../../../src/sim/builtin/service.ts';
import { waitFor } from '../../../src/util/http-json.ts';
import { send } from '../helpers/http.ts';
import { startServer, startStatusServer } from '../helpers/servers.ts';
import { closing } from '../helpers/sidecar.ts';
import { serviceSpec } from '../../helpers/scenario.ts';

const spec = (overrides: Partial<ServiceSpec> = {}): ServiceSpec => serviceSpec('checkout', overrides);

async function start(t: Parameters<typeof closing>[0], s: ServiceSpec, sidecarPort: number | null = null, seed = 1) {
  const svc = closing(t, new BuiltinService({ spec: s, instance: `${s.name}-0`, sidecar: sidecarPort === null ? null : { host: '127.0.0.1', port: sidecarPort }, seed }));
  const port = await svc.start(0);
  return { svc, port };
}

describe('built-in service', () => {
  it('answers 200 after its latency; /healthz takes no slot', async (t) => {
    const { port } = await start(t, spec({ latency: { kind: 'fixed', ms: 120 }, concurrency: 1, queue: 0 }));
    const slow = send(port);
    const health = await send(port, { path: '/healthz' });
    assert.equal(health.status, 200, 'health answered while the only slot is busy');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.body.trim(), 'ok checkout-0');
    assert.equal(r.headers['x-meshproof-instance'], 'checkout-0');
    assert.ok(r.ms >= 115, `${r.ms}ms`);
  });

  it('responseBytes pads a 200 to that many bytes in all; errors stay short; 0 keeps the short body', async (t) => {
    const big = await start(t, spec({ responseBytes: 65_536 }));
    const r = await send(big.port);
    assert.equal(r.status, 200);
    assert.equal(Buffer.byteLength(r.body), 65_536);
    assert.equal(r.headers['content-length'], '65536');
    assert.match(r.body, /^ok checkout-0\.+\n$/);
    const failing = await start(t, spec({ name: 'failing', responseBytes: 65_536, errorRate: 1, errorStatus: 503 }));
    const e = await send(failing.port);
    assert.equal(e.status, 503);
    assert.ok(Buffer.byteLength(e.body) < 100, `${Buffer.byteLength(e.body)} bytes`);
    const small = await start(t, spec({ name: 'small', responseBytes: 0 }));
    assert.equal((await send(small.port)).body, 'ok small-0\n');
  });

  it('queue full → 503 at once, saying so; queued requests wait their turn (FIFO)', async (t) => {
    const { svc, port } = await start(t, spec({ latency: { kind: 'fixed', ms: 200 }, concurrency: 1, queue: 1 }));
    const first = send(port);
    const second = send(port);
    await waitFor(() => (svc.active === 1 && svc.queued === 1 ? true : undefined), { timeoutMs: 2000, describe: () => 'one working, one queued' });
    const third = await send(port);
    assert.equal(third.status, 503);
    assert.match(third.body, /overloaded: 1 requests in progress \(concurrency 1\) and the queue of 1 is full/);
    assert.ok(third.ms < 150, `refused at once (${third.ms}ms)`);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.ok(b.ms >= 390, `the queued one waited for the first (${b.ms}ms)`);
  });

  it('errorRate 1 answers errorStatus without calling dependencies', async (t) => {
    const dep = closing(t, await startStatusServer(200));
    const { port } = await start(t, spec({ errorRate: 1, errorStatus: 502, calls: ['payments'] }), dep.port);
    const r = await send(port);
    assert.equal(r.status, 502);
    assert.match(r.body, /failed on purpose/);
    assert.equal(dep.received, 0);
  });

  it('errorRate is a seeded roll: about the given fraction fails', async (t) => {
    const { port } = await start(t, spec({ errorRate: 0.3, latency: { kind: 'fixed', ms: 0 } }), null, 99);
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await send(port)).status === 500) failed++;
    assert.ok(failed > 35 && failed < 85, `${failed} of 200 failed at errorRate 0.3`);
  });

  it('calls each dependency through the sidecar with Host and trace headers, in sequence', async (t) => {
    const calls: { host: string; traceparent?: string; id?: string; at: number }[] = [];
    const sidecar = closing(
      t,
      await startServer((req, res) => {
        calls.push({ host: String(req.headers.host), traceparent: req.headers.traceparent as string, id: req.headers['x-request-id'] as string, at: performance.now() });
        setTimeout(() => {
          res.writeHead(200);
          res.end('ok');
        }, 50);
      }),
    );
    const { port } = await start(t, spec({ calls: ['payments', 'inventory'] }), sidecar.port);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = await send(port, { headers: { traceparent, 'x-request-id': 'r1' } });
    assert.equal(r.status, 200);
    assert.deepEqual(calls.map((c) => c.host), ['payments', 'inventory']);
    assert.ok(calls.every((c) => c.traceparent === traceparent && c.id === 'r1'));
    assert.ok(calls[1].at - calls[0].at >= 45, 'the second call started after the first answered');
  });

  it('in parallel, the calls start together', async (t) => {
    const at: number[] = [];
    const sidecar = closing(
      t,
      await startServer((_req, res) => {
        at.push(performance.now());
        setTimeout(() => res.end('ok'), 100);
      }),
    );
    const { port } = await start(t, spec({ calls: ['a', 'b', 'c'], callMode: 'parallel' }), sidecar.port);
    const r = await send(port);
    assert.equal(r.status, 200);
    assert.equal(at.length, 3);
    assert.ok(Math.max(...at) - Math.min(...at) < 60, 'all three calls were in flight together');
    assert.ok(r.ms < 280, `took ${r.ms}ms, not 3 × 100ms`);
  });

  it("a failed dependency's status goes back with its name; no response at all gives 502", async (t) => {
    const failing = closing(
      t,
      await startServer((req, res) => {
        if (req.headers.host === 'payments') {
          res.writeHead(503, { 'x-meshproof-flags': 'UT,URX' });
          res.end('upstream request timeout');
        } else req.socket.destroy();
      }),
    );
    const a = await start(t, spec({ calls: ['payments'] }), failing.port);
    const r = await send(a.port);
    assert.equal(r.status, 503);
    assert.match(r.body, /dependency payments answered 503 \[UT,URX\]: upstream request timeout/);
    const b = await start(t, spec({ name: 'cart', calls: ['inventory'] }), failing.port);
    const r2 = await send(b.port);
    assert.equal(r2.status, 502);
    assert.match(r2.body, /dependency inventory gave no response \(ECONNRESET\)/);
  });

  it('the slot is held while a dependency is slow, so the queue fills (overload really happens)', async (t) => {
    const slowDep = closing(
      t,
      await startServer((_req, res) => {
        setTimeout(() => res.end('ok'), 300);
      }),
    );
    const { svc, port } = await start(t, spec({ concurrency: 2, queue: 2, calls: ['payments'] }), slowDep.port);
    const inFlight = Array.from({ length: 4 }, () => send(port));
    await waitFor(() => (svc.active === 2 && svc.queued === 2 ? true : undefined), { timeoutMs: 2000, describe: () => '2 working, 2 queued' });
    const refused = await send(port);
    assert.equal(refused.status, 503);
    const done = await Promise.all(inFlight);
    assert.deepEqual(done.map((r) => r.status), [200, 200, 200, 200]);
  });

  it('a spec with calls but no sidecar address is refused at construction', () => {
    assert.throws(() => new BuiltinService({ spec: spec({ calls: ['payments'] }), instance: 'checkout-0', sidecar: null }), /calls payments but no sidecar address/);
  });
});
