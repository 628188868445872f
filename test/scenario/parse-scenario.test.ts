import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import type { Expectation, Scenario } from '../../src/scenario/scenario.ts';
import type { DestinationPolicy, RetryPolicy } from '../../src/contract/mesh-policy.ts';
import { serviceSpec } from '../helpers/scenario.ts';
import { assertIssues, fixtureText, parseFixture } from './helpers.ts';

/** A valid scenario around the given `mesh:` and `load:` blocks (front -> store, 2 store replicas). */
function scenario(parts: { services?: string; mesh?: string; load?: string; expect?: string }): Scenario {
  const text = [
    'version: 1',
    'name: t',
    'description: t',
    'duration: 10s',
    parts.services ?? 'services:\n  front: { calls: [store] }\n  store: { replicas: 2 }',
    parts.mesh ?? '',
    parts.load ?? 'load: { target: front, rate: 100/s }',
    parts.expect ?? 'expect: [ "success_rate(client) >= 99%" ]',
  ].join('\n');
  const r = parseScenario(text, 't.yaml');
  assert.deepEqual(r.issues, [], text);
  assert.ok(r.scenario);
  return r.scenario;
}

function retriesOf(mesh: string): RetryPolicy | null {
  return scenario({ mesh: `mesh:\n  store:\n${mesh}` }).mesh.store.retries;
}

/** Everything but timeout, retries and the load balancer, as the envoy profile (the default) fills it. */
const ENVOY_REST = {
  connectionPool: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 },
  outlierDetection: null,
  panicThreshold: 0.5,
  healthCheck: null,
  fault: null,
  locality: { enabled: false, overprovisioningFactor: 1.4 },
  split: null,
  deadlines: 'off',
} satisfies Partial<DestinationPolicy>;

/** The envoy profile's policy for a destination the scenario says nothing about. */
const DEFAULT_POLICY: DestinationPolicy = { timeoutMs: 15_000, retries: null, loadBalancer: 'round_robin', ...ENVOY_REST };

describe('defaults and normalisation', () => {
  test('the smallest scenario, with every default filled in', () => {
    const r = parseFixture('valid-minimal.yaml');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.scenario, {
      version: 1,
      name: 'minimal',
      description: 'The least a scenario can say.',
      seed: 1,
      durationMs: 5000,
      services: [
        {
          name: 'front',
          replicas: 1,
          latency: { kind: 'fixed', ms: 1 },
          errorRate: 0,
          errorStatus: 500,
          concurrency: null,
          queue: 100,
          calls: [],
          callMode: 'sequence',
          instances: {},
          zone: null,
          version: 'v1',
          rateLimit: null,
          quotas: [],
          bulkheads: {},
          responseBytes: 0,
          image: null,
          command: null,
          cwd: null,
          env: {},
          ready: null,
          mtls: null,
          authorization: [],
        },
      ],
      mesh: { front: DEFAULT_POLICY },
      load: { target: 'front', model: 'open', rate: 200, arrivals: 'uniform', connections: 20, durationMs: 5000, phases: [], path: '/', plaintext: false },
      profile: 'envoy',
      faults: [],
      chaos: { engine: 'builtin', address: null },
      runtime: 'local',
      expect: [
        {
          text: 'success_rate(client) >= 99%',
          metric: 'success_rate',
          scope: { kind: 'client' },
          op: '>=',
          value: 0.99,
          unit: 'ratio',
          window: { kind: 'run' },
          line: 9,
          col: 5,
        },
      ],
      security: { mtls: 'PERMISSIVE', trustDomain: 'cluster.local', certTtlMs: 86_400_000, renewAt: 0.5, rootCA: null },
      source: { file: 'valid-minimal.yaml' },
      rateLimitService: null,
    } satisfies Scenario);
  });

  test('every key set: services in declaration order, units converted, a policy for every service', () => {
    const r = parseFixture('valid-full.yaml');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.warnings, []);
    const s = r.scenario!;
    assert.equal(s.seed, 42);
    assert.equal(s.durationMs, 10_000);
    assert.deepEqual(s.services, [
      serviceSpec('front', { replicas: 2, latency: { kind: 'fixed', ms: 5 }, errorRate: 0.01, errorStatus: 502, concurrency: 64, queue: 10, calls: ['store', 'cache'] }),
      serviceSpec('store', {
        replicas: 3,
        latency: { kind: 'distribution', p50Ms: 5, p99Ms: 25 },
        errorRate: 0.1,
        errorStatus: 503,
        calls: ['db', 'cache'],
        callMode: 'parallel',
        instances: { 'store-2': { latency: { kind: 'fixed', ms: 150 }, errorRate: 0.5 } },
      }),
      serviceSpec('cache', { latency: { kind: 'fixed', ms: 0.5 } }),
      serviceSpec('db'),
    ]);
    assert.deepEqual(s.mesh, {
      front: DEFAULT_POLICY,
      store: {
        timeoutMs: 600,
        retries: {
          attempts: 2,
          perTryTimeoutMs: 150,
          retryOn: ['5xx', 'reset', 'connect-failure', 'retriable-status-codes'],
          retriableStatusCodes: [503],
          backoff: { baseMs: 10, maxMs: 1000 },
          budget: { percent: 0.25, minRetryConcurrency: 5 },
        },
        loadBalancer: 'least_request',
        ...ENVOY_REST,
      },
      cache: {
        timeoutMs: null,
        retries: {
          attempts: 1,
          perTryTimeoutMs: null,
          retryOn: ['5xx', 'reset'],
          retriableStatusCodes: [],
          backoff: { baseMs: 50, maxMs: 500 },
          budget: null,
        },
        loadBalancer: 'random',
        ...ENVOY_REST,
      },
      db: DEFAULT_POLICY,
    });
    assert.deepEqual(Object.keys(s.mesh), ['front', 'store', 'cache', 'db'], 'mesh follows service order');
    assert.deepEqual(s.load, {
      target: 'front',
      model: 'open',
      rate: 100,
      arrivals: 'uniform',
      connections: 20,
      durationMs: 8000,
      phases: [
        { durationMs: 2000, rate: 100 },
        { durationMs: 6000, rate: 200 },
      ],
      path: '/checkout',
      plaintext: false,
    });
    assert.equal(s.expect.length, 10);
    assert.deepEqual(
      s.expect.map((e) => ['metric' in e ? e.metric : e.kind, e.line, e.col]),
      [
        ['success_rate', 51, 5],
        ['error_rate', 52, 5],
        ['rps', 53, 5],
        ['p50', 54, 5],
        ['p90', 55, 5],
        ['p99', 56, 5],
        ['max', 57, 5],
        ['requests', 58, 5],
        ['retries', 59, 5],
        ['retry_ratio', 60, 5],
      ],
    );
    assert.deepEqual((s.expect[6] as Expectation).scope, { kind: 'edge', from: 'front', to: 'store', toInstance: 'store-1' });
    assert.deepEqual(s.source, { file: 'valid-full.yaml' });
  });

  test('retries: absent, none, attempts 0 and an empty mapping', () => {
    assert.equal(scenario({}).mesh.store.retries, null);
    assert.equal(retriesOf('    retries: none'), null);
    assert.equal(retriesOf('    retries:'), null);
    assert.equal(retriesOf('    retries: { attempts: 0, perTryTimeout: 1s }'), null);
    assert.deepEqual(retriesOf('    retries: {}'), {
      attempts: 1,
      perTryTimeoutMs: null,
      retryOn: ['5xx'],
      retriableStatusCodes: [],
      backoff: { baseMs: 25, maxMs: 250 },
      budget: null,
    });
  });

  test("retries: budget defaults when the block is present; back-off max is 10 × base when only base is given (Envoy)", () => {
    assert.deepEqual(retriesOf('    retries: { budget: {} }')?.budget, { percent: 0.2, minRetryConcurrency: 3 });
    assert.deepEqual(retriesOf('    retries: { budget: { percent: 50 } }')?.budget, { percent: 0.5, minRetryConcurrency: 3 });
    assert.equal(retriesOf('    retries: { budget: none }')?.budget, null);
    assert.equal(retriesOf('    retries:\n      budget:')?.budget, null);
    assert.deepEqual(retriesOf('    retries: { backoff: { base: 40ms } }')?.backoff, { baseMs: 40, maxMs: 400 });
    assert.deepEqual(retriesOf('    retries: { backoff: { max: 1s } }')?.backoff, { baseMs: 25, maxMs: 1000 });
  });

  test('retries: retryOn as a comma string, duplicates dropped', () => {
    assert.deepEqual(retriesOf('    retries: { retryOn: "5xx, reset,connect-failure,5xx" }')?.retryOn, ['5xx', 'reset', 'connect-failure']);
    assert.deepEqual(retriesOf('    retries: { retryOn: gateway-error }')?.retryOn, ['gateway-error']);
  });

  test('timeout: a duration, none, or empty', () => {
    assert.equal(scenario({ mesh: 'mesh:\n  store: { timeout: 1.5s }' }).mesh.store.timeoutMs, 1500);
    assert.equal(scenario({ mesh: 'mesh:\n  store: { timeout: none }' }).mesh.store.timeoutMs, null);
    assert.equal(scenario({ mesh: 'mesh:\n  store:\n    timeout:' }).mesh.store.timeoutMs, null);
    assert.deepEqual(scenario({ mesh: 'mesh:\n  store:' }).mesh.store, DEFAULT_POLICY);
    assert.deepEqual(scenario({ mesh: 'mesh:' }).mesh, { front: DEFAULT_POLICY, store: DEFAULT_POLICY });
  });

  test('concurrency: a number, unlimited or empty', () => {
    const services = (v: string) => `services:\n  front: { calls: [store] }\n  store: { concurrency: ${v} }`;
    assert.equal(scenario({ services: services('8') }).services[1].concurrency, 8);
    assert.equal(scenario({ services: services('unlimited') }).services[1].concurrency, null);
    assert.equal(scenario({ services: services('null') }).services[1].concurrency, null);
  });

  test('calls: a list is a sequence; { parallel } and { sequence } set the mode', () => {
    const calls = (v: string) => scenario({ services: `services:\n  front: { calls: ${v} }\n  a: {}\n  b: {}`, expect: 'expect: []' }).services[0];
    assert.deepEqual([calls('[a, b]').calls, calls('[a, b]').callMode], [['a', 'b'], 'sequence']);
    assert.deepEqual([calls('{ parallel: [a, b] }').calls, calls('{ parallel: [a, b] }').callMode], [['a', 'b'], 'parallel']);
    assert.deepEqual([calls('{ sequence: [b, a] }').calls, calls('{ sequence: [b, a] }').callMode], [['b', 'a'], 'sequence']);
  });

  test('load: connections default to max(10, ceil(highest rate / 10))', () => {
    assert.equal(scenario({ load: 'load: { target: front, rate: 50/s }' }).load.connections, 10);
    assert.equal(scenario({ load: 'load: { target: front, rate: 205/s }' }).load.connections, 21);
    const phased = scenario({ load: 'load:\n  target: front\n  phases:\n    - { for: 5s, rate: 100/s }\n    - { for: 5s, rate: 400/s }' }).load;
    assert.equal(phased.connections, 40);
    assert.equal(phased.rate, 100, "with phases, rate is the first phase's");
    assert.equal(phased.durationMs, 10_000, "the load lasts the scenario's duration by default");
    assert.equal(scenario({ load: 'load: { target: front, rate: 50, duration: 4s, connections: 3 }' }).load.connections, 3);
  });

  test('load: open loop with uniform arrivals by default; poisson when asked; connections alone is closed loop', () => {
    const open = scenario({ load: 'load: { target: front, rate: 50/s }' }).load;
    assert.deepEqual([open.model, open.rate, open.arrivals], ['open', 50, 'uniform']);
    assert.equal(scenario({ load: 'load: { target: front, rate: 50/s, arrivals: poisson }' }).load.arrivals, 'poisson');
    const closed = scenario({ load: 'load: { target: front, connections: 12 }' }).load;
    assert.deepEqual([closed.model, closed.rate, closed.connections, closed.phases, closed.durationMs], ['closed', null, 12, [], 10_000]);
  });

  test('YAML anchors, aliases and merge keys are followed', () => {
    const s = scenario({
      services: 'services:\n  front: { calls: [a, b] }\n  a: &slow { latency: 50ms, replicas: 2 }\n  b:\n    <<: *slow\n    replicas: 3',
      expect: 'expect: []',
    });
    assert.deepEqual(
      s.services.map((x) => [x.name, x.replicas, x.latency]),
      [
        ['front', 1, { kind: 'fixed', ms: 1 }],
        ['a', 2, { kind: 'fixed', ms: 50 }],
        ['b', 3, { kind: 'fixed', ms: 50 }],
      ],
    );
  });

  test('a quoted sentence is positioned after its quote; errors inside it too', () => {
    const s = scenario({ expect: 'expect:\n  - "p99(client) < 1s"' });
    assert.deepEqual([s.expect[0].line, s.expect[0].col], [11, 6]);
    const r = parseScenario('version: 1\nname: t\ndescription: t\nduration: 1s\nservices: { front: }\nload: { target: front, rate: 1 }\nexpect: [ "p99(clinet) < 1s" ]\n', 'q.yaml');
    assertIssues(r.issues, [['7:16 expect[0]', /unknown scope "clinet"; did you mean "client"\?/]]);
  });

  test('parsing is pure: the same text gives the same result', () => {
    assert.deepEqual(parseFixture('valid-full.yaml'), parseFixture('valid-full.yaml'));
  });
});

test('mangled input never throws: every problem comes back as a positioned issue', () => {
  const text = fixtureText('valid-full.yaml');
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const inserts = [' ', ':', '-', '[', ']', '{', '}', ',', '"', '\n', '*a', '&a ', '<<: ', '0', 'x', '%', '#', '|', '\t', '->', '(', ')'];
  let valid = 0;
  for (let i = 0; i < 600; i++) {
    let t = text;
    for (let e = 0; e < 1 + random(3); e++) {
      const at = random(t.length);
      const kind = random(3);
      if (kind === 0) t = t.slice(0, at) + t.slice(at + 1 + random(8));
      else if (kind === 1) t = t.slice(0, at) + inserts[random(inserts.length)] + t.slice(at);
      else t = t.split('\n').filter((_, n, all) => n !== random(all.length)).join('\n');
    }
    const r = parseScenario(t, 'm.yaml');
    for (const issue of [...r.issues, ...r.warnings]) {
      assert.ok(issue.line >= 1 && issue.col >= 1, JSON.stringify(issue));
      assert.doesNotMatch(issue.message, /undefined|NaN|\[object/, JSON.stringify(issue));
    }
    assert.equal(r.scenario === null, r.issues.length > 0);
    if (r.scenario) valid++;
  }
  assert.ok(valid > 50 && valid < 600, `${valid} of 600 mangled files were still valid`);
});
