import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { readSize } from '../../src/scenario/size.ts';
import { instanceSpec } from '../../src/scenario/scenario.ts';
import { parse } from 'yaml';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.ts';
import { assertIssues } from './helpers.ts';
import { validate } from './mini-json-schema.ts';

/** front -> store (2 replicas) with extra top-level text and store settings. */
function text(extra: string, store = '{ replicas: 2 }'): string {
  return [
    'version: 1',
    'name: t',
    'description: t',
    'duration: 10s',
    'services:',
    '  front: { calls: [store] }',
    `  store: ${store}`,
    'load: { target: front, rate: 10 }',
    extra,
  ].join('\n');
}

describe('chaos: the wire-fault engine', () => {
  test('builtin by default, with no address', () => {
    const r = parseScenario(text(''), 't.yaml');
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.scenario!.chaos, { engine: 'builtin', address: null });
  });

  test('toxiproxy from PATH, or at an address', () => {
    assert.deepEqual(parseScenario(text('chaos: { engine: toxiproxy }'), 't.yaml').scenario!.chaos, { engine: 'toxiproxy', address: null });
    assert.deepEqual(parseScenario(text('chaos: { engine: toxiproxy, address: "127.0.0.1:8474" }'), 't.yaml').scenario!.chaos, {
      engine: 'toxiproxy',
      address: '127.0.0.1:8474',
    });
    assert.deepEqual(parseScenario(text('chaos: { engine: toxiproxy, address: "toxiproxy.local:18474" }'), 't.yaml').scenario!.chaos.address, 'toxiproxy.local:18474');
    assert.deepEqual(parseScenario(text('chaos:'), 't.yaml').scenario!.chaos, { engine: 'builtin', address: null });
  });

  test('an address without engine toxiproxy, an unknown engine, a bad address: errors at the key', () => {
    assertIssues(parseScenario(text('chaos: { address: "127.0.0.1:8474" }'), 't.yaml').issues, [
      ['9:10 chaos.address', /^address is where a real toxiproxy-server listens, so it goes with engine: toxiproxy/],
    ]);
    assertIssues(parseScenario(text('chaos: { engine: toxiproxi }'), 't.yaml').issues, [
      ['9:18 chaos.engine', /^found "toxiproxi"; did you mean "toxiproxy"\? \(valid: builtin, toxiproxy\)$/],
    ]);
    assertIssues(parseScenario(text('chaos: { engine: toxiproxy, address: "http://127.0.0.1:8474" }'), 't.yaml').issues, [
      ['9:38 chaos.address', /^found "http:\/\/127\.0\.0\.1:8474"; expected host:port, such as 127\.0\.0\.1:8474$/],
    ]);
    assertIssues(parseScenario(text('chaos: { engine: toxiproxy, port: 8474 }'), 't.yaml').issues, [['9:29 chaos.port', /^unknown key "port".*\(valid: engine, address\)$/]]);
  });
});

describe('runtime', () => {
  test('local by default; docker when written', () => {
    assert.equal(parseScenario(text(''), 't.yaml').scenario!.runtime, 'local');
    assert.equal(parseScenario(text('runtime: docker'), 't.yaml').scenario!.runtime, 'docker');
  });

  test('anything else is an error naming both', () => {
    assertIssues(parseScenario(text('runtime: dokcer'), 't.yaml').issues, [['9:10 runtime', /^found "dokcer"; did you mean "docker"\? \(valid: local, docker\)$/]]);
  });
});

describe('services.<name>.responseSize', () => {
  test('0 (the usual short body) by default; a size per service and per instance', () => {
    const s = parseScenario(text('', '{ replicas: 2, responseSize: 64KiB, instances: { store-1: { responseSize: 1MB } } }'), 't.yaml').scenario!;
    const store = s.services[1];
    assert.equal(s.services[0].responseBytes, 0);
    assert.equal(store.responseBytes, 65_536);
    assert.equal(instanceSpec(store, 'store-0').responseBytes, 65_536);
    assert.equal(instanceSpec(store, 'store-1').responseBytes, 1_000_000);
    assert.equal(parseScenario(text('', '{ responseSize: 2048 }'), 't.yaml').scenario!.services[1].responseBytes, 2048);
  });

  test('a bad size says what would be valid', () => {
    assertIssues(parseScenario(text('', '{ responseSize: 64kib }'), 't.yaml').issues, [
      ['7:26 services.store.responseSize', /^found "64kib"; expected a size such as 64KiB, 1MB or 512 \(bytes\); did you mean 64KiB\?$/],
    ]);
    assertIssues(parseScenario(text('', '{ responseSize: 1GB }'), 't.yaml').issues, [['7:26 services.store.responseSize', /units: B, KB, KiB, MB, MiB/]]);
    assertIssues(parseScenario(text('', '{ responseSize: 65MiB }'), 't.yaml').issues, [['7:26 services.store.responseSize', /^found "65MiB"; at most 64MiB: every response is built in memory/]]);
  });
});

describe('sizes', () => {
  test('units people write, to bytes', () => {
    const cases: Array<[string | number, number]> = [
      ['512B', 512],
      ['512', 512],
      [512, 512],
      ['1KB', 1000],
      ['1.5KB', 1500],
      ['64KiB', 65_536],
      ['0.5KiB', 512],
      ['1MB', 1_000_000],
      ['1MiB', 1_048_576],
      [' 2 KiB ', 2048],
      ['64MiB', 67_108_864],
    ];
    for (const [input, bytes] of cases) assert.deepEqual(readSize(input), { ok: true, value: bytes }, String(input));
  });

  test('refused: negative, fractional bytes, unknown units, too big', () => {
    for (const bad of [-1, 1.5, '-1KB', '1 GB', 'big', true, 64 * 1_048_576 + 1]) assert.equal(readSize(bad).ok, false, String(bad));
  });
});

describe('the JSON Schema agrees', () => {
  const schema = scenarioJsonSchema();
  test('accepts chaos, runtime and sizes as the checker does', () => {
    for (const extra of ['chaos: { engine: toxiproxy, address: "127.0.0.1:8474" }', 'chaos: { engine: builtin }', 'runtime: docker']) {
      assert.deepEqual(validate(schema, parse(text(extra))), [], extra);
    }
    for (const size of ['64KiB', '1.5MB', '512', '512B']) assert.deepEqual(validate(schema, parse(text('', `{ responseSize: ${size} }`))), [], size);
  });

  test('rejects what the checker rejects', () => {
    for (const extra of ['chaos: { engine: chaosmonkey }', 'chaos: { engine: toxiproxy, address: "http://x:1" }', 'chaos: { engine: toxiproxy, port: 1 }', 'runtime: k8s']) {
      assert.notDeepEqual(validate(schema, parse(text(extra))), [], extra);
      assert.notDeepEqual(parseScenario(text(extra), 't.yaml').issues, [], extra);
    }
    for (const size of ['64kb', '-1', '1GB']) {
      assert.notDeepEqual(validate(schema, parse(text('', `{ responseSize: ${size} }`))), [], size);
      assert.notDeepEqual(parseScenario(text('', `{ responseSize: ${size} }`), 't.yaml').issues, [], size);
    }
  });
});
