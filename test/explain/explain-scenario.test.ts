import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { explainScenario } from '../../src/explain/explain-scenario.ts';
import { rescaleScenario } from '../../src/plan/plan-scenario.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../src/scenario/scenario.ts';

function scenario(yaml: string): Scenario {
  const r = parseScenario(yaml, 'x.yaml');
  assert.deepEqual(r.issues, []);
  return r.scenario!;
}

/** The lines of one section, from its heading to the next blank line. */
function section(lines: string[], heading: string): string[] {
  const start = lines.findIndex((l) => l.startsWith(heading));
  assert.ok(start >= 0, `no section ${heading}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The policy lines of one destination. */
function policyOf(lines: string[], destination: string): string[] {
  const policies = section(lines, 'Policies');
  const start = policies.findIndex((l) => l.startsWith(`  ${destination}, as called by`));
  assert.ok(start >= 0, `no policy for ${destination}`);
  const rest = policies.slice(start + 1);
  const end = rest.findIndex((l) => !l.startsWith('    '));
  return rest.slice(0, end < 0 ? undefined : end).map((l) => l.trim());
}

const STORE = `version: 1
name: store
description: one store replica fails and another is killed
seed: 42
duration: 20s
services:
  front:
    calls: [store, cache]
    bulkheads: { store: 100 }
  store:
    replicas: 3
    latency: { p50: 5ms, p99: 25ms }
    errorRate: 1%
    errorStatus: 503
    concurrency: 64
    zones: [a, b]
    instances:
      store-2: { latency: 30ms, version: v2 }
  cache:
    latency: 500us
    rateLimit: { requestsPerSecond: 1000, burst: 50 }
mesh:
  store:
    timeout: 600ms
    retries:
      attempts: 2
      perTryTimeout: 150ms
      retryOn: [5xx, reset, connect-failure]
      backoff: { base: 25ms, max: 250ms }
      budget: { percent: 20%, minRetryConcurrency: 3 }
    loadBalancer: least_request
    outlierDetection: { consecutive5xx: 5, interval: 1s, baseEjectionTime: 10s, maxEjectionPercent: 50% }
    connectionPool: { maxConnections: 100, maxPendingRequests: 50 }
    split: { v1: 90%, v2: 10% }
load: { target: front, rate: 200/s, connections: 20 }
faults:
  - { name: s0-crash, at: 14s, target: store-0, process: kill, restartAfter: 2s }
  - { name: s1-errors, at: 5s, for: 8s, target: store-1, http: { abort: 503 } }
expect:
  - success_rate(client) >= 99.5%
  - ejected(store-1) within 2s after s1-errors.start
  - requests(front -> store-1) == 0 during s1-errors from +3s
  - share(store v2) >= 5%
  - recovered(client, success_rate >= 99.9%) within 5s after s0-crash.end
  - state(store-0) == killed at s0-crash.start from +500ms
  - p99(client) < 300ms before s1-errors
  - p99(client) < 300ms after s1-errors.end from +2s
  - overflow(store) == 0 between 2s and 8s
`;

describe('explainScenario', () => {
  const lines = explainScenario(scenario(STORE));

  it('heads with the scenario, its seed, length and profile', () => {
    assert.equal(lines[0], 'store — one store replica fails and another is killed');
    assert.equal(lines[1], "x.yaml · seed 42 · 20s run · runtime local · mesh profile envoy (what the scenario does not write is envoy's default)");
    assert.deepEqual(
      lines.slice(2).filter((l) => l !== '' && !l.startsWith(' ')).map((l) => l.split(' ')[0]),
      ['Topology', 'Policies', 'Security', 'Faults', 'Expectations'],
    );
  });

  it('the topology: the load, each service with its instances, zones, versions, callers, behaviour, rate limit and bulkheads', () => {
    const t = section(lines, 'Topology');
    assert.equal(t[0], '  client (the load generator) sends / to front at 200/s, for 20s, open loop with evenly spaced arrivals: each request leaves at its planned time, whatever the responses do; at most 20 requests in flight (one that finds the cap reached is dropped and counted).');
    assert.ok(t.includes('  store: 3 instances — store-0 (zone a, v1), store-1 (zone b, v1), store-2 (zone a, v2); called by front.'), t.join('\n'));
    assert.ok(t.includes('    Built-in service: answers after 5ms median, 25ms at p99; fails 1% of requests at once with 503; works on 64 at once, 100 more wait, the rest are answered 503; calls nothing.'));
    assert.ok(t.includes('    store-2 differs: answers after 30ms.'));
    assert.ok(t.includes('    Built-in service: answers after 1ms; calls store then cache, per request.'));
    assert.ok(t.includes("    Bulkhead: each instance's sidecar keeps at most 100 requests in flight to store; beyond that a call fails at once with 503 UO."));
    assert.ok(t.includes("    Rate limit: each instance's sidecar lets 1000/s through (bursts of 50); beyond that it answers 429 RL."));
  });

  it("a destination's policy in sentences, with the values the scenario wrote", () => {
    const p = policyOf(lines, 'store');
    assert.equal(
      p[0],
      "Timeout and retries: front's sidecar retries store up to 2 times on 5xx (which includes resets, refused connections and timed-out tries), each try capped at 150ms, the whole request at 600ms, then 504 UT.",
    );
    assert.equal(p[1], 'Back-off: 25ms–250ms with full jitter (retry n waits a random time below 25ms × (2^n − 1), at most 250ms).');
    assert.equal(p[2], 'Retry budget: retries in flight at most 20% of the requests in flight, with 3 always allowed.');
    assert.equal(p[3], 'Load balancer: least_request, of two random instances the one with fewer requests in flight.');
    // maxRequests and maxRetries were not written: Envoy's 1024 and 3 fill them in.
    assert.match(p[4], /^Circuit breaker: per caller sidecar, 100 connections, 50 pending, 1024 requests in flight, 3 retries in flight; a request over a limit fails at once with 503 UO\.$/);
    assert.match(p[5], /^Outlier detection: each caller sidecar ejects an instance after 5 consecutive 5xx .*, for 10s × the times it has been ejected \(at most 5m\); never more than 50% of the instances at once — 1 instance of 3; ejections end at sweeps every 1s\.$/);
    assert.equal(p[6], "Panic (envoy's default): when fewer than 50% of the instances are healthy, it ignores health and uses all of them.");
    assert.equal(p[7], 'Traffic split: 90% to v1 (store-0, store-1) and 10% to v2 (store-2).');
    assert.equal(p[8], 'Off: health checks, locality-aware balancing and standing fault.');
  });

  it("a destination the scenario does not list gets the profile's policy, said to be the default", () => {
    const p = policyOf(lines, 'cache');
    assert.equal(p[0], "Timeout and retries: front's sidecar does not retry (envoy's default); the whole request at 15s (envoy's default), then 504 UT.");
    assert.equal(p[1], "Load balancer (envoy's default): round_robin, instances in turn.");
    assert.match(p[2], /^Circuit breaker \(envoy's default\): per caller sidecar, 1024 connections, 1024 pending, 1024 requests in flight, 3 retries in flight;/);
    assert.equal(p[3], 'Outlier detection: off (failing instances keep getting their share).');
    assert.ok(policyOf(lines, 'front')[0].startsWith("Timeout and retries: the load generator's ingress sidecar does not retry"));
  });

  it('the fault timeline in order of start, with what each does and what the mesh will see', () => {
    assert.deepEqual(section(lines, 'Faults'), [
      '  5s–13s   s1-errors  store-1 answers 503 to every request, at its inbound sidecar, until 13s: callers see a real failure and may retry it.',
      "  14s–16s  s0-crash   store-0 is killed (SIGKILL) and started again at 16s; the control plane removes it from the endpoints 1s after it dies, until then callers' tries to it fail.",
    ]);
  });

  it('what each expectation checks, with its window resolved to times', () => {
    const checks = section(lines, 'Expectations').filter((l) => l.startsWith('     checks that ')).map((l) => l.slice('     checks that '.length));
    assert.deepEqual(checks, [
      "the share of the load generator's requests answered below 500 is at least 99.5% over the whole run (0s–20s).",
      "some caller's sidecar (front) ejects store-1 at most 2s after s1-errors starts (5s–7s as planned).",
      'the number of the tries front sent to store-1 is exactly 0 while s1-errors holds, from 3s after it starts (8s–13s as planned).',
      "the share of the requests to store that reached v2 (store-2) is at least 5% over the whole run (0s–20s).",
      "in every second from some moment at most 5s after s0-crash ends (16s–21s as planned) to the end of the run, the share of the load generator's requests answered below 500 is at least 99.9%.",
      'store-0 is killed (by a process fault) at s0-crash.start + 500ms (14.5s as planned).',
      "the 99th percentile latency of the load generator's requests is below 300ms before s1-errors starts (0s–5s).",
      "the 99th percentile latency of the load generator's requests is below 300ms after s1-errors ends + 2s (15s–20s as planned).",
      'the number of the calls to store (from front) refused by a circuit breaker or bulkhead (503 UO) is exactly 0 from 2s to 8s.',
    ]);
    assert.equal(section(lines, 'Expectations')[0], '  1. success_rate(client) >= 99.5%');
  });
});

describe('explainScenario with the Istio profile', () => {
  const lines = explainScenario(
    scenario(`version: 1
name: istio
description: Istio's defaults
duration: 10s
services:
  front: { calls: [store] }
  store: { replicas: 2, zone: a }
mesh:
  profile: istio
  store:
    outlierDetection: {}
load: { target: front, rate: 10 }
expect:
  - ejected(store-1) within 2s after 3s
`),
  );

  it("fills in Istio's retries, load balancer, breaker, panic and locality, and says so", () => {
    const p = policyOf(lines, 'store');
    assert.equal(p[0], "Timeout and retries: front's sidecar retries store up to 2 times on refused connections and resets (istio's default), no limit per try, no limit on the whole request (istio's default).");
    assert.equal(p[2], 'Retry budget: none, and no limit on retries in flight: in an outage, retries multiply the load.');
    assert.equal(p[3], "Load balancer (istio's default): least_request, of two random instances the one with fewer requests in flight.");
    assert.equal(p[4], "Circuit breaker (istio's default): no limits.");
    // Istio's 10%: with two instances, none may be ejected.
    assert.match(p[5], /never more than 10% of the instances at once — 0 instances of 2: none can be ejected;/);
    assert.equal(p[6], "Panic (istio's default): never; when no instance is healthy it answers 503 UH.");
    // Istio turns locality on with outlier detection.
    assert.match(p[7], /^Locality: prefers instances in the caller's own zone \(store's zones: a\), and spills over .* × 1\.4 drops below 100%\.$/);
  });

  it('a time anchor, and no fault timeline', () => {
    assert.deepEqual(section(lines, 'Faults'), ['  none']);
    assert.match(section(lines, 'Expectations')[1], /ejects store-1 at most 2s after 3s \(3s–5s\)\.$/);
  });
});

describe('explainScenario: every kind of fault', () => {
  const lines = explainScenario(
    scenario(`version: 1
name: faults
description: every kind of fault
duration: 30s
services:
  checkout: { calls: [payments] }
  payments: { replicas: 3 }
load: { target: checkout, rate: 10 }
runtime: docker
faults:
  - { name: slow-out, at: 5s, for: 5s, target: checkout -> payments, http: { delay: 300ms, percent: 50% } }
  - { name: hang, at: 8s, for: 6s, target: payments-2, process: pause }
  - { name: bounce, at: 9s, target: payments-1, process: restart }
  - { name: gone, at: 20s, target: payments-0, process: kill }
  - { name: slow-link, at: 8s, for: 6s, target: checkout -> payments-2, toxic: { type: latency, latency: 300, toxicity: 50% } }
  - { name: cut, at: 12s, for: 5s, partition: [[checkout], [payments-0, payments-1]] }
  - { name: dark, at: 15s, target: payments, toxic: { type: down } }
expect:
  - ejected(payments-1) within 2s after hang.start
`),
  );

  it('says when and what, in start order', () => {
    assert.deepEqual(section(lines, 'Faults'), [
      "  5s–10s   slow-out   checkout's sidecar holds 50% of requests for payments 300ms before sending them until 10s, as an Istio VirtualService fault: not retried.",
      '  8s–14s   hang       payments-2 is paused (SIGSTOP) until 14s: it hangs but keeps its port, and stays an endpoint until timeouts, outlier detection or health checks catch it.',
      '  8s–14s   slow-link  latency toxic (latency 300ms and jitter 0ms, downstream, on 50% of connections) on the links from checkout\'s instances to payments-2 until 14s: each chunk of data waits latency ± jitter.',
      '  9s       bounce     payments-1 is killed and started again at once; the control plane removes it from the endpoints 1s after it dies, unless it is back first.',
      '  12s–17s  cut        every link between [checkout] and [payments-0, payments-1] is cut, both ways, until 17s.',
      '  15s–end  dark       the links into every instance of payments (from checkout) are down to the end of the run: connections are refused and open ones closed.',
      "  20s–end  gone       payments-0 is killed (SIGKILL) and stays dead; the control plane removes it from the endpoints 1s after it dies, until then callers' tries to it fail.",
      "  Toxics and partitions are applied by meshproof's built-in Toxiproxy-compatible engine (chaos.engine builtin).",
    ]);
  });

  it('the runtime and a real toxiproxy-server, when the scenario asks for them', () => {
    assert.match(lines[1], / · runtime docker · /);
    const real = explainScenario(scenario(`version: 1
name: real
description: a real toxiproxy
duration: 10s
services:
  front: { calls: [store] }
  store: { responseSize: 64KiB, replicas: 2, instances: { store-1: { responseSize: 1MB } } }
load: { target: front, rate: 10 }
chaos: { engine: toxiproxy, address: "127.0.0.1:8474" }
faults:
  - { name: thin, at: 2s, for: 5s, target: front -> store, toxic: { type: bandwidth, rate: 100 } }
`));
    assert.deepEqual(section(real, 'Faults'), [
      "  2s–7s  thin  bandwidth toxic (rate 100 KB/s, downstream) on the links from front's instances to store until 7s: data flows at most rate KB/s.",
      '  Toxics and partitions are applied by the toxiproxy-server at 127.0.0.1:8474.',
    ]);
    const topology = section(real, 'Topology');
    assert.ok(topology.includes('    Built-in service: answers after 1ms with a 64KiB body; calls nothing.'), topology.join('\n'));
    assert.ok(topology.includes('    store-1 differs: answers with a 1MB body.'));
  });

  it('warns when an ejection is expected where outlier detection is off', () => {
    assert.match(section(lines, 'Expectations')[1], /Note: outlier detection is off for payments, so nothing will eject it\.$/);
  });

  it('the control plane delay is the one given', () => {
    const custom = explainScenario(scenario(lines.length ? STORE : ''), { endpointRemovalDelayMs: 2500 });
    assert.match(section(custom, 'Faults')[1], /removes it from the endpoints 2\.5s after it dies/);
  });
});

describe('explainScenario: phases, nobody calling, a compressed timeline', () => {
  const s = scenario(`version: 1
name: misc
description: phases
duration: 10s
services:
  front: {}
  lonely: {}
load:
  target: front
  phases: [{ for: 4s, rate: 50 }, { for: 6s, rate: 0 }]
`);

  it('the load in phases, and a destination nobody calls', () => {
    const lines = explainScenario(s);
    assert.match(section(lines, 'Topology')[0], /sends \/ to front in phases: 0s–4s at 50\/s, 4s–10s at 0\/s, for 10s/);
    assert.ok(section(lines, 'Policies').includes('  lonely: nothing calls it, so its policy is never used.'));
    assert.deepEqual(section(lines, 'Expectations'), ['  none: the run will check nothing']);
  });

  it('a rescaled scenario explains the times a --duration run would use', () => {
    const lines = explainScenario(rescaleScenario(s, 5000));
    assert.match(lines[1], / · 5s run · /);
    assert.match(section(lines, 'Topology')[0], /0s–2s at 50\/s, 2s–5s at 0\/s, for 5s/);
  });
});

describe('security in words', () => {
  const s = scenario(`
version: 1
name: sec
description: payments is private
duration: 10s
security: { mtls: STRICT, certTTL: 1h, trustDomain: example.org }
services:
  front: { calls: [payments, ledger] }
  ledger: { mtls: DISABLE, authorization: [{ name: by-front, rules: [{ from: { services: [front] } }] }] }
  payments:
    mtls: PERMISSIVE
    authorization:
      - { name: deny-admin, action: DENY, rules: [{ to: { paths: ['/admin*'] } }] }
      - { name: only-front, rules: [{ from: { services: [front] }, to: { methods: [POST] } }] }
      - { name: stranger, rules: [{ from: { principals: [cluster.local/ns/default/sa/front] } }] }
load: { target: front, rate: 10/s, plaintext: true }
expect: [ success_rate(client) >= 0% ]
`);
  const lines = section(explainScenario(s), 'Security');

  it('the CA, the certificates, each identity and what each service accepts and why', () => {
    assert.match(lines[0], /the CA: it makes a self-signed root for the run, issues every instance a certificate for 1h whose SPIFFE ID is spiffe:\/\/example\.org\/ns\/default\/sa\/<service>, and renews each at 50% of its life/);
    assert.ok(lines.includes('  Mesh-wide mTLS: STRICT — mutual TLS only; a plaintext caller is refused at the connection.'), lines.join('\n'));
    assert.ok(lines.includes('  The load generator is an outside client: it sends plaintext to front and has no identity.'));
    assert.ok(lines.some((l) => l.startsWith('  front is spiffe://example.org/ns/default/sa/front; it accepts mutual TLS only') && l.endsWith('(STRICT, the mesh-wide mode). the load generator calls it in plaintext, with no identity.')), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('payments is spiffe://example.org/ns/default/sa/payments; it accepts mutual TLS and plaintext alike') && l.includes('(PERMISSIVE, its own PeerAuthentication). front calls it over mutual TLS')));
  });

  it('policies in the order Istio evaluates them, and a policy that can never match is flagged with why', () => {
    const i = lines.findIndex((l, k) => l.startsWith('    Authorization (DENY policies first') && lines[k - 1].includes('payments is'));
    assert.ok(i >= 0, lines.join('\n'));
    assert.deepEqual(lines.slice(i + 1, i + 5).map((l) => l.trim()), [
      'deny-admin: denies to paths /admin*.',
      'only-front: allows from front to POST.',
      'stranger: allows from identities cluster.local/ns/default/sa/front.',
      '⚠ rule 0 of stranger can never match: "cluster.local/ns/default/sa/front" is in trust domain cluster.local, the mesh\'s is example.org.',
    ]);
    assert.ok(lines.some((l) => l.trim() === "⚠ rule 0 of by-front can never match: it names callers by identity, and ledger's mTLS is DISABLE, so no caller presents one."), lines.join('\n'));
  });
});

describe('explainScenario: how the load is sent', () => {
  const load = (yaml: string) => section(explainScenario(scenario(`version: 1
name: misc
description: load kinds
duration: 10s
services:
  front: {}
load: ${yaml}
`)), 'Topology')[0];

  it('Poisson arrivals are named', () => {
    assert.match(load('{ target: front, rate: 80/s, arrivals: poisson }'), /at 80\/s, for 10s, open loop with Poisson arrivals \(random gaps, from the seed\)/);
  });

  it('a load with only connections is closed loop', () => {
    assert.equal(
      load('{ target: front, connections: 8 }'),
      '  client (the load generator) sends / to front for 10s, closed loop: 8 requests in flight, each sent as the previous one is answered (as fast as the mesh answers).',
    );
  });
});
