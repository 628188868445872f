import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { DestinationPolicy } from '../../../src/contract/mesh-policy.ts';
import type { Endpoint } from '../../../src/contract/sidecar-config.ts';
import { endpoint, policy, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startControlledServer, type ControlledServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

type T = Parameters<typeof startSidecar>[0];

/** Sends n requests with up to 10 in flight; returns who answered each (x-served-by), by name. */
async function countBy(port: number, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const r = await send(port, { host: 'reviews', headers });
      const who = (r.headers['x-served-by'] as string | undefined) ?? `status ${r.status}`;
      out[who] = (out[who] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return out;
}

async function servers(t: T, names: string[]): Promise<Record<string, ControlledServer>> {
  const out: Record<string, ControlledServer> = {};
  for (const n of names) out[n] = closing(t, await startControlledServer({ name: n }));
  return out;
}

describe('locality (Envoy priorities: the caller zone first, spill-over with overprovisioning 1.4)', () => {
  const names = ['a0', 'a1', 'b0', 'b1'];
  const eps = (s: Record<string, ControlledServer>, healthy: Record<string, boolean> = {}): Endpoint[] =>
    names.map((n) => endpoint(`reviews-${n}`, s[n].port, healthy[n] ?? true, { zone: n.startsWith('a') ? 'zone-a' : 'zone-b' }));
  const pol = policy({ locality: { enabled: true, overprovisioningFactor: 1.4 } });

  it('Envoy locality/priority: all traffic stays in the caller zone while it is healthy', async (t) => {
    const s = await servers(t, names);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ zone: 'zone-a', clusters: { reviews: { policy: pol, endpoints: eps(s) } } }));
    const by = await countBy(ports.outbound, 60);
    assert.deepEqual(by, { a0: 30, a1: 30 });
  });

  it('Envoy priority load: with half the local zone unhealthy, P0 takes ⌊1.4 × 50%⌋ = 70% and 30% spills to the other zone (seeded, ±5%)', async (t) => {
    const s = await servers(t, names);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ zone: 'zone-a', seed: 5, clusters: { reviews: { policy: pol, endpoints: eps(s, { a1: false }) } } }));
    const n = 600;
    const by = await countBy(ports.outbound, n);
    const local = (by.a0 ?? 0) / n;
    assert.equal(by.a1, undefined, 'the unhealthy local endpoint gets nothing');
    assert.ok(Math.abs(local - 0.7) < 0.05, `local share ${local}`);
    assert.ok(Math.abs(((by.b0 ?? 0) + (by.b1 ?? 0)) / n - 0.3) < 0.05);
  });

  it('Envoy priority failover: with the local zone down, everything goes to the other zone', async (t) => {
    const s = await servers(t, names);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ zone: 'zone-a', clusters: { reviews: { policy: pol, endpoints: eps(s, { a0: false, a1: false }) } } }));
    assert.deepEqual(await countBy(ports.outbound, 20), { b0: 10, b1: 10 });
  });

  it('a caller without a zone balances over every endpoint, as without locality', async (t) => {
    const s = await servers(t, names);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ zone: null, clusters: { reviews: { policy: pol, endpoints: eps(s) } } }));
    assert.deepEqual(await countBy(ports.outbound, 40), { a0: 10, a1: 10, b0: 10, b1: 10 });
  });

  it('locality off: zones are ignored', async (t) => {
    const s = await servers(t, names);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ zone: 'zone-a', clusters: { reviews: { policy: policy(), endpoints: eps(s) } } }));
    assert.deepEqual(await countBy(ports.outbound, 40), { a0: 10, a1: 10, b0: 10, b1: 10 });
  });
});

describe('traffic split over versions (Istio weighted routes and header matches)', () => {
  const splitPolicy = (): DestinationPolicy =>
    policy({ split: { weights: { v1: 0.9, v2: 0.1 }, routes: [{ headers: { 'x-canary': 'yes' }, version: 'v2' }] } });

  async function setup(t: T, seed = 42) {
    const s = await servers(t, ['v1-0', 'v1-1', 'v2-0']);
    const eps = Object.entries(s).map(([n, srv]) => endpoint(`reviews-${n}`, srv.port, true, { version: n.slice(0, 2) }));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(sidecarConfig({ seed, clusters: { reviews: { policy: splitPolicy(), endpoints: eps } } }));
    return { sidecar, port: ports.outbound, s };
  }

  it('Istio weighted routing: a 90/10 split over 1000 requests gives v2 10% ± 3% (seeded), balanced within each version', async (t) => {
    const { port } = await setup(t);
    const n = 1000;
    const by = await countBy(port, n);
    const v2 = (by['v2-0'] ?? 0) / n;
    assert.ok(Math.abs(v2 - 0.1) < 0.03, `v2 share ${v2}`);
    assert.ok(Math.abs((by['v1-0'] ?? 0) - (by['v1-1'] ?? 0)) <= 1, 'round robin within v1');
  });

  it('Istio header match: a matching header sends every request to its version', async (t) => {
    const { port } = await setup(t);
    assert.deepEqual(await countBy(port, 30, { 'x-canary': 'yes' }), { 'v2-0': 30 });
  });

  it('a version with no endpoint: 503 UH, and the body says which version', async (t) => {
    const s = await servers(t, ['v1-0']);
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({ clusters: { reviews: { policy: policy({ split: { weights: { v3: 1 }, routes: [] } }), endpoints: [endpoint('reviews-v1-0', s['v1-0'].port, true, { version: 'v1' })] } } }),
    );
    const r = await send(ports.outbound, { host: 'reviews' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UH');
    assert.match(r.body, /no endpoint of version v3 \(traffic split\)/);
    assert.equal(counter(sidecar, 'cluster.reviews.upstream_cx_none_healthy'), 1);
  });

  it('retries stay in the version the request was sent to', async (t) => {
    const s = await servers(t, ['v1-0', 'v2-0', 'v2-1']);
    s['v2-0'].status = 503;
    const eps = Object.entries(s).map(([n, srv]) => endpoint(`reviews-${n}`, srv.port, true, { version: n.slice(0, 2) }));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: {
          reviews: {
            policy: policy({ retries: { attempts: 3, perTryTimeoutMs: null, retryOn: ['5xx'], retriableStatusCodes: [], backoff: { baseMs: 1, maxMs: 2 }, budget: null }, split: { weights: { v2: 1 }, routes: [] } }),
            endpoints: eps,
          },
        },
      }),
    );
    for (let i = 0; i < 6; i++) assert.equal((await send(ports.outbound, { host: 'reviews' })).status, 200);
    assert.equal(s['v1-0'].received, 0);
  });
});
