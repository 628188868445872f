// docs/scenario-language.md must stay true: its generated tables are current, its complete example
// is a valid scenario, and every example sentence parses against it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { withGeneratedReference } from '../../src/scenario/key-reference.ts';
import { METRIC_NAMES } from '../../src/scenario/metrics.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { LANGUAGE_DOC } from '../../src/scenario/write-schema.ts';

const doc = readFileSync(LANGUAGE_DOC, 'utf8');

function codeBlocks(lang: string): string[] {
  return [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

function section(heading: string): string {
  const start = doc.indexOf(heading);
  assert.ok(start >= 0, `no "${heading}" section`);
  const next = doc.indexOf('\n#', start + heading.length);
  return doc.slice(start, next < 0 ? undefined : next);
}

test('the generated tables (every key, every metric) are current: run `npm run schema` after changing the language', () => {
  assert.equal(doc, withGeneratedReference(doc));
  assert.match(doc, /\| `mesh\.<destination-service>\.retries\.attempts` \| integer 0–100 \| 1 \(envoy, linkerd\), 2 \(istio, istio-1\.23\) \|/);
  assert.match(doc, /\| `mesh\.profile` \| `envoy` \\\| `istio` \\\| `istio-1\.23` \\\| `linkerd` \| `envoy` \|/);
  for (const m of METRIC_NAMES) assert.match(doc, new RegExp(`\\| \`${m}\` \\|`));
});

test('the complete example is a valid scenario with no warnings', () => {
  const example = codeBlocks('yaml').find((b) => b.startsWith('version: 1'));
  assert.ok(example);
  const r = parseScenario(example, 'docs/scenario-language.md');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.scenario?.expect.length, 6);
});

/** The complete example with its expect list replaced by these sentences. */
function exampleExpecting(sentences: string[]): string {
  const example = codeBlocks('yaml').find((b) => b.startsWith('version: 1'))!;
  const head = example.slice(0, example.indexOf('\nexpect:\n'));
  return `${head}\nexpect:\n${sentences.map((s) => `  - ${JSON.stringify(s)}\n`).join('')}`;
}

test('every example sentence parses against the complete example (its services, versions and faults)', () => {
  const sentences = section('### Examples').match(/```text\n([\s\S]*?)```/)![1].trim().split('\n');
  assert.ok(sentences.length >= 10);
  const metrics = new Set<string>();
  const kinds = new Set<string>();
  const windows = new Set<string>();
  for (const s of sentences) {
    const r = parseScenario(exampleExpecting([s]), 'docs/scenario-language.md');
    assert.deepEqual(r.issues, [], s);
    const e = r.scenario!.expect[0];
    kinds.add(e.kind ?? 'metric');
    if (e.kind === undefined || e.kind === 'metric') {
      metrics.add(e.metric);
      windows.add(e.window.kind);
    }
  }
  assert.deepEqual([...metrics].sort(), [...METRIC_NAMES].sort(), 'the examples show every metric');
  assert.deepEqual([...kinds].sort(), ['ejected', 'metric', 'recovered', 'state'], 'the examples show every kind of sentence');
  assert.deepEqual([...windows].sort(), ['after', 'before', 'between', 'during', 'run'], 'the examples show every window');
});

test('the faults example is a valid fault schedule', () => {
  const faults = codeBlocks('yaml').find((b) => b.startsWith('faults:'));
  assert.ok(faults);
  const text = [
    'version: 1',
    'name: faults-example',
    'description: the faults section of the docs',
    'duration: 30s',
    'services:',
    '  checkout: { calls: [payments] }',
    '  payments: { replicas: 3 }',
    'load: { target: checkout, rate: 10 }',
    faults,
    'expect: [success_rate(client) >= 99%]',
  ].join('\n');
  const r = parseScenario(text, 'docs/scenario-language.md');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.scenario!.faults.map((f) => f.action.kind), ['http', 'http', 'process', 'process', 'toxic', 'partition']);
  assert.deepEqual(r.scenario!.faults.slice(0, 2).map((f) => f.action.kind === 'http' && f.action.at), ['inbound', 'outbound']);
});

test('the error messages quoted in the docs are the ones meshproof prints', () => {
  const quoted = section('## Errors and warnings').match(/```text\n([\s\S]*?)```/)![1];
  assert.match(quoted, /duration: found "10" \(a number\); expected a duration such as 150ms or 10s \(a unit is required: "10ms" or "10s"\)/);
  const r = parseScenario('version: 1\nname: x\ndescription: x\nduration: 10\nservices: { front: }\nload: { target: front, rate: 1 }\n', 'x.yaml');
  const message = r.issues.find((i) => i.path === 'duration')!.message;
  assert.ok(quoted.includes(`duration: ${message}`), message);
  assert.ok(doc.includes('unsupported version 2; this meshproof reads version 1'));
  // The nesting message, as printed for a file nested too deep.
  const deep = parseScenario(`version: 1\nname: deep\nx-deep: ${'['.repeat(70)}${']'.repeat(70)}\n`, 'deep.yaml').issues[0];
  assert.ok(section('## Errors and warnings').includes(`deep.yaml:${deep.line}:${deep.col} ${deep.message}`), deep.message);
});

test('the limits table is generated from limits.ts, and the x- example is a valid part of a scenario', () => {
  assert.match(section('## Limits'), /\| replicas of a service, services, and instances in all \(replicas summed over the services\) \| 100 instances \|/);
  const example = section('### Anchors, merge keys and x- keys').match(/```yaml\n([\s\S]*?)```/)![1];
  const r = parseScenario(`version: 1\nname: x\ndescription: x\nduration: 5s\n${example}load: { target: front, rate: 10/s }\nexpect: [ success_rate(client) >= 99% ]\n`, 'x.yaml');
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.scenario!.services.map((s) => [s.name, s.latency]), [
    ['front', { kind: 'distribution', p50Ms: 20, p99Ms: 50 }],
    ['store', { kind: 'distribution', p50Ms: 20, p99Ms: 200 }],
  ]);
});
