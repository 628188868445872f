import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ScenarioIssue } from '../../src/errors.ts';
import type { ExpectationTopology } from '../../src/scenario/expectation-parser.ts';
import { parseScenario, type ScenarioParse } from '../../src/scenario/parse-scenario.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function parseFixture(name: string): ScenarioParse {
  return parseScenario(fixtureText(name), name);
}

/**
Checks a list of issues exactly: same count, same order, each at `line:col path` with a message
matching its pattern. The position is compared as a string so a failure shows both at once.
*/
export function assertIssues(actual: ScenarioIssue[], expected: Array<[where: string, message: RegExp]>): void {
  const shown = actual.map((i) => `${i.line}:${i.col} ${i.path}: ${i.message}`).join('\n');
  assert.equal(actual.length, expected.length, `expected ${expected.length} issues, got:\n${shown}`);
  expected.forEach(([where, message], k) => {
    const i = actual[k];
    assert.equal(`${i.line}:${i.col} ${i.path}`, where, `issue ${k}:\n${shown}`);
    assert.match(i.message, message, `issue ${k} at ${where}`);
  });
}

/** front -> store (2 replicas) -> cache; the load targets front; the run lasts 10s. */
export const TOPOLOGY: ExpectationTopology = {
  services: [
    { name: 'front', replicas: 1, calls: ['store'] },
    { name: 'store', replicas: 2, calls: ['cache'] },
    { name: 'cache', replicas: 1, calls: [] },
  ],
  loadTarget: 'front',
  durationMs: 10_000,
};
