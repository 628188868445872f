import assert from 'node:assert/strict';
import { describe, expect, onTestFinished, test, type TestContext } from 'vitest';
import type { HttpFault } from '../../../src/contract/mesh-policy.ts';
import { endpoint, policy, retries, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startEchoServer, startSlowServer, startStatusServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

/**
A user's program reaches a callee three ways: its dedicated listener (`<NAME>_URL`, any Host), the
Host-routed outbound (`MESHPROOF_SIDECAR`, Host: payments), and the Host-routed outbound as an HTTP
proxy (`GET http://payments/x`, what HTTP_PROXY makes a client send). Each policy below must act the
same way on all three: they share one code path, and these tests hold it to that.
*/

/** The helpers' cleanup hook, for the current test (the helpers take a test context). */
const t = { onTestFinished: (fn: () => unknown) => onTestFinished(async () => void (await fn())) } as unknown as TestContext;

type Way = 'dedicated listener' | 'Host header' | 'proxy-form target';
const WAYS: Way[] = ['dedicated listener', 'Host header', 'proxy-form target'];

/** A caller's sidecar with a dedicated listener for payments, and a function that calls payments one of the three ways. */
async function caller(cluster: Parameters<typeof sidecarConfig>[0]['clusters'][string]) {
  const { sidecar, ports } = await startSidecar(t, { upstreams: ['payments'] });
  sidecar.applyConfig(sidecarConfig({ clusters: { payments: cluster, inventory: { policy: policy(), endpoints: [] } } }));
  const call = (way: Way, path = '/charge') => {
    if (way === 'dedicated listener') return send(ports.upstreams!.payments, { path, host: `127.0.0.1:${ports.upstreams!.payments}` });
    if (way === 'Host header') return send(ports.outbound, { path, host: 'payments' });
    return send(ports.outbound, { path: `http://payments${path}`, host: 'payments' });
  };
  return { sidecar, ports, call };
}

describe('dedicated outbound listeners and proxy-form targets', () => {
  test('the sidecar reports a port per upstream it was started with, and none without', async () => {
    const { ports } = await startSidecar(t, { upstreams: ['payments', 'inventory', 'payments'] });
    expect(Object.keys(ports.upstreams ?? {})).toEqual(['payments', 'inventory']);
    const distinct = new Set([ports.inbound, ports.outbound, ports.admin, ...Object.values(ports.upstreams!)]);
    expect(distinct.size).toBe(5);
    const plain = await startSidecar(t);
    expect(plain.ports.upstreams).toBeUndefined();
  });

  test('a dedicated listener routes to its service whatever the Host header says; a proxy-form target to the host it names, with the path sent on in origin form', async () => {
    const up = closing(t, await startEchoServer());
    const { sidecar, ports, call } = await caller({ policy: policy(), endpoints: [endpoint('payments-0', up.port)] });
    const viaListener = await send(ports.upstreams!.payments, { path: '/a?b=1', host: 'inventory' });
    expect(viaListener.status).toBe(200);
    expect(JSON.parse(viaListener.body).url).toBe('/a?b=1');
    // The Host header says inventory; the absolute-form target wins (RFC 9112 §3.2.2).
    const proxied = await send(ports.outbound, { path: 'http://payments:8080/x/y?z=2', host: 'inventory' });
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body).url).toBe('/x/y?z=2');
    const bare = await call('proxy-form target', '');
    expect(JSON.parse(bare.body).url).toBe('/');
    expect(up.received).toBe(3);
    expect(counter(sidecar, 'cluster.payments.upstream_rq_total')).toBe(3);
    expect(counter(sidecar, 'http.outbound.downstream_rq_total')).toBe(3);
  });

  test('a proxy-form target naming no known service gets the same 404 NR as an unknown Host', async () => {
    const { ports } = await caller({ policy: policy(), endpoints: [] });
    const r = await send(ports.outbound, { path: 'http://example.com/', host: 'example.com' });
    expect(r.status).toBe(404);
    expect(r.headers['x-meshproof-flags']).toBe('NR');
    expect(r.body).toMatch(/"example\.com"/);
  });

  for (const way of WAYS) {
    describe(`policies through the ${way}`, () => {
      test('retries: a 503 is retried and the caller gets the 200 of the second try', async () => {
        const up = closing(t, await startStatusServer((n) => (n === 1 ? 503 : 200)));
        const { call, sidecar } = await caller({ policy: policy({ retries: retries({ attempts: 2, retryOn: ['5xx'] }) }), endpoints: [endpoint('payments-0', up.port)] });
        const r = await call(way);
        expect(r.status).toBe(200);
        expect(r.headers['x-envoy-attempt-count']).toBe('2');
        expect(counter(sidecar, 'cluster.payments.upstream_rq_retry')).toBe(1);
      });

      test('timeout: a callee slower than the route timeout is answered 504 UT', async () => {
        const up = closing(t, await startSlowServer(2000));
        const { call } = await caller({ policy: policy({ timeoutMs: 100 }), endpoints: [endpoint('payments-0', up.port)] });
        const r = await call(way);
        expect(r.status).toBe(504);
        expect(r.headers['x-meshproof-flags']).toBe('UT');
        assert.ok(r.ms < 1500, `answered after ${r.ms}ms`);
      });

      test('an L7 fault at the outbound aborts before routing (FI), the callee never sees the request', async () => {
        const up = closing(t, await startStatusServer(200));
        const abort: HttpFault = { delay: null, abort: { status: 503, percent: 1 } };
        const { call } = await caller({ policy: policy(), endpoints: [endpoint('payments-0', up.port)], fault: abort });
        const r = await call(way);
        expect(r.status).toBe(503);
        expect(r.headers['x-meshproof-flags']).toBe('FI');
        expect(up.received).toBe(0);
      });

      test('no healthy endpoint: 503 UH', async () => {
        const up = closing(t, await startStatusServer(200));
        const { call } = await caller({ policy: policy(), endpoints: [endpoint('payments-0', up.port, false)] });
        const r = await call(way);
        expect(r.status).toBe(503);
        expect(r.headers['x-meshproof-flags']).toBe('UH');
      });

      test("the request is recorded on the caller's edge to payments", async () => {
        const up = closing(t, await startStatusServer(200));
        const { call, sidecar } = await caller({ policy: policy(), endpoints: [endpoint('payments-0', up.port)] });
        await call(way);
        const series = sidecar.timeline().series;
        const edge = Object.keys(series).filter((k) => k.includes('payments'));
        expect(edge.length).toBeGreaterThan(0);
        const requests = edge.flatMap((k) => Object.values(series[k] as Record<string, { requests: number }>)).reduce((a, b) => a + b.requests, 0);
        expect(requests).toBeGreaterThan(0);
      });
    });
  }
});
