// One fixture per family of mistakes; each test pins every issue's line:col, path and message.
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { formatIssues } from '../../src/errors.ts';
import { assertIssues, parseFixture } from './helpers.ts';

function invalid(name: string) {
  const r = parseFixture(name);
  assert.equal(r.scenario, null, `${name} must not produce a scenario`);
  for (const i of [...r.issues, ...r.warnings]) assert.equal(i.file, name);
  return r;
}

test('YAML syntax errors stop there, with their position', () => {
  assertIssues(invalid('yaml-syntax.yaml').issues, [['8:3 ', /^YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a \]$/]]);
  assertIssues(invalid('yaml-unquoted-colon.yaml').issues, [
    ['3:14 ', /^YAML syntax: Nested mappings are not allowed in compact mappings; if this is text containing ": ", put it in quotes/],
  ]);
  assertIssues(invalid('yaml-multiple-documents.yaml').issues, [['3:1 ', /one YAML document, but a second one starts here \(after ---\)/]]);
});

test('an empty file, and a file that is not a mapping', () => {
  assertIssues(invalid('empty.yaml').issues, [['1:1 ', /^the file is empty; a scenario is a YAML mapping starting with version: 1$/]]);
  assertIssues(invalid('not-a-mapping.yaml').issues, [['1:1 ', /^found a list; expected a mapping with keys version, name, description, seed, duration, services, mesh, gateways, external, load, faults, chaos, security, rateLimitService, runtime, expect$/]]);
});

test('unknown keys at every level, with the nearest valid key, the list of valid ones, and the name to use for another tool\'s', () => {
  const serviceKeys = 'valid: replicas, latency, errorRate, errorStatus, concurrency, queue, responseSize, calls, zone, version, zones, rateLimit, quotas, bulkheads, instances, mtls, authorization, image, command, cwd, env, ready';
  assertIssues(invalid('unknown-keys.yaml').issues, [
    ['8:5 services.front.replica', new RegExp(`^unknown key "replica"; did you mean "replicas"\\? \\(${serviceKeys}\\)$`)],
    ['9:5 services.front.colour', new RegExp(`^unknown key "colour" \\(${serviceKeys}\\)$`)],
    ['11:5 services.store.error_rate', /^unknown key "error_rate"; did you mean "errorRate"\?/],
    ['13:3 mesh.profle', /^unknown key "profle"; did you mean "profile"\? \(one of envoy, istio, istio-1\.23, linkerd\)$/],
    [
      '16:7 mesh.store.retries.atempts',
      /^unknown key "atempts"; did you mean "attempts"\? \(valid: attempts, perTryTimeout, retryOn, retriableStatusCodes, backoff, budget\)$/,
    ],
    ['17:7 mesh.store.retries.per_try_timeout', /^unknown key "per_try_timeout"; did you mean "perTryTimeout"\?/],
    [
      '18:25 mesh.store.outlierDetection.consecutive5xxErrors',
      /^unknown key "consecutive5xxErrors": that is Istio's name; write consecutive5xx \(valid: consecutive5xx, consecutiveGatewayErrors, interval, baseEjectionTime, maxEjectionTime, maxEjectionPercent\)$/,
    ],
    ['19:36 load.conections', /^unknown key "conections"; did you mean "connections"\? \(valid: target, rate, arrivals, connections, duration, path, plaintext, host, phases\)$/],
    ['23:60 faults[0].restartAftr', /^unknown key "restartAftr"; did you mean "restartAfter"\? \(valid: name, at, for, target, http, process, restartAfter, toxic, partition, security, certExpire, rootRotation, clockSkew\)$/],
  ]);
});

test('values of the wrong type say what was found and what is expected', () => {
  assertIssues(invalid('wrong-types.yaml').issues, [
    ['4:11 duration', /^found "10" \(a number\); expected a duration such as 150ms or 10s/],
    ['5:7 seed', /^found "42"; expected an integer$/],
    ['7:10 services.front', /^found a list; expected a mapping with keys replicas, latency/],
    ['9:15 services.store.replicas', /^found "two"; expected an integer >= 1$/],
    ['10:14 services.store.latency', /^found "fast"; expected a duration such as 150ms or 10s .*; or a mapping with keys p50, p99$/],
    ['11:16 services.store.errorRate', /^found "often"; expected a percentage such as 10% or 99.5%$/],
    ['12:18 services.store.concurrency', /^found a list; expected an integer >= 1 or "unlimited"$/],
    ['15:14 mesh.store.retries', /^found "3" \(a number\); expected a mapping with keys attempts, .* or "none"$/],
    ['16:14 mesh.store.timeout', /^found "600" \(a number\); expected a duration .*"600ms" or "600s".*; or "none"$/],
    ['19:9 load.rate', /^found "200 per second"; expected a rate such as 200\/s, 200rps or 12000\/m$/],
    ['20:9 expect', /^found "success_rate\(client\) >= 99%"; expected a list of expectation sentences; write each item on its own line starting with "- "/],
  ]);
});

test('duplicate keys point at the second one and name the line of the first', () => {
  assertIssues(invalid('duplicate-keys.yaml').issues, [
    ['8:5 services.front.latency', /^duplicate key "latency" \(already set on line 7\)/],
    ['9:3 services.front', /^duplicate key "front" \(already set on line 6\)/],
    ['11:1 duration', /^duplicate key "duration" \(already set on line 4\)/],
  ]);
});

test('missing required keys point at the mapping that lacks them', () => {
  assertIssues(invalid('missing-required.yaml').issues, [
    ['1:1 name', /^missing required key "name": identifier of the scenario/],
    ['1:1 duration', /^missing required key "duration"/],
    ['5:14 services.front.latency.p99', /^missing required key "p99"/],
    ['7:3 load.target', /^missing required key "target": the service the load generator sends requests to/],
  ]);
  assertIssues(invalid('load-without-rate.yaml').issues, [
    ['8:3 load', /^missing required key "rate": the request rate, such as 200\/s \(or give phases; or give only connections, such as connections: 20, for closed-loop load as fast as the mesh answers\)$/],
  ]);
});

test('a closed-loop load (connections without a rate) has no arrivals, and its connections must be valid', () => {
  assertIssues(invalid('load-closed-with-arrivals.yaml').issues, [
    ['9:16 load.connections', /^found 0; expected an integer >= 1$/],
    ['10:13 load.arrivals', /^arrivals spreads the requests of an open-loop load, but this load has no rate: it is closed loop .*; give a rate or remove arrivals$/],
  ]);
});

test('another version of the language', () => {
  assertIssues(invalid('unsupported-version.yaml').issues, [['1:10 version', /^unsupported version 2; this meshproof reads version 1$/]]);
});

test('names that point nowhere, with the nearest service', () => {
  assertIssues(invalid('unknown-references.yaml').issues, [
    ['7:20 services.front.calls[1]', /^unknown service "cahce"; did you mean "cache"\? \(services: front, store, cache\)$/],
    ['9:25 services.store.calls.parallel[0]', /^"client" is the load generator, not a service; it cannot be called/],
    ['12:3 mesh.stor', /^unknown service "stor"; did you mean "store"\? \(mesh is keyed by destination service; services: front, store, cache\)$/],
    ['14:17 load.target', /^unknown service "frnt"; did you mean "front"\? \(services: front, store, cache\)$/],
  ]);
});

test('a service calling itself and a call cycle, named', () => {
  assertIssues(invalid('call-cycle.yaml').issues, [
    ['7:13 services.front.calls[0]', /^front calls itself; every request would recurse forever$/],
    ['13:13 services.c.calls[0]', /^call cycle a -> b -> c -> a; every request would recurse forever$/],
  ]);
});

test('retry policies that contradict themselves', () => {
  const r = invalid('retries-rules.yaml');
  assertIssues(r.issues, [
    ['14:16 mesh.store.retries.retryOn', /^retryOn includes retriable-status-codes but retriableStatusCodes lists none; add the statuses to retry, e.g. retriableStatusCodes: \[503\]$/],
    ['15:36 mesh.store.retries.backoff.max', /^backoff max \(50ms\) is below base \(100ms\); max must be >= base$/],
    ['18:37 mesh.cache.retries.retryOn[2]', /^found "timeout" \(valid: 5xx, gateway-error, reset, connect-failure, retriable-status-codes\)$/],
    ['19:35 mesh.cache.retries.retriableStatusCodes[1]', /^found 700; expected an integer from 100 to 599$/],
    ['20:26 mesh.cache.retries.budget.percent', /^found "120%"; a percentage here is at most 100%$/],
  ]);
  assertIssues(r.warnings, [['19:7 mesh.cache.retries.retriableStatusCodes', /is ignored: retryOn does not include retriable-status-codes/]]);
});

test('load that does not fit the run says both numbers', () => {
  assertIssues(invalid('load-rules.yaml').issues, [
    ['9:13 load.duration', /^the load lasts 12s but the scenario lasts 10s; load.duration must be at most the scenario's duration$/],
    ['11:5 load.phases', /^the phases add up to 6s but the load lasts 12s \(load.duration\); make them equal$/],
  ]);
});

test('instance overrides for instances that do not exist', () => {
  assertIssues(invalid('instances.yaml').issues, [
    ['11:7 services.store.instances.store-2', /^store has 2 replicas \(store-0, store-1\); there is no store-2$/],
    ['12:7 services.store.instances.front-0', /^"front-0" is not an instance of store; its instances are store-0, store-1$/],
    ['13:18 services.store.instances.store-1.latncy', /^unknown key "latncy"; did you mean "latency"\?/],
    ['14:7 services.store.instances.store', /^invalid instance name "store"; expected an instance name such as store-1/],
  ]);
});

test('expectation sentences: each mistake at its token', () => {
  assertIssues(invalid('bad-expectations.yaml').issues, [
    ['12:5 expect[0]', /^unknown metric "sucess_rate"; did you mean "success_rate"\? \(valid: success_rate, error_rate, rps, p50, p90, p99, max, requests, retries, retry_ratio, overflow, rate_limited, admitted_rps, deadline_exceeded, wasted, wasted_time, saved, no_route, share, attempts, denied, mtls, handshake_errors; or a sentence: ejected\(…\), recovered\(…\), state\(…\)\)$/],
    ['13:18 expect[1]', /^unknown scope "clinet"; did you mean "client"\?/],
    ['14:18 expect[2]', /^front does not call front; front calls: store$/],
    ['15:19 expect[3]', /^found "250" \(a number\); p99 is a latency: write "250ms"$/],
    ['16:29 expect[4]', /^found "0.995" \(a number\); success_rate is a percentage: write 99.5%$/],
    ['17:13 expect[5]', /^retries is measured at the caller's sidecar, so it needs an edge scope such as retries\(front -> store\)/],
    ['18:14 expect[6]', /^store has 2 replicas \(store-0, store-1\); there is no store-2$/],
    ['19:41 expect[7]', /^the window ends at 12s, after the run ends \(duration 10s\)$/],
    ['20:25 expect[8]', /^unexpected "durring" after the value; expected the end of the expectation or a window: between <duration> and <duration>, during <fault> .* \(did you mean "during"\?\)$/],
    ['21:18 expect[9]', /^expected a comparison \(<, <=, >, >=, ==, !=\) after "p99\(client\)", found "250ms"$/],
    ['22:18 expect[10]', /^expected "\(" after success_rate, found "client"/],
    ['23:33 expect[11]', /^found "1.5"; requests is a count: expected a whole number/],
    ['24:26 expect[12]', /^client only calls the load target front, not store; write client -> front$/],
    ['25:5 expect[13]', /^found a mapping; expected an expectation sentence .*; a sentence containing ": " reads as a mapping in YAML, so quote it$/],
  ]);
});

test('several problems in one file are all reported, in file order', () => {
  const r = invalid('many-problems.yaml');
  assertIssues(r.issues, [
    ['1:10 version', /^unsupported version 2/],
    ['2:7 name', /^found "Many_Problems"; expected lowercase letters, digits and -$/],
    ['3:14 description', /^found a list; expected a sentence$/],
    ['4:11 duration', /^found "10" \(a number\); expected a duration/],
    ['7:15 services.front.replicas', /^found 0; expected an integer >= 1$/],
    ['8:32 services.front.latency.p99', /^p99 \(5ms\) is below p50 \(25ms\)/],
    ['9:13 services.front.calls[0]', /^unknown service "stor"; did you mean "store"\?/],
    ['9:19 services.front.calls[1]', /^front calls itself/],
    ['13:13 services.cache.calls[0]', /^call cycle store -> cache -> store/],
    ['14:5 services.cache.concurency', /^unknown key "concurency"; did you mean "concurrency"\?/],
    ['18:7 mesh.store.retries.atempts', /^unknown key "atempts"; did you mean "attempts"\?/],
    ['19:19 mesh.store.loadBalancer', /^found "roundrobin"; did you mean "round_robin"\? \(valid: round_robin, least_request, random\)$/],
    ['21:11 load.target', /^unknown service "frnt"; did you mean "front"\?/],
    ['24:5 expect[0]', /^unknown metric "sucess_rate"/],
    ['25:18 expect[1]', /^front does not call cache; front calls: front$/],
    ['25:27 expect[1]', /^found "250" \(a number\); p99 is a latency/],
  ]);
  // What the CLI prints: one line per problem, file:line:col path: message.
  const printed = formatIssues(r.issues).split('\n');
  assert.equal(printed[0], '16 problems in many-problems.yaml:');
  assert.equal(printed[1], '  many-problems.yaml:1:10 version: unsupported version 2; this meshproof reads version 1');
});

test('warnings: valid, but probably not what was meant', () => {
  const r = parseFixture('warnings.yaml');
  assert.deepEqual(r.issues, []);
  assert.ok(r.scenario);
  assertIssues(r.warnings, [
    ['8:5 services.front.queue', /^queue only matters with concurrency/],
    ['9:16 services.front.errorRate', /^0.5 is read as 0.5% \(a bare number is a percentage\); write 50% if you meant a fraction$/],
    ['11:3 services.orphan', /^orphan receives no traffic: nothing on the path from load.target front calls it$/],
    ['16:22 mesh.store.retries.perTryTimeout', /^perTryTimeout \(200ms\) is not shorter than the whole-request timeout \(100ms\)/],
    ['18:7 mesh.store.retries.retriableStatusCodes', /^retriableStatusCodes is ignored/],
    ['21:3 load.rate', /^load.rate \(50\/s\) is ignored because phases are given/],
    ['24:1 expect', /^nothing will be checked: expect is empty/],
  ]);
  assert.equal(r.scenario.load.rate, 20);
  assert.equal(r.scenario.services[0].errorRate, 0.005);
});
