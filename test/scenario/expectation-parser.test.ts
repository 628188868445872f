import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parseExpectation, type ExpectationTopology } from '../../src/scenario/expectation-parser.ts';
import { tokenize } from '../../src/scenario/expectation-tokens.ts';
import type { AnyExpectation, Expectation } from '../../src/scenario/scenario.ts';
import { TOPOLOGY } from './helpers.ts';

const SITE = { file: 's.yaml', path: 'expect[0]', line: 7, col: 5 };
const WINDOWS = 'between <duration> and <duration>, during <fault> [from +<duration>], before <fault>, after <fault>.start|.end [from +<duration>]';
const METRICS = 'success_rate, error_rate, rps, p50, p90, p99, max, requests, retries, retry_ratio, overflow, rate_limited, admitted_rps, deadline_exceeded, wasted, wasted_time, saved, no_route, share, attempts, denied, mtls, handshake_errors';

function ok(text: string, topology: ExpectationTopology = TOPOLOGY): Expectation {
  return any(text, topology) as Expectation;
}

function any(text: string, topology: ExpectationTopology = TOPOLOGY): AnyExpectation {
  const r = parseExpectation(text, topology, SITE);
  assert.deepEqual(r.issues, [], text);
  assert.ok(r.expectation, text);
  return r.expectation;
}

/** The single issue of a sentence, as `col message`; the line is always the site's. */
function problem(text: string, topology: ExpectationTopology = TOPOLOGY): string {
  const r = parseExpectation(text, topology, SITE);
  assert.equal(r.expectation, null, `${text} should not parse`);
  assert.equal(r.issues.length, 1, r.issues.map((i) => i.message).join('\n'));
  const [i] = r.issues;
  assert.equal(i.line, 7);
  assert.equal(i.file, 's.yaml');
  assert.equal(i.path, 'expect[0]');
  return `${i.col} ${i.message}`;
}

describe('tokenizer', () => {
  test('splits names, arrows, quantities and operators, keeping offsets', () => {
    const tokens = tokenize('p99(front->store-1) <= 1m30s between 2s and 5s');
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.text, t.start]),
      [
        ['word', 'p99', 0],
        ['(', '(', 3],
        ['word', 'front', 4],
        ['arrow', '->', 9],
        ['word', 'store-1', 11],
        [')', ')', 18],
        ['op', '<=', 20],
        ['quantity', '1m30s', 23],
        ['word', 'between', 29],
        ['quantity', '2s', 37],
        ['word', 'and', 40],
        ['quantity', '5s', 44],
        ['end', '', 46],
      ],
    );
  });

  test('quantities keep their unit: %, /s, rps', () => {
    assert.deepEqual(
      tokenize('99.5% 200/s 200rps 3').map((t) => t.text),
      ['99.5%', '200/s', '200rps', '3', ''],
    );
  });
});

describe('every metric, with its unit', () => {
  const cases: Array<[string, Partial<Expectation>]> = [
    ['success_rate(client) >= 99.5%', { metric: 'success_rate', unit: 'ratio', op: '>=', value: 0.995 }],
    ['error_rate(store) < 1%', { metric: 'error_rate', unit: 'ratio', op: '<', value: 0.01 }],
    ['rps(client) >= 200/s', { metric: 'rps', unit: 'rps', op: '>=', value: 200 }],
    ['rps(client) >= 12000/m', { metric: 'rps', unit: 'rps', value: 200 }],
    ['rps(client) > 150', { metric: 'rps', unit: 'rps', op: '>', value: 150 }],
    ['p50(front) < 20ms', { metric: 'p50', unit: 'ms', value: 20 }],
    ['p90(front) <= 1.5s', { metric: 'p90', unit: 'ms', op: '<=', value: 1500 }],
    ['p99(client) < 250ms', { metric: 'p99', unit: 'ms', value: 250 }],
    ['max(client) != 2s', { metric: 'max', unit: 'ms', op: '!=', value: 2000 }],
    ['requests(store-1) > 0', { metric: 'requests', unit: 'count', op: '>', value: 0 }],
    ['retries(front -> store) == 0', { metric: 'retries', unit: 'count', op: '==', value: 0 }],
    ['retry_ratio(front -> store) <= 20%', { metric: 'retry_ratio', unit: 'ratio', value: 0.2 }],
    ['retry_ratio(front -> store) <= 150%', { metric: 'retry_ratio', unit: 'ratio', value: 1.5 }],
  ];
  for (const [text, want] of cases) {
    test(text, () => {
      const e = ok(text);
      assert.deepEqual({ ...e, ...want }, e);
      assert.equal(e.text, text);
      assert.deepEqual([e.line, e.col], [7, 5]);
    });
  }
});

describe('scopes', () => {
  test('client, a service, an instance', () => {
    assert.deepEqual(ok('p99(client) < 1s').scope, { kind: 'client' });
    assert.deepEqual(ok('p99(store) < 1s').scope, { kind: 'service', service: 'store' });
    assert.deepEqual(ok('p99(store-1) < 1s').scope, { kind: 'instance', service: 'store', instance: 'store-1' });
  });

  test('an edge to a service or to one instance, with or without spaces around ->', () => {
    const edge = { kind: 'edge', from: 'front', to: 'store' };
    assert.deepEqual(ok('p99(front -> store) < 1s').scope, edge);
    assert.deepEqual(ok('p99(front->store) < 1s').scope, edge);
    assert.deepEqual(ok('p99( front ->store ) < 1s').scope, edge);
    assert.deepEqual(ok('requests(front -> store-0) > 0').scope, { kind: 'edge', from: 'front', to: 'store', toInstance: 'store-0' });
    assert.deepEqual(ok('p99(client -> front) < 1s').scope, { kind: 'edge', from: 'client', to: 'front' });
  });

  test('a service named like an instance is the service', () => {
    const topology: ExpectationTopology = { ...TOPOLOGY, services: [...TOPOLOGY.services!, { name: 'db-1', replicas: 1, calls: [] }] };
    assert.deepEqual(ok('p99(db-1) < 1s', topology).scope, { kind: 'service', service: 'db-1' });
  });

  test('without a valid services block, names are not checked (that block has its own issue), syntax still is', () => {
    const unknown: ExpectationTopology = { services: null, loadTarget: null, durationMs: null };
    assert.deepEqual(parseExpectation('p99(anything) < 1s', unknown, SITE), { expectation: null, issues: [] });
    assert.deepEqual(parseExpectation('p99(a -> b) < 1s', unknown, SITE).issues, []);
    assert.deepEqual((parseExpectation('success_rate(client) >= 99%', unknown, SITE).expectation as Expectation | null)?.scope, { kind: 'client' });
    assert.equal(problem('p99(a) < 250', unknown), '14 found "250" (a number); p99 is a latency: write "250ms"');
  });

  test('unknown names suggest the nearest valid one', () => {
    assert.equal(problem('p99(clinet) < 1s'), '9 unknown scope "clinet"; did you mean "client"? (valid: client, a service: front, store, cache, or an instance such as front-0)');
    assert.equal(problem('p99(stor) < 1s'), '9 unknown scope "stor"; did you mean "store"? (valid: client, a service: front, store, cache, or an instance such as front-0)');
    assert.equal(problem('p99(front -> stor) < 1s'), '18 unknown service "stor"; did you mean "store"? (services: front, store, cache)');
    assert.equal(problem('p99(frnt -> store) < 1s'), '9 unknown caller "frnt"; did you mean "front"? (valid: client, front, store, cache)');
  });

  test('an instance beyond the replicas', () => {
    assert.equal(problem('p99(store-2) < 1s'), '9 store has 2 replicas (store-0, store-1); there is no store-2');
    assert.equal(problem('requests(front -> store-5) > 0'), '23 store has 2 replicas (store-0, store-1); there is no store-5');
    assert.equal(problem('p99(cache-1) < 1s'), '9 cache has 1 replica (cache-0); there is no cache-1');
  });

  test('an edge must exist', () => {
    assert.equal(problem('p99(front -> cache) < 1s'), '18 front does not call cache; front calls: store');
    assert.equal(problem('p99(cache -> front) < 1s'), '18 cache does not call front; cache calls nothing');
    assert.equal(problem('p99(client -> store) < 1s'), '19 client only calls the load target front, not store; write client -> front');
    assert.equal(problem('p99(front -> client) < 1s'), '18 nothing calls client: it is the load generator; an edge ends at a service or an instance');
    assert.equal(problem('p99(store-1 -> cache) < 1s'), "9 an edge starts at client or a service, not an instance: all of store's sidecars count; write store -> cache");
  });

  test('retries and retry_ratio only on an edge, with an example of one', () => {
    assert.equal(
      problem('retries(store) == 0'),
      "13 retries is measured at the caller's sidecar, so it needs an edge scope such as retries(front -> store); found \"store\"",
    );
    assert.equal(
      problem('retry_ratio(client) < 5%'),
      "17 retry_ratio is measured at the caller's sidecar, so it needs an edge scope such as retry_ratio(front -> store); found \"client\"",
    );
  });
});

describe('windows', () => {
  test('none is the whole run', () => {
    assert.deepEqual(ok('p99(client) < 1s').window, { kind: 'run' });
  });

  test('between two durations', () => {
    assert.deepEqual(ok('rps(client) >= 90/s between 2s and 6s').window, { kind: 'between', fromMs: 2000, toMs: 6000 });
    assert.deepEqual(ok('rps(client) >= 90/s between 0s and 10s').window, { kind: 'between', fromMs: 0, toMs: 10_000 });
  });

  test('between: start before end, both inside the run', () => {
    assert.equal(problem('p99(client) < 1s between 5s and 3s'), '30 the window starts at 5s but ends at 3s; the start must come before the end');
    assert.equal(problem('p99(client) < 1s between 8s and 12s'), '37 the window ends at 12s, after the run ends (duration 10s)');
    assert.equal(problem('p99(client) < 1s between 2 and 3s'), '30 found "2" (a number); expected a duration such as 150ms or 10s (a unit is required: "2ms" or "2s")');
    assert.equal(problem('p99(client) < 1s between 2s to 3s'), '33 expected "and" in between <duration> and <duration>, found "to"');
    assert.equal(problem('p99(client) < 1s between 2s and 3s please'), '40 unexpected "please" after the window; the expectation should end here');
  });

  test('no bound when the scenario duration is unknown', () => {
    assert.deepEqual(ok('p99(client) < 1s between 8s and 12s', { ...TOPOLOGY, durationMs: null }).window, { kind: 'between', fromMs: 8000, toMs: 12_000 });
  });

  test('unknown window words, and fault windows in a scenario without faults', () => {
    assert.equal(
      problem('p99(client) < 1s betwen 1s and 2s'),
      `22 unexpected "betwen" after the value; expected the end of the expectation or a window: ${WINDOWS} (did you mean "between"?)`,
    );
    assert.equal(problem('p99(client) < 1s during p1'), '29 unknown fault "p1" (this scenario has no faults; declare them under faults:)');
  });
});

describe('syntax and value errors, positioned at the token', () => {
  test('unknown metric lists the valid ones', () => {
    assert.equal(
      problem('sucess_rate(client) >= 99%'),
      `5 unknown metric "sucess_rate"; did you mean "success_rate"? (valid: ${METRICS}; or a sentence: ejected(…), recovered(…), state(…))`,
    );
    assert.match(problem('latency(client) < 1s'), /^5 unknown metric "latency" \(valid: success_rate,/);
  });

  test('an unknown metric does not hide a scope error in the same sentence', () => {
    const r = parseExpectation('sucess_rate(clinet) >= 99%', TOPOLOGY, SITE);
    assert.deepEqual(
      r.issues.map((i) => i.col),
      [5, 17],
    );
  });

  test('structure', () => {
    assert.equal(problem('>= 99%'), `5 expected a metric such as success_rate(client) >= 99.5%, found ">=" (metrics: ${METRICS})`);
    assert.equal(problem('success_rate client >= 99%'), '18 expected "(" after success_rate, found "client"; write success_rate(<scope>), e.g. success_rate(client)');
    assert.equal(problem('success_rate() >= 99%'), '18 empty scope; expected client, a service, an instance or an edge such as front -> store inside success_rate(...)');
    assert.equal(problem('success_rate(client >= 99%'), '25 expected ")" to close the scope, found ">="');
    assert.equal(problem('p99(front ->) < 1s'), '17 expected the service called after "->", found ")"');
    assert.equal(problem('p99(client) 250ms'), '17 expected a comparison (<, <=, >, >=, ==, !=) after "p99(client)", found "250ms"');
    assert.equal(problem('p99(client) <'), '18 expected a value after "<", such as 250ms; found the end of the sentence');
    assert.equal(problem('requests(client) = 0'), '22 found "="; compare with == (or <, <=, >, >=, !=)');
    assert.equal(problem('p99(client) < 1s,'), `21 unexpected "," after the value; expected the end of the expectation or a window: ${WINDOWS}`);
  });

  test('values in the wrong unit suggest the right form', () => {
    assert.equal(problem('success_rate(client) >= 0.995'), '29 found "0.995" (a number); success_rate is a percentage: write 99.5%');
    assert.equal(problem('error_rate(client) < 5'), '26 found "5" (a number); error_rate is a percentage: write 5%');
    assert.equal(problem('success_rate(client) >= 99ms'), '29 found "99ms"; success_rate is a percentage such as 99.5%');
    assert.equal(problem('success_rate(client) >= 101%'), '29 success_rate: found "101%"; a percentage here is at most 100%');
    assert.equal(problem('p99(client) < 250'), '19 found "250" (a number); p99 is a latency: write "250ms"');
    assert.equal(problem('max(client) < 5%'), '19 max is a latency: found "5%"; expected a duration such as 150ms or 10s (units: us, ms, s, m, h; parts may be combined, as in 1m30s)');
    assert.equal(problem('rps(client) > 5ms'), '19 rps is a rate: found "5ms"; expected a rate such as 200/s, 200rps or 12000/m');
    assert.equal(problem('requests(client) > 1.5'), '24 found "1.5"; requests is a count: expected a whole number such as 0 or 100');
    assert.equal(problem('requests(client) > -1'), '24 found "-1"; requests is a count: expected a whole number such as 0 or 100');
  });

  test('an unexpected character', () => {
    assert.equal(problem('p99(client) < 1s;'), `21 unexpected ";" after the value; expected the end of the expectation or a window: ${WINDOWS}`);
  });
});

describe('deadlines and quotas: their metrics', () => {
  test('wasted, wasted_time and saved are read on a service or an instance, in their units', () => {
    assert.deepEqual(pick(ok('wasted(store) == 0')), { metric: 'wasted', unit: 'count', value: 0, scope: { kind: 'service', service: 'store' } });
    assert.deepEqual(pick(ok('wasted_time(store-1) < 2s')), { metric: 'wasted_time', unit: 'ms', value: 2000, scope: { kind: 'instance', service: 'store', instance: 'store-1' } });
    assert.deepEqual(pick(ok('saved(cache) >= 10')), { metric: 'saved', unit: 'count', value: 10, scope: { kind: 'service', service: 'cache' } });
    assert.equal(ok('deadline_exceeded(front -> store) == 0').unit, 'count');
    assert.equal(ok('admitted_rps(store) <= 50/s').value, 50);
  });

  test('the work is counted in the callee, not on an edge or at the client', () => {
    assert.match(problem('wasted(front -> store) == 0'), /^12 wasted is not measured on an edge: the work is counted in the callee's built-in service, whoever called it; use wasted\(store\)/);
    assert.match(problem('saved(client) == 0'), /^11 saved is not measured on the client: the work is counted in the services' own processes/);
    assert.match(problem('wasted_time(1s) < 1s'), /expected a scope/);
  });

  test('a service that runs its own program keeps no count of its work', () => {
    const topology: ExpectationTopology = { ...TOPOLOGY, services: TOPOLOGY.services!.map((s) => (s.name === 'store' ? { ...s, ownProgram: true } : s)) };
    assert.equal(
      problem('wasted(store) == 0', topology),
      '12 wasted is measured by the built-in service, which keeps count of its work; store runs its own program (command or image), which reports none',
    );
    assert.equal(ok('deadline_exceeded(store) == 0', topology).metric, 'deadline_exceeded', 'its sidecar still counts deadlines');
  });
});

function pick(e: Expectation) {
  return { metric: e.metric, unit: e.unit, value: e.value, scope: e.scope };
}
