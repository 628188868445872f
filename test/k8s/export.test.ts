// meshproof export: the resources for each mesh, validated offline; what a target cannot express
// is said, not dropped; and the validator does fail on a broken resource.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, test } from 'vitest';
import { exportScenario } from '../../src/k8s/export/export-scenario.ts';
import { gatewayDuration, linkerdDuration } from '../../src/k8s/export/export-routes.ts';
import type { Resource } from '../../src/k8s/export/exported.ts';
import { validateExport } from '../../src/k8s/export/validate-export.ts';
import { readMeshFrom } from '../../src/k8s/import/mesh-from-reader.ts';
import { loadScenario } from '../../src/scenario/parse-scenario.ts';
import { runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const find = (resources: Resource[], kind: string, name: string) => resources.find((r) => r.kind === kind && r.metadata.name === name) as Resource & { spec: any };

test('istio: a DestinationRule and a VirtualService per destination, with every tested value written where Istio would do otherwise', async () => {
  const scenario = await loadScenario('scenarios/a-hung-instance-is-caught-by-per-try-timeout-and-ejection.yaml');
  const exported = exportScenario(scenario, 'istio');
  assert.deepEqual(await validateExport(exported), []);
  const all = exported.files.flatMap((f) => f.resources);
  const dr = find(all, 'DestinationRule', 'payments');
  // Envoy's profile: round robin and 1024-request breakers, which Istio would not do unwritten.
  assert.deepEqual(dr.spec.trafficPolicy.loadBalancer, { simple: 'ROUND_ROBIN', localityLbSetting: { enabled: false } });
  assert.deepEqual(dr.spec.trafficPolicy.connectionPool, { tcp: { maxConnections: 1024 }, http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024, maxRetries: 10 } });
  assert.deepEqual(dr.spec.trafficPolicy.outlierDetection, { consecutive5xxErrors: 5, interval: '1s', baseEjectionTime: '30s', maxEjectionPercent: 50, minHealthPercent: 50 });
  const vs = find(all, 'VirtualService', 'payments');
  assert.deepEqual(vs.spec.http, [{ name: 'default', route: [{ destination: { host: 'payments' } }], timeout: '1s', retries: { attempts: 2, perTryTimeout: '300ms', retryOn: '5xx,reset,connect-failure', backoff: '25ms' } }]);
  // The gateway's policy under envoy is no retries, which Istio must be told.
  assert.deepEqual(find(all, 'VirtualService', 'gateway').spec.http[0].retries, { attempts: 0 });
  const deployment = find(all, 'Deployment', 'payments');
  assert.equal(deployment.spec.replicas, 3);
  assert.equal(deployment.spec.template.metadata.labels['sidecar.istio.io/inject'], 'true');
  assert.equal(deployment.spec.template.spec.containers[0].image, 'example.invalid/replace-me/payments:latest');
  assert.deepEqual(find(all, 'Deployment', 'checkout').spec.template.spec.containers[0].env, [{ name: 'PORT', value: '8080' }, { name: 'PAYMENTS_URL', value: 'http://payments' }]);
});

test('gateway-api and linkerd: notes for what they cannot express, and the written files carry them', async () => {
  const out = join(tmp, 'linkerd');
  const r = await runCli(['export', 'linkerd', 'scenarios/a-retry-budget-stops-a-retry-storm.yaml', '--out', out], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: store: retries\.budget: Linkerd's retry annotations have no budget/);
  assert.match(r.stderr, /note: store: connectionPool: Linkerd cannot express connectionPool/);
  const topology = readFileSync(join(out, 'topology.yaml'), 'utf8');
  assert.match(topology, /# {3}store: retries\.budget: Linkerd's retry annotations have no budget/);
  const store = parseAllDocuments(topology).map((d) => d.toJS()).find((x) => x.kind === 'Service' && x.metadata.name === 'store');
  // The scenario's envoy profile times requests out at 15s, which Linkerd must be told.
  assert.deepEqual(store.metadata.annotations, { 'timeout.linkerd.io/request': '15s', 'retry.linkerd.io/http': '5xx', 'retry.linkerd.io/limit': '4', 'retry.linkerd.io/timeout': '500ms' });

  const gw = exportScenario(await loadScenario('scenarios/a-canary-gets-ten-percent.yaml'), 'gateway-api');
  assert.deepEqual(await validateExport(gw), []);
  const route = find(gw.files.flatMap((f) => f.resources), 'HTTPRoute', 'reviews');
  assert.deepEqual(route.spec.parentRefs, [{ group: '', kind: 'Service', name: 'reviews', port: 80 }]);
  assert.deepEqual(route.spec.rules[0].backendRefs, [{ name: 'reviews-v1', port: 80, weight: 900000 }, { name: 'reviews-v2', port: 80, weight: 100000 }]);
  assert.deepEqual(route.spec.rules[0].timeouts, { request: '15s' });
  assert.equal(route.metadata.annotations!['meshproof.dev/profile'], 'envoy');
});

test('the validator fails what the schemas or meshproof\'s own checks refuse', async () => {
  const exported = exportScenario(await loadScenario('scenarios/a-canary-gets-ten-percent.yaml', { meshFrom: readMeshFrom }), 'istio');
  const all = exported.files.flatMap((f) => f.resources);
  const vs = find(all, 'VirtualService', 'reviews');
  vs.spec.http[0].route[1].weight = 20; // 90 + 20
  vs.spec.http[0].timeout = '15 seconds';
  find(all, 'DestinationRule', 'reviews').spec.trafficPolicy.connectionPool.tcp.maxConnections = 'many';
  const problems = await validateExport(exported);
  assert.ok(problems.some((p) => /VirtualService reviews: spec\.http\[0\]\.route: weights must be whole numbers adding up to 100 \(they add up to 110\)/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /VirtualService reviews: spec\.http\[0\]\.timeout: "15 seconds" is not a duration Istio reads/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /DestinationRule reviews: .*maxConnections must be integer/.test(p)), problems.join('\n'));

  const gw = exportScenario(await loadScenario('scenarios/quickstart.yaml'), 'gateway-api');
  const route = find(gw.files.flatMap((f) => f.resources), 'HTTPRoute', 'payments');
  route.spec.rules[0].timeouts = { request: '100ms', backendRequest: '200ms' };
  assert.ok((await validateExport(gw)).some((p) => /backendRequest \(200ms\) must be <= request \(100ms\)/.test(p)));
});

test('durations in the forms the Gateway API and Linkerd take', () => {
  assert.equal(gatewayDuration(1500), '1s500ms');
  assert.equal(gatewayDuration(90_000), '1m30s');
  assert.equal(gatewayDuration(0.5), null);
  assert.equal(linkerdDuration(1500), '1500ms');
  assert.equal(linkerdDuration(120_000), '2m');
});

test('meshproof export: an unknown target is a usage error', async () => {
  const r = await runCli(['export', 'consul', 'scenarios/quickstart.yaml'], { timeoutMs: 30_000 });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown target "consul" \(targets: istio, gateway-api, linkerd\)/);
});

test('istio: the edges — a Gateway with its certificate\'s Secret and a VirtualService per host set bound to it, a ServiceEntry, the egress gateway pattern, a Sidecar for REGISTRY_ONLY, the gateways\' Deployments', async () => {
  const exported = exportScenario(await loadScenario('test/k8s/fixtures/edges-scenario.yaml'), 'istio');
  assert.deepEqual(await validateExport(exported), []);
  const all = exported.files.flatMap((f) => f.resources);
  assert.deepEqual(find(all, 'Gateway', 'edge').spec.servers, [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['admin.example.com', 'shop.example.com'], tls: { mode: 'SIMPLE', credentialName: 'edge-cert' } }]);
  const shop = find(all, 'VirtualService', 'edge-1');
  assert.deepEqual(shop.spec.hosts, ['shop.example.com']);
  assert.deepEqual(shop.spec.gateways, ['edge']);
  assert.deepEqual(shop.spec.http[0].match, [{ uri: { prefix: '/shop' } }, { uri: { exact: '/cart' } }]);
  assert.deepEqual(shop.spec.http[0].route, [{ destination: { host: 'shop' }, weight: 90 }, { destination: { host: 'shop-next' }, weight: 10 }]);
  // meshproof's gateway applies the destination's policy, so Istio's gateway route must carry it.
  assert.equal(shop.spec.http[0].timeout, '2s');
  assert.equal(find(all, 'ServiceEntry', 'card-api').spec.location, 'MESH_EXTERNAL');
  assert.equal(find(all, 'ServiceEntry', 'maps'), undefined, 'an unregistered external is no ServiceEntry');
  const out = find(all, 'VirtualService', 'out-card-api');
  assert.deepEqual(out.spec.gateways, ['mesh', 'out']);
  assert.deepEqual(out.spec.http[0].route, [{ destination: { host: 'out', port: { number: 80 } } }]);
  assert.equal(out.spec.http[1].timeout, '800ms');
  assert.deepEqual(find(all, 'Sidecar', 'default').spec, { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  assert.equal(find(all, 'Deployment', 'edge').spec.replicas, 2);
  assert.equal(find(all, 'Deployment', 'edge').spec.template.metadata.annotations['inject.istio.io/templates'], 'gateway');
  const notes = exported.notes.map((n) => `${n.key}: ${n.message}`);
  assert.ok(notes.some((n) => /^gateways\.edge\.rateLimit: Istio has no field for a local rate limit/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /^external\.maps\.registered: .*under REGISTRY_ONLY Istio refuses it/.test(n)), notes.join('\n'));

  // The validator does look at the references: a route bound to a gateway that is not there fails.
  const broken = structuredClone(exported);
  broken.files = broken.files.map((f) => ({ ...f, resources: f.resources.filter((r) => !(r.kind === 'Gateway' && r.metadata.name === 'edge')) }));
  assert.ok((await validateExport(broken)).some((p) => /VirtualService edge: spec\.gateways: no Gateway edge in the export/.test(p)));
});
