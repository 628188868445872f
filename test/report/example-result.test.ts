import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { evaluateExpectations } from '../../src/verdict/evaluate.ts';
import { exampleResult } from './helpers.ts';

describe('fixtures/example-result.json', () => {
  it("its verdicts are what evaluateExpectations decides from its timeline and the run's facts", () => {
    const result = exampleResult();
    const facts = { t0: result.timeline.t0, faults: result.faults, events: result.events, states: result.states };
    assert.deepEqual(evaluateExpectations(result.scenario, result.timeline, facts), result.verdicts);
    assert.deepEqual(result.verdicts.map((v) => v.status), ['held', 'failed', 'held', 'held']);
    assert.equal(result.scenario.services.length, 2);
    assert.equal(result.faults[0].startedMs, 4012, 'the fault took effect a little after its planned 4s');
    assert.deepEqual(result.verdicts[3].window, { fromMs: 4000, toMs: 7000 }, 'a fault window is read on the seconds mostly inside it');
  });
});
