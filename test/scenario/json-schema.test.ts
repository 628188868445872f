import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'vitest';
import { parse } from 'yaml';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { SCENARIO_SHAPE } from '../../src/scenario/shape.ts';
import { SCHEMA_FILE, schemaText } from '../../src/scenario/write-schema.ts';
import { FIXTURES, fixtureText } from './helpers.ts';
import { schemaProblems, validate } from './mini-json-schema.ts';

const schema = scenarioJsonSchema();
type Obj = Record<string, any>;

test('the committed schema/scenario.schema.json is the generated one (run `npm run schema` after changing shape.ts)', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), schemaText());
});

test('it is a well-formed draft 2020-12 schema', () => {
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.deepEqual(schemaProblems(schema), []);
  // The checker itself catches what it should: a misspelt keyword and a $ref to nowhere.
  assert.deepEqual(schemaProblems({ type: 'object', propertys: {} }), ['#/propertys: not a draft 2020-12 keyword']);
  assert.deepEqual(schemaProblems({ $ref: '#/$defs/nope' }), ['#/$ref: cannot resolve "#/$defs/nope"']);
});

test('every field carries its doc sentence as description, and its default', () => {
  const s = schema as Obj;
  assert.equal(s.properties.seed.description, SCENARIO_SHAPE.fields.seed.doc);
  assert.equal(s.properties.seed.default, 1);
  assert.deepEqual(s.required, ['version', 'name', 'description', 'duration', 'services', 'load']);
  const service = s.properties.services.additionalProperties;
  assert.equal(service.properties.latency.default, '1ms');
  assert.equal(service.properties.queue.default, 100);
  assert.equal(service.properties.concurrency.default, null);
  const retries = s.properties.mesh.additionalProperties.properties.retries.anyOf[0];
  // A default that depends on mesh.profile has no single value: it is said in words, per profile.
  assert.equal(retries.properties.attempts.default, undefined);
  assert.match(retries.properties.attempts.description, /Default: 1 \(envoy, linkerd\), 2 \(istio, istio-1\.23\)\.$/);
  assert.match(retries.properties.retryOn.description, /Default: \[5xx\] \(envoy, linkerd\); \[connect-failure, reset\] \(istio\); \[connect-failure, reset, retriable-status-codes\] \(istio-1\.23\)\.$/);
  assert.equal(s.properties.mesh.properties.profile.default, 'envoy');
  assert.deepEqual(s.properties.mesh.properties.profile.enum, ['envoy', 'istio', 'istio-1.23', 'linkerd']);
  assert.equal(retries.properties.backoff.properties.base.default, '25ms');
  assert.match(retries.properties.backoff.properties.max.description, /Default: 10 × base/);
  assert.match(s.properties.load.properties.connections.description, /Default: max\(10, ceil\(highest rate \/ 10\)\); required for closed loop\./);
  assert.deepEqual(s.properties.load.properties.arrivals.enum, ['uniform', 'poisson']);
  assert.equal(s.properties.load.properties.arrivals.default, 'uniform');
  // Every field, at every depth, has a description.
  const missing: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    const o = node as Obj;
    if (o.properties) for (const [k, v] of Object.entries(o.properties)) {
      if (typeof (v as Obj).description !== 'string') missing.push(`${at}.${k}`);
      walk(v, `${at}.${k}`);
    }
    for (const key of ['additionalProperties', 'items']) walk(o[key], at);
    for (const key of ['anyOf', 'oneOf']) (o[key] ?? []).forEach((x: unknown) => walk(x, at));
  };
  walk(schema, '');
  assert.deepEqual(missing, []);
});

test('the schema accepts every valid fixture and the shipped scenarios', () => {
  const valid = readdirSync(FIXTURES).filter((f) => f.startsWith('valid-') || f === 'warnings.yaml');
  assert.ok(valid.length >= 3);
  for (const f of valid) assert.deepEqual(validate(schema, parse(fixtureText(f))), [], f);
  const shipped = new URL('../../scenarios/', import.meta.url);
  for (const f of readdirSync(shipped).filter((x) => x.endsWith('.yaml'))) {
    const text = readFileSync(new URL(f, shipped), 'utf8');
    // Only files that are valid YAML and valid scenarios are a fair test of the schema.
    if (parseScenario(text, f).scenario === null) continue;
    assert.deepEqual(validate(schema, parse(text)), [], f);
  }
});

test('the schema rejects what the checker rejects, for each kind of mistake', () => {
  const base = parse(fixtureText('valid-minimal.yaml'));
  const variants: Array<[string, (d: Obj) => void]> = [
    ['unknown key', (d) => (d.load.conections = 5)],
    ['unsupported version', (d) => (d.version = 2)],
    ['duration without unit', (d) => (d.duration = 10)],
    ['malformed duration', (d) => (d.duration = '10 sec')],
    ['service named client', (d) => (d.services.client = {})],
    ['bad service name', (d) => (d.services.Front = {})],
    ['replicas 0', (d) => (d.services.front = { replicas: 0 })],
    ['percentage over 100', (d) => (d.services.front = { errorRate: 150 })],
    ['unknown load balancer', (d) => (d.mesh = { front: { loadBalancer: 'roundrobin' } })],
    ['unknown retryOn', (d) => (d.mesh = { front: { retries: { retryOn: ['timeout'] } } })],
    ['unknown retryOn in a comma string', (d) => (d.mesh = { front: { retries: { retryOn: '5xx,timeout' } } })],
    ['calls with both forms', (d) => (d.services.front = { calls: { parallel: [], sequence: [] } })],
    ['missing target', (d) => delete d.load.target],
    ['bad rate', (d) => (d.load.rate = '200 per second')],
    ['expectation with an unknown metric', (d) => (d.expect = ['sucess_rate(client) >= 99%'])],
    ['replicas over the limit', (d) => (d.services.front = { replicas: 101 })],
    ['a scenario name over the limit', (d) => (d.name = 'n'.repeat(101))],
    ['a service name over the limit', (d) => (d.services['s'.repeat(61)] = {})],
    ['connections over the limit', (d) => (d.load.connections = 10_001)],
  ];
  for (const [name, change] of variants) {
    const doc = structuredClone(base);
    change(doc);
    assert.notDeepEqual(validate(schema, doc), [], `${name} should be rejected by the schema`);
  }
  assert.deepEqual(validate(schema, base), []);
});

test('x- keys are accepted at every level the language names the keys, as the checker ignores them', () => {
  const doc = parse(fixtureText('valid-minimal.yaml'));
  doc['x-anchors'] = { latency: '5ms' };
  doc.services['x-template'] = { anything: [1, 2] };
  doc.services.front = { 'x-note': 'kept for people' };
  doc.load['x-why'] = 'a comment with structure';
  assert.deepEqual(validate(schema, doc), []);
  assert.equal(parseScenario(fixtureText('valid-minimal.yaml').replace('services:', 'x-anchors: { a: 1 }\nservices:'), 'v.yaml').issues.length, 0);
});
