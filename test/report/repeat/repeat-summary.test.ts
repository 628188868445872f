import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { renderRepeatMarkdown } from '../../../src/report/repeat/repeat-markdown.ts';
import { renderRepeatPlain } from '../../../src/report/repeat/repeat-plain.ts';
import { countsText, spreadOf, summariseRepeats, type RepeatRun } from '../../../src/report/repeat/repeat-summary.ts';
import type { AnyExpectation } from '../../../src/scenario/scenario.ts';

const expect: AnyExpectation[] = [
  { text: 'p99(client) < 250ms', metric: 'p99', scope: { kind: 'client' }, op: '<', value: 250, unit: 'ms', window: { kind: 'run' }, line: 1, col: 1 },
  { text: 'state(store-1) == ejected at 2s', kind: 'state', instance: 'store-1', service: 'store', op: '==', state: 'ejected', at: { kind: 'time', ms: 2000 }, line: 2, col: 1 },
];

const repeat = (index: number, p99: number, state: string, outcome = 'passed'): RepeatRun => ({
  index,
  outcome,
  error: null,
  reportDir: `/r/rep/${index}/x`,
  verdicts: [
    { status: p99 < 250 ? 'held' : 'failed', measured: p99 },
    { status: state as 'held', measured: 1 },
  ],
  achievedRate: 99 + index / 10,
});

describe('spreadOf', () => {
  test('min, median and max; p10 and p90 only from ten values, interpolated between ranks', () => {
    assert.deepEqual(spreadOf([30, 10, 20]), { n: 3, min: 10, median: 20, max: 30 });
    assert.deepEqual(spreadOf([4, 1, 3, 2]), { n: 4, min: 1, median: 2.5, max: 4 });
    assert.deepEqual(spreadOf(Array.from({ length: 11 }, (_, i) => i * 10)), { n: 11, min: 0, median: 50, max: 100, p10: 10, p90: 90 });
    assert.deepEqual(spreadOf([NaN, 5]), { n: 1, min: 5, median: 5, max: 5 }, 'no data measures nothing');
    assert.equal(spreadOf([NaN]), null);
  });
});

describe('summariseRepeats', () => {
  test('counts each verdict by status, marks the unstable, and spreads what was measured', () => {
    const runs = [repeat(1, 100, 'held'), repeat(2, 120, 'held'), repeat(3, 300, 'held', 'failed'), repeat(4, 110, 'inconclusive', 'inconclusive')];
    const s = summariseRepeats({ name: 's', file: 's.yaml', expect }, 5, runs, 1);
    assert.deepEqual(s.outcomes, { passed: 2, failed: 1, inconclusive: 1 });
    assert.deepEqual(s.expectations[0].counts, { held: 3, failed: 1 });
    assert.equal(s.expectations[0].stable, false);
    assert.deepEqual(s.expectations[0].spread, { n: 4, min: 100, median: 115, max: 300 });
    assert.deepEqual(s.expectations[1].counts, { held: 3, inconclusive: 1 }, 'a status the summary does not know is counted like any other');
    assert.equal(s.expectations[1].spread, null, 'a state measures no number');
    assert.equal(countsText(s.expectations[0].counts, 4), 'held 3/4, failed 1/4');

    const plain = renderRepeatPlain(s, { color: false, reportDir: '/r/rep' });
    assert.match(plain, /^s: 4 of 5 repeats — passed 2\/4, failed 1\/4, inconclusive 1\/4$/m);
    assert.match(plain, /^p99\(client\) < 250ms +held 3\/4, failed 1\/4 +100ms +115ms +300ms$/m);
    assert.match(plain, /2 of 2 expectations changed verdict between repeats · exit 1/);
    const md = renderRepeatMarkdown(s, { runFolder: (d) => d.replace('/r/rep/', '') });
    assert.match(md, /\| `p99\(client\) < 250ms` \| held 3\/4, failed 1\/4 \| ⚠️ \| 100ms \| 115ms \| 300ms \|/);
    assert.match(md, /\| 3 \| failed \| `p99\(client\) < 250ms` \| `3\/x` \|/);
  });

  test('p10 and p90 columns appear from ten repeats', () => {
    const runs = Array.from({ length: 10 }, (_, i) => repeat(i + 1, 100 + i, 'held'));
    const s = summariseRepeats({ name: 's', file: 's.yaml', expect }, 10, runs, 0);
    assert.equal(s.expectations[0].stable, true);
    assert.match(renderRepeatPlain(s, { color: false }), /^expectation +verdicts +min +median +max +p10 +p90$/m);
    assert.match(renderRepeatPlain(s, { color: false }), /every verdict was the same in every repeat · exit 0/);
  });
});
