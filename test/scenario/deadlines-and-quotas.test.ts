import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';

function scenario(extra: string, services = '  front: { calls: [store] }\n  store: { calls: [db] }\n  db: {}\n'): string {
  return `version: 1\nname: t\ndescription: d\nduration: 5s\nservices:\n${services}load: { target: front, rate: 10 }\n${extra}`;
}

describe('deadlines in the scenario language', () => {
  test('off for every destination unless written (every profile)', () => {
    for (const profile of ['envoy', 'istio', 'linkerd']) {
      const r = parseScenario(scenario(`mesh: { profile: ${profile} }\n`), 's.yaml');
      assert.deepEqual(r.issues, []);
      assert.deepEqual(Object.values(r.scenario!.mesh).map((p) => p.deadlines), ['off', 'off', 'off']);
    }
  });

  test('mesh.deadlines for the whole mesh; a destination may say otherwise', () => {
    const r = parseScenario(scenario('mesh:\n  deadlines: propagate\n  db: { deadlines: off }\n'), 's.yaml');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      Object.fromEntries(Object.entries(r.scenario!.mesh).map(([k, p]) => [k, p.deadlines])),
      { front: 'propagate', store: 'propagate', db: 'off' },
    );
  });

  test('a wrong value, at its line, with the valid ones; a service may not be called deadlines', () => {
    const r = parseScenario(scenario('mesh:\n  deadlines: pass\n  store: { deadlines: yes }\n'), 's.yaml');
    assert.deepEqual(
      r.issues.map((i) => `${i.line}:${i.path}: ${i.message}`),
      [
        '11:mesh.deadlines: found "pass" (valid: propagate, off)',
        '12:mesh.store.deadlines: found "yes" (valid: propagate, off)',
      ],
    );
    const named = parseScenario(scenario('', '  deadlines: {}\n  front: { calls: [deadlines] }\n'), 's.yaml');
    assert.match(named.issues[0].message, /"deadlines" is reserved: mesh.deadlines sets deadline propagation for the whole mesh/);
  });
});

describe('quotas and the rate-limit service in the scenario language', () => {
  const three = '  front: { calls: [store] }\n  store:\n    replicas: 3\n    quotas:\n';

  test('quotas by service, caller, path and header, in their units; the service with its defaults', () => {
    const r = parseScenario(
      scenario(
        '',
        `${three}      - { limit: 50/s }\n      - { by: caller, limit: 600/m }\n      - { by: caller, value: front, limit: 5/s, shadow: true }\n      - { by: header, header: X-User, limit: 10/h }\n      - { by: path, value: /export, limit: 100/d }\n  db: {}\n`,
      ),
      's.yaml',
    );
    assert.deepEqual(r.issues, []);
    const store = r.scenario!.services.find((s) => s.name === 'store')!;
    assert.deepEqual(
      store.quotas!.map((q) => [q.name, q.by, q.header, q.value, q.limit.requests, q.limit.unit, q.shadow]),
      [
        ['store', 'service', null, null, 50, 'second', false],
        ['store/caller', 'caller', null, null, 600, 'minute', false],
        ['store/caller=front', 'caller', null, 'front', 5, 'second', true],
        ['store/header:x-user', 'header', 'x-user', null, 10, 'hour', false],
        ['store/path=/export', 'path', null, '/export', 100, 'day', false],
      ],
    );
    assert.deepEqual(r.scenario!.rateLimitService, { domain: 't', failureMode: 'allow', timeoutMs: 20 });
    assert.deepEqual(r.scenario!.services.find((s) => s.name === 'front')!.quotas, []);
  });

  test('no quotas: no rate-limit service (a written one is a warning)', () => {
    assert.equal(parseScenario(scenario(''), 's.yaml').scenario!.rateLimitService, null);
    const r = parseScenario(scenario('rateLimitService: { failureMode: deny }\n'), 's.yaml');
    assert.deepEqual(r.warnings.filter((w) => w.path === 'rateLimitService').map((w) => `${w.line}:${w.path}: ${w.message}`), [
      '10:rateLimitService: no service has quotas, so no rate-limit service is started; add quotas to a service (services.<name>.quotas) or remove rateLimitService',
    ]);
  });

  test('written settings win', () => {
    const r = parseScenario(scenario('rateLimitService: { domain: shop, failureMode: deny, timeout: 50ms }\n', `${three}      - { limit: 1/s }\n  db: {}\n`), 's.yaml');
    assert.deepEqual(r.scenario!.rateLimitService, { domain: 'shop', failureMode: 'deny', timeoutMs: 50 });
  });

  test('each mistake at its line: a limit without a unit, by header without a header, a value on by service, a path without /, two quotas on one counter, a service named ratelimit', () => {
    const r = parseScenario(
      scenario(
        '',
        `${three}      - { limit: 50 }\n      - { by: header, limit: 1/s }\n      - { value: x, limit: 1/s }\n      - { by: path, value: export, limit: 1/s }\n      - { by: caller, limit: 1/s }\n      - { by: caller, limit: 2/m }\n  ratelimit: {}\n  db: {}\n`,
      ),
      's.yaml',
    );
    assert.deepEqual(
      r.issues.map((i) => `${i.line}:${i.path}: ${i.message}`),
      [
        '10:services.store.quotas[0].limit: found 50; a quota counts requests in a window of a second, minute, hour or day: write 50/s (or 50/m, 50/h, 50/d)',
        '11:services.store.quotas[1]: by: header counts by the value of a request header: name it, e.g. header: x-user-id',
        '12:services.store.quotas[2].value: by: service has one counter for every request to the service, so it takes no value; to limit one caller, path or header value, write by: caller (or path, or header) with value',
        '13:services.store.quotas[3].value: found "export"; a path starts with /, as requests send it (query included), such as /export',
        '15:services.store.quotas[5]: services.store.quotas[4] already counts each caller; two quotas on one counter would contradict each other (merge them, or give one a value)',
        '16:services.ratelimit: "ratelimit" names the rate-limit service this scenario starts for its quotas (the target of process faults on it); rename this service',
      ],
    );
  });

  test('process faults may target the rate-limit service as ratelimit; nothing else may', () => {
    const quotas = `${three}      - { limit: 50/s }\n  db: {}\n`;
    const ok = parseScenario(scenario('faults:\n  - { name: rls-down, at: 1s, for: 2s, target: ratelimit, process: pause }\n', quotas), 's.yaml');
    assert.deepEqual(ok.issues, []);
    assert.deepEqual(ok.scenario!.faults[0].target, { kind: 'instance', service: 'ratelimit', instance: 'ratelimit' });
    const http = parseScenario(scenario('faults:\n  - { name: rls-slow, at: 1s, target: ratelimit, http: { delay: 1s } }\n', quotas), 's.yaml');
    assert.match(http.issues[0].message, /ratelimit is the rate-limit service, a process of its own without a sidecar: it takes process faults \(kill, pause, restart\) only/);
    const none = parseScenario(scenario('faults:\n  - { name: rls-down, at: 1s, target: ratelimit, process: kill }\n'), 's.yaml');
    assert.match(none.issues[0].message, /ratelimit is the rate-limit service, which this scenario does not start: no service has quotas/);
  });
});
