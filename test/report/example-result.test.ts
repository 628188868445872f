import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpectations } from '../../src/verdict/evaluate.ts';
import { exampleResult } from './helpers.ts';

describe('fixtures/example-result.json', () => {
  it('its verdicts are what evaluateExpectations decides from its timeline', () => {
    const result = exampleResult();
    assert.deepEqual(evaluateExpectations(result.scenario, result.timeline), result.verdicts);
    assert.deepEqual(result.verdicts.map((v) => v.status), ['held', 'failed', 'held']);
    assert.equal(result.scenario.services.length, 2);
  });
});
