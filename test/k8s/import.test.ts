// meshproof import and mesh.from on manifests shaped like real Istio, Gateway API and Linkerd
// configurations: values land in meshproof keys with their sources, what cannot be expressed is a
// warning at its line, errors point at the manifest, and the skeleton validates as written.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { explainScenario } from '../../src/explain/explain-scenario.ts';
import { importManifests } from '../../src/k8s/import/import-manifests.ts';
import { readMeshFrom } from '../../src/k8s/import/mesh-from-reader.ts';
import { readManifests } from '../../src/k8s/import/read-manifests.ts';
import { writeSkeleton } from '../../src/k8s/import/write-skeleton.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { runCli } from '../helpers/cli.ts';

const FIXTURES = 'test/k8s/fixtures';
const tmp = mkdtempSync(join(tmpdir(), 'meshproof-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function importOf(dir: string) {
  const read = readManifests([join(FIXTURES, dir)], '.');
  assert.deepEqual(read.issues, []);
  return importManifests(read.manifests);
}

/** Every warning as `file:line:col message`. */
function warningsOf(draft: ReturnType<typeof importOf>): string[] {
  return draft.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.message}`);
}

describe('Istio', () => {
  const draft = importOf('istio');

  test('DestinationRule and VirtualService values land in meshproof keys, each with its manifest position', () => {
    assert.equal(draft.profile?.value, 'istio');
    const reviews = draft.destinations.get('reviews')!;
    assert.deepEqual(reviews.connectionPool, { maxConnections: 100, maxPendingRequests: 50, maxRequests: 200, maxRetries: 10 });
    assert.deepEqual(reviews.outlierDetection, { consecutive5xx: 3, interval: '5s', baseEjectionTime: '30s', maxEjectionPercent: '50%' });
    assert.deepEqual(reviews.split, { v1: '90%', v3: '10%' });
    assert.deepEqual(reviews.routes, [{ match: { headers: { 'end-user': 'jason' } }, version: 'v2' }]);
    assert.deepEqual(reviews.retries, { attempts: 3, perTryTimeout: '500ms', retryOn: ['5xx', 'reset', 'connect-failure'] });
    assert.equal(reviews.timeout, '2s');
    assert.equal(reviews.locality, true);
    const at = (key: string) => `${draft.sources[key].file}:${draft.sources[key].line}:${draft.sources[key].col} ${draft.sources[key].field}`;
    assert.equal(at('reviews.timeout'), `${FIXTURES}/istio/reviews.yaml:83:16 spec.http[2].timeout`);
    assert.equal(at('reviews.connectionPool.maxPendingRequests'), `${FIXTURES}/istio/reviews.yaml:19:34 spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests`);
    const ratings = draft.destinations.get('ratings')!;
    // retryOn "gateway-error,503,refused-stream,unavailable": the number is a status, refused-stream a reset, unavailable gRPC.
    assert.deepEqual(ratings.retries, { budget: { percent: '25%', minRetryConcurrency: 5 }, attempts: 2, backoff: { base: '50ms' }, retryOn: ['gateway-error', 'reset', 'retriable-status-codes'], retriableStatusCodes: [503] });
    assert.equal(ratings.panicThreshold, '50%');
    assert.deepEqual(ratings.fault, { delay: { fixed: '200ms', percent: '10%' }, abort: { status: 503, percent: '1.5%' } });
    assert.equal(draft.destinations.get('productpage')!.retries, 'none');
  });

  test('the edges: a Gateway and the VirtualService bound to it become an ingress gateway with its routes, a ServiceEntry an external', () => {
    assert.deepEqual(draft.gateways.get('bookinfo-gateway'), {
      name: 'bookinfo-gateway',
      kind: 'ingress',
      tls: false,
      routes: [{ match: { path: { exact: '/productpage' } }, to: 'productpage' }],
      replicas: null,
      source: draft.gateways.get('bookinfo-gateway')!.source,
    });
    assert.deepEqual([...draft.externals.keys()], ['api-payments-example-com']);
    // The gateway's route is not a policy of the mesh's callers toward productpage.
    assert.equal(draft.destinations.get('productpage')!.retries, 'none');
  });

  test('what meshproof cannot express is warned at its line, security as "not expressible yet"', () => {
    const w = warningsOf(draft);
    const has = (re: RegExp) => assert.ok(w.some((x) => re.test(x)), `no warning matching ${re}:\n${w.join('\n')}`);
    assert.ok(!w.some((x) => /reviews\.yaml:27:5/.test(x)), 'tls ISTIO_MUTUAL is what the callers do on their own (auto mTLS): nothing to warn');
    has(/reviews\.yaml:88:7 not expressible: traffic mirroring/);
    has(/reviews\.yaml:17:9 not expressible: connect timeout/);
    has(/reviews\.yaml:39:7 not expressible: a policy per subset/);
    has(/reviews\.yaml:67:11 not expressible: requests are told apart by uri/);
    has(/security-and-edge\.yaml:5:3 approximated: a namespace-wide policy in bookinfo; meshproof has one namespace, so it is read as mesh-wide/);
    assert.deepEqual(draft.security.mesh, { mtls: 'STRICT' }, 'PeerAuthentication: mesh-wide STRICT');
    assert.deepEqual(draft.security.services.get('ratings'), {
      authorization: [{ name: 'ratings-viewer', action: 'ALLOW', rules: [{ from: [{ principals: ['cluster.local/ns/bookinfo/sa/bookinfo-reviews'] }] }] }],
    }, 'AuthorizationPolicy: a caller in another namespace stays a principal');
    has(/security-and-edge\.yaml:64:7 not expressible yet: a TLS port: meshproof calls an external over plain HTTP/);
    has(/ratings\.yaml:44:9 not expressible: gRPC condition unavailable/);
    has(/ratings\.yaml:44:9 approximated: refused-stream is read as reset/);
    assert.ok(!w.some((x) => /not read: a ServiceAccount/.test(x)), "a ServiceAccount is a workload's identity, read silently");
    // One warning per field: the field tables and the route reader do not both warn.
    assert.equal(new Set(w).size, w.length, 'no duplicate warnings');
  });

  test('the skeleton validates as written, carries its sources as comments, and explain reads its values once calls are filled in', () => {
    const text = writeSkeleton(draft, { name: 'bookinfo', inputs: [`${FIXTURES}/istio`] });
    const file = join(tmp, 'bookinfo.yaml');
    writeFileSync(file, text);
    const parsed = parseScenario(text, file, { meshFrom: readMeshFrom });
    assert.deepEqual(parsed.issues, []);
    assert.match(text, /timeout: 2s # VirtualService reviews spec\.http\[2\]\.timeout \(test\/k8s\/fixtures\/istio\/reviews\.yaml:83:16\)/);
    assert.match(text, /profile: istio # inferred from a namespace with Istio sidecar injection/);
    assert.match(text, /calls: \[\] # TODO/);
    assert.match(text, /# {3}test\/k8s\/fixtures\/istio\/reviews\.yaml:17:9 DestinationRule reviews spec\.trafficPolicy\.connectionPool\.tcp\.connectTimeout: not expressible/);
    assert.match(text, /^security:\n {2}mtls: STRICT/m);
    // Topology: 4 reviews instances from three Deployments, with their versions and zones.
    const s = parsed.scenario!;
    assert.equal(s.services.find((x) => x.name === 'reviews')!.replicas, 4);
    assert.deepEqual(s.services.find((x) => x.name === 'reviews')!.instances, { 'reviews-2': { version: 'v2', zone: 'us-east-1b' }, 'reviews-3': { version: 'v3', zone: 'us-east-1b' } });

    const filled = parseScenario(text.replace('calls: [] # TODO', 'calls: [reviews, ratings] #'), file, { meshFrom: readMeshFrom });
    const words = explainScenario(filled.scenario!).join('\n');
    assert.match(words, /productpage's sidecar retries reviews up to 3 times on 5xx .*each try capped at 500ms, the whole request at 2s/);
    assert.match(words, /requests with end-user: jason go to v2; the rest: 90% to v1 \(reviews-0, reviews-1\) and 10% to v3 \(reviews-3\)/);
    assert.match(words, /Retry budget: retries in flight at most 25% of the requests in flight, with 5 always allowed/);
  });
});

test('Gateway API: a GAMMA HTTPRoute gives the split over per-version Services, header routes, timeouts and retry', () => {
  const draft = importOf('gateway-api');
  assert.equal(draft.profile, null, 'the Gateway API alone names no mesh');
  assert.deepEqual(draft.destinations.get('store'), {
    timeout: '1s',
    retries: { attempts: 2, retryOn: ['gateway-error'], perTryTimeout: '300ms', backoff: { base: '100ms' } },
    split: { v1: '95%', v2: '5%' },
    routes: [{ match: { headers: { 'x-canary': 'true' } }, version: 'v2' }],
  });
  assert.deepEqual([...draft.services.keys()], ['store'], 'store-v1 and store-v2 are versions of store, not services');
  assert.deepEqual(draft.services.get('store')!.groups.map((g) => [g.version, g.replicas]), [['v1', 3], ['v2', 1]]);
  const w = warningsOf(draft);
  assert.ok(w.some((x) => /store\.yaml:90:7 not expressible: request and response filters/.test(x)), w.join('\n'));
  assert.ok(w.some((x) => /store\.yaml:70:11 not expressible: requests are told apart by path/.test(x)), w.join('\n'));
  // A route at a Gateway is that gateway's: its rules are routes, its timeouts the destination's to set.
  assert.deepEqual(draft.gateways.get('public')?.routes, [{ host: 'shop.example.com', to: 'web' }]);
  assert.equal(draft.destinations.get('web'), undefined);
  assert.ok(w.some((x) => /store\.yaml:116:7 approximated: meshproof's gateway applies its destinations' own policy .*timeouts is not applied/.test(x)), w.join('\n'));
});

test('Linkerd: retry, timeout and failure-accrual annotations; a route\'s retry annotations replace the Service\'s', () => {
  const draft = importOf('linkerd');
  assert.equal(draft.profile?.value, 'linkerd');
  assert.deepEqual(draft.destinations.get('emoji-svc'), {
    retries: { attempts: 3, retryOn: ['5xx'], perTryTimeout: '250ms' },
    timeout: '1s',
    outlierDetection: { consecutive5xx: 5, baseEjectionTime: '2s', maxEjectionTime: '1m', interval: '1s', maxEjectionPercent: '100%' },
  });
  assert.deepEqual(draft.destinations.get('voting-svc'), { retries: { attempts: 2, retryOn: ['gateway-error'] } });
  const w = warningsOf(draft);
  for (const re of [
    /emojivoto\.yaml:35:5 not applied: an HTTPRoute toward voting-svc has retry\.linkerd\.io annotations/,
    /emojivoto\.yaml:21:5 not expressible: idle timeouts/,
    /emojivoto\.yaml:25:5 approximated: meshproof's ejections have no jitter/,
    /emojivoto\.yaml:102:1 not expressible: ServiceProfile/,
  ]) assert.ok(w.some((x) => re.test(x)), `${re}\n${w.join('\n')}`);
});

describe('mesh.from', () => {
  const scenarioFile = join(FIXTURES, 'istio-mesh-from.yaml');
  const text = readFileSync(scenarioFile, 'utf8');
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  test('explain shows the imported values with their sources, the warnings and the scenario\'s overrides', () => {
    const r = parseScenario(text, scenarioFile, { meshFrom: readMeshFrom });
    assert.deepEqual(r.issues, []);
    const s = r.scenario!;
    assert.equal(s.profile, 'istio');
    assert.equal(s.mesh.reviews.timeoutMs, 2000);
    assert.equal(s.mesh.ratings.fault, null, 'the scenario\'s fault: none wins');
    assert.ok(r.warnings.some((w) => w.file === scenarioFile && w.line === lineOf('fault: none') && /overrides what VirtualService ratings says at test\/k8s\/fixtures\/istio\/ratings\.yaml:\d+:\d+/.test(w.message)));
    const words = explainScenario(s).join('\n');
    assert.match(words, /From Kubernetes manifests \(mesh\.from: istio\/\*\.yaml\): 4 files/);
    assert.match(words, /timeout ← VirtualService reviews spec\.http\[2\]\.timeout at test\/k8s\/fixtures\/istio\/reviews\.yaml:83:16/);
    assert.match(words, /test\/k8s\/fixtures\/istio\/reviews\.yaml:17:9 DestinationRule reviews spec\.trafficPolicy\.connectionPool\.tcp\.connectTimeout: not expressible/);
    assert.doesNotMatch(words, /fault ← /, 'an overridden value names no source');
  });

  test('a problem with an imported value points at the manifest line, not the scenario', () => {
    // The scenario has no v3 instance, which reviews' VirtualService splits to.
    const r = parseScenario(text.replace('      reviews-4: { version: v3, zone: us-east-1b }\n', ''), scenarioFile, { meshFrom: readMeshFrom });
    const issue = r.issues.find((i) => i.path.startsWith('mesh.reviews.split') && /no version "v3"/.test(i.message));
    assert.ok(issue, JSON.stringify(r.issues));
    assert.equal(`${issue.file}:${issue.line}`, `${FIXTURES}/istio/reviews.yaml:75`);
    assert.match(issue.message, /imported from VirtualService reviews spec\.http\[2\]\.route/);
  });

  test('a bad value in a manifest and a pattern that matches nothing: positioned errors, no scenario', () => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(dir, 'dr.yaml'), 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: store }\nspec:\n  host: store\n  trafficPolicy:\n    outlierDetection:\n      interval: 5 seconds\n');
    const file = join(dir, 's.yaml');
    const scenario = text.replace('from: [istio/*.yaml]', 'from: [dr.yaml, nothing/*.yaml]').replace(/  ratings:\n    #.*\n    fault: none\n/, '');
    const r = parseScenario(scenario, file, { meshFrom: readMeshFrom });
    assert.equal(r.scenario, null);
    const lines = r.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.message}`);
    assert.ok(lines.some((l) => l.startsWith(`${join(dir, 'dr.yaml')}:8:17 found "5 seconds"; expected a duration`)), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith(`${file}:${lineOf('from: [')}:19 "nothing/*.yaml" matches no file`)), lines.join('\n'));
  });

  test('a manifest for a service the scenario does not have is a warning, not an error', () => {
    const r = parseScenario(text.replace('from: [istio/*.yaml]', 'from: [istio/*.yaml, gateway-api]'), scenarioFile, { meshFrom: readMeshFrom });
    assert.deepEqual(r.issues, []);
    assert.ok(r.warnings.some((w) => /HTTPRoute store-canary is about store, which is not a service of this scenario/.test(w.message)));
  });
});

test('meshproof import: exit 2 and nothing written for a manifest error; the skeleton written and valid otherwise', async () => {
  const dir = mkdtempSync(join(tmp, 'cli-'));
  writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: x }\nspec:\n  hosts: [x]\n  http:\n    - timeout: soon\n');
  const bad = await runCli(['import', join(dir, 'bad.yaml'), '--out', join(dir, 'never.yaml')], { timeoutMs: 30_000 });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, new RegExp(`${join(dir, 'bad.yaml')}:7:16 VirtualService x spec\\.http\\[0\\]\\.timeout: found "soon"`));
  assert.throws(() => readFileSync(join(dir, 'never.yaml')));

  const out = join(dir, 'linkerd.yaml');
  const ok = await runCli(['import', `${FIXTURES}/linkerd`, '--out', out], { timeoutMs: 30_000 });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /warning: test\/k8s\/fixtures\/linkerd\/emojivoto\.yaml:21:5 Service emoji-svc metadata\.annotations\.timeout\.linkerd\.io\/idle: not expressible: idle timeouts/);
  const valid = await runCli(['validate', out], { timeoutMs: 30_000 });
  assert.equal(valid.code, 0, valid.stderr);
});
