// docs/scenario-language.md must stay true: its generated tables are current, its complete example
// is a valid scenario, and every example sentence parses against it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseExpectation } from '../../src/scenario/expectation-parser.ts';
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
  assert.match(doc, /\| `mesh\.<destination-service>\.retries\.attempts` \| integer ≥ 0 \| `1` \|/);
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

test('every example sentence parses against the complete example', () => {
  const example = parseScenario(codeBlocks('yaml').find((b) => b.startsWith('version: 1'))!, 'x').scenario!;
  const topology = {
    services: example.services.map((s) => ({ name: s.name, replicas: s.replicas, calls: s.calls })),
    loadTarget: example.load.target,
    durationMs: example.durationMs,
  };
  const sentences = section('### Examples').match(/```text\n([\s\S]*?)```/)![1].trim().split('\n');
  assert.ok(sentences.length >= 10);
  const metrics = new Set<string>();
  for (const s of sentences) {
    const r = parseExpectation(s, topology, { file: 'doc', path: 'example', line: 1, col: 1 });
    assert.deepEqual(r.issues, [], s);
    metrics.add(r.expectation!.metric);
  }
  assert.deepEqual([...metrics].sort(), [...METRIC_NAMES].sort(), 'the examples show every metric');
});

test('the error messages quoted in the docs are the ones meshproof prints', () => {
  const quoted = section('## Errors and warnings').match(/```text\n([\s\S]*?)```/)![1];
  assert.match(quoted, /duration: found "10" \(a number\); expected a duration such as 150ms or 10s \(a unit is required: "10ms" or "10s"\)/);
  const r = parseScenario('version: 1\nname: x\ndescription: x\nduration: 10\nservices: { front: }\nload: { target: front, rate: 1 }\n', 'x.yaml');
  const message = r.issues.find((i) => i.path === 'duration')!.message;
  assert.ok(quoted.includes(`duration: ${message}`), message);
  assert.ok(doc.includes('unsupported version 2; this meshproof reads version 1'));
});
