import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runScenario } from '../../src/engine/run-scenario.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.ts';
import { processesOfRun } from '../../src/process/run-processes.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { assertAllHeld as allHeld } from '../helpers/documented-verdicts.ts';

/**
The edges of the mesh through real processes on the local runtime: gateways routing the load (by
host and path, by weight, and 404 NR for what no rule takes), the outbound traffic policy toward a
host the registry does not know (ALLOW_ANY passes it through, REGISTRY_ONLY answers 502), and calls
to an external that leave through the egress gateway, and only through it.
*/

const state = mkdtempSync(join(tmpdir(), 'meshproof-edges-state-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));

async function run(yaml: string): Promise<RunResult> {
  const parsed = parseScenario(yaml, join(tmpdir(), 'edges.yaml'));
  expect(parsed.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([]);
  const outcome = await runScenario(parsed.scenario!, { runtime: new LocalRuntime({ stateDir: state }), tracing: false, warmupMs: 300 });
  const r = outcome.result;
  expect(r.error).toBeNull();
  expect(processesOfRun(r.runId), 'nothing of the run is left').toEqual([]);
  return r;
}


/** Requests of one series over the whole run. */
function total(r: RunResult, key: string): number {
  return (r.timeline.series[key] ?? []).reduce((a, b) => a + (b?.requests ?? 0), 0);
}

describe('gateways through real gateway processes', () => {
  test('an ingress gateway with two replicas routes the load by host and path, split 75/25 by weight; the load balancer in front spreads it over both replicas', async () => {
    const r = await run(`version: 1
name: gateway-weights
description: weights through a gateway
seed: 3
duration: 3s
services:
  shop-a: {}
  shop-b: {}
  admin: {}
gateways:
  edge:
    kind: ingress
    replicas: 2
    routes:
      - host: admin.example.com
        to: admin
      - host: shop.example.com
        match: { path: { prefix: /shop } }
        to: { shop-a: 75%, shop-b: 25% }
load: { target: edge, rate: 80/s, host: shop.example.com, path: /shop/cart }
expect:
  - success_rate(client) >= 99%
  - no_route(edge) == 0
  - requests(edge -> admin) == 0
  - requests(client -> edge-0) > 60
  - requests(client -> edge-1) > 60
`);
    allHeld(r);
    const a = total(r, 'edge:edge->shop-a');
    const b = total(r, 'edge:edge->shop-b');
    expect(a + b).toBeGreaterThan(150);
    expect(Math.abs(a / (a + b) - 0.75), `shop-a got ${a}, shop-b ${b}`).toBeLessThan(0.08);
    // Both replicas routed: each records its own instance series and its own edges.
    expect(total(r, 'instance:edge-0')).toBeGreaterThan(60);
    expect(total(r, 'instance:edge-1')).toBeGreaterThan(60);
  }, 90_000);

  test('what no route takes: 404 NR at the gateway, counted by no_route, and nothing reaches the services', async () => {
    const r = await run(`version: 1
name: gateway-no-route
description: no route at the gateway
seed: 3
duration: 2s
services:
  checkout: {}
gateways:
  edge:
    kind: ingress
    routes:
      - match: { path: { prefix: /shop } }
        to: checkout
load: { target: edge, rate: 40/s, path: /admin }
expect:
  - no_route(edge) >= 60
  - no_route(edge-0) >= 60
  - requests(edge -> checkout) == 0
`);
    allHeld(r);
    const client = r.timeline.series.client.reduce((a, b) => a + (b?.status['404'] ?? 0), 0);
    expect(client).toBeGreaterThanOrEqual(60);
    expect(total(r, 'instance:checkout-0')).toBe(0);
  }, 90_000);
});

describe('a gateway in a mesh with security', () => {
  test('STRICT mutual TLS inside, TLS from the mesh CA at the gateway: the gateway originates mutual TLS to its destinations with an identity of its own, and the load balancer in front verifies the gateway by its host', async () => {
    const r = await run(`version: 1
name: gateway-in-a-secure-mesh
description: a TLS gateway in front of a STRICT mesh
seed: 7
duration: 3s
security: { mtls: STRICT }
services:
  checkout: { calls: [payments] }
  payments: {}
gateways:
  edge:
    kind: ingress
    tls: true
    routes:
      - host: shop.example.com
        to: checkout
load: { target: edge, host: shop.example.com, rate: 40/s }
expect:
  - success_rate(client) >= 99%
  # Away from the load's start and end, where the load generator cuts requests in flight (its
  # warm-up's at second 0, its last at the end): with no response they do not count as mTLS.
  - mtls(edge -> checkout) == 100% between 1s and 2s
  - mtls(checkout -> payments) == 100% between 1s and 2s
  - handshake_errors(checkout) == 0 between 1s and 2s
  - requests(edge -> checkout) >= 80
`);
    allHeld(r);
    // Every pod with a proxy got its certificate from the mesh CA, the gateway's replica too.
    const issued = r.events.filter((e) => e.type === 'certificate-issued').map((e) => e.instance);
    expect(issued).toEqual(expect.arrayContaining(['checkout-0', 'edge-0', 'payments-0']));
  }, 90_000);
});

describe('outbound traffic policy (Istio ALLOW_ANY vs REGISTRY_ONLY)', () => {
  const scenario = (mode: string, expect: string[]) => `version: 1
name: traffic-policy
description: a host the registry does not know
seed: 4
duration: 2s
services:
  checkout: { calls: [maps, card-api] }
external:
  maps: { latency: 1ms }
  card-api: { latency: 1ms, registered: false }
mesh:
  outboundTrafficPolicy: ${mode}
load: { target: checkout, rate: 40/s }
expect:
${expect.map((e) => `  - ${e}`).join('\n')}
`;

  test('ALLOW_ANY: the unregistered external is reached through PassthroughCluster; the registered one as a cluster', async () => {
    const r = await run(
      scenario('ALLOW_ANY', [
        'success_rate(client) >= 99%',
        'requests(checkout -> PassthroughCluster) >= 60',
        'requests(checkout -> card-api) >= 60',
        'requests(checkout -> BlackHoleCluster) == 0',
        'requests(checkout -> maps) >= 60',
      ]),
    );
    allHeld(r);
    // The tries name the instance they reached, though no policy applied on the way.
    expect(total(r, 'upstream:checkout->card-api-0')).toBeGreaterThanOrEqual(60);
  }, 90_000);

  test('REGISTRY_ONLY: every call to the unregistered external is answered 502 at the sidecar (BlackHoleCluster) and the request fails; the registered one still works', async () => {
    const r = await run(
      scenario('REGISTRY_ONLY', [
        'success_rate(client) <= 1%',
        'requests(checkout -> BlackHoleCluster) >= 60',
        'error_rate(checkout -> card-api) == 100%',
        'requests(checkout -> PassthroughCluster) == 0',
        'success_rate(checkout -> maps) == 100%',
      ]),
    );
    allHeld(r);
    const blackhole = r.timeline.series['edge:checkout->BlackHoleCluster'].reduce((a, b) => a + (b?.status['502'] ?? 0), 0);
    expect(blackhole).toBe(total(r, 'edge:checkout->BlackHoleCluster'));
    expect(total(r, 'upstream:checkout->card-api-0'), 'nothing left the sidecar for it').toBe(0);
  }, 90_000);
});

describe('faults and expectations on the edges to externals', () => {
  test('a toxic on checkout -> card-api (registered) and on checkout -> maps (unregistered, passed through) slows only those calls, measured on the same edges; an http fault at the outbound toward card-api fails only its calls', async () => {
    const r = await run(`version: 1
name: external-edges
description: faults on the calls to externals
seed: 6
duration: 8s
services:
  checkout: { calls: [card-api, maps] }
external:
  card-api: { latency: 1ms }
  maps: { latency: 1ms, registered: false }
mesh:
  card-api: { retries: none }
load: { target: checkout, rate: 40/s, connections: 20 }
faults:
  - { name: slow-card, at: 1s, for: 2s, target: checkout -> card-api, toxic: { type: latency, latency: 250 } }
  - { name: slow-maps, at: 3s, for: 2s, target: checkout -> maps, toxic: { type: latency, latency: 150 } }
  - { name: card-down, at: 5s, for: 2s, target: checkout -> card-api, http: { abort: 503 } }
expect:
  - p50(checkout -> card-api) >= 240ms during slow-card from +500ms
  - p50(checkout -> PassthroughCluster) < 100ms during slow-card from +500ms
  - p50(checkout -> PassthroughCluster) >= 140ms during slow-maps from +500ms
  - p50(checkout -> card-api) < 100ms during slow-maps from +500ms
  - error_rate(checkout -> card-api) == 0% during slow-maps
  - error_rate(checkout -> card-api) >= 99% during card-down from +500ms
`);
    allHeld(r);
    // The abort was the sidecar's (flag FI), not the external's: nothing reached card-api for it.
    const fi = r.timeline.series['edge:checkout->card-api'].reduce((a, b) => a + (b?.flags.FI ?? 0), 0);
    expect(fi).toBeGreaterThan(30);
  }, 90_000);
});

describe('the egress gateway', () => {
  test('calls to a registered external leave through the egress gateway and only through it; its policy toward the external and a toxic on its wire out apply there, in one place', async () => {
    const r = await run(`version: 1
name: egress-path
description: through the egress gateway
seed: 5
duration: 4s
services:
  checkout: { calls: [card-api] }
gateways:
  out: { kind: egress }
external:
  card-api: { latency: 1ms }
mesh:
  # The policy toward the external: the egress gateway's sidecar-like hop out applies it.
  card-api: { timeout: 150ms }
load: { target: checkout, rate: 40/s }
faults:
  - { name: slow-out, at: 2s, target: out -> card-api, toxic: { type: latency, latency: 400 } }
expect:
  - success_rate(client) >= 99% before slow-out
  - requests(out -> card-api) >= 60
  - requests(checkout -> out) >= 60
  - error_rate(out -> card-api) >= 90% during slow-out from +500ms
  - p99(checkout -> card-api) >= 140ms during slow-out from +500ms
`);
    allHeld(r);
    expect(total(r, 'upstream:checkout->card-api-0'), 'checkout never dialed the external itself').toBe(0);
    expect(total(r, 'upstream:checkout->out-0')).toBeGreaterThan(100);
    expect(total(r, 'upstream:out->card-api-0')).toBeGreaterThan(100);
    // The timeouts happened at the gateway (504 UT on its edge out), and the callers saw them.
    const ut = r.timeline.series['edge:out->card-api'].reduce((a, b) => a + (b?.flags.UT ?? 0), 0);
    expect(ut).toBeGreaterThan(20);
  }, 90_000);

  test('a wire fault on a caller\'s calls to an external that leave through the egress gateway is refused, naming where it belongs', () => {
    const parsed = parseScenario(
      `version: 1
name: egress-wire
description: d
duration: 4s
services:
  checkout: { calls: [card-api] }
gateways:
  out: { kind: egress }
external:
  card-api: {}
load: { target: checkout, rate: 10/s }
faults:
  - { name: slow, at: 1s, target: checkout -> card-api, toxic: { type: latency, latency: 100 } }
expect: ["success_rate(client) >= 1%"]
`,
      'egress.yaml',
    );
    expect(parsed.scenario).toBeNull();
    expect(parsed.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
      '13:35 calls from checkout to card-api leave through the egress gateway out, so there is no wire from checkout to card-api: put the fault on out -> card-api (where every call to it passes), or on checkout -> out',
    ]);
  });
});
