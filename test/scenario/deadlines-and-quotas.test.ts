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
