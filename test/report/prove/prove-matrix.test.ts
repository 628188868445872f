import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import type { ProvePlan } from '../../../src/plan/plan-prove.ts';
import { proveMatrix, type VariantRun } from '../../../src/report/prove/prove-matrix.ts';
import { renderProveHtml } from '../../../src/report/prove/prove-html.ts';
import { renderProveMarkdown } from '../../../src/report/prove/prove-markdown.ts';
import { renderProvePlain } from '../../../src/report/prove/prove-plain.ts';

const scenario = { name: 's', file: 's.yaml', expect: [{ text: 'p99(client) < 250ms' }, { text: 'success_rate(client) >= 99%' }, { text: 'error_rate(store) >= 5%' }] };
const policy = (key: string) => ({ key, kind: 'timeout' as const, service: 'store', declared: '150ms', instead: '15s, the envoy default' });
const plan: ProvePlan = {
  policies: [policy('mesh.store.timeout'), policy('mesh.store.retries'), policy('mesh.store.healthCheck')],
  variants: ['baseline', 'mesh.store.timeout', 'mesh.store.retries', 'mesh.store.healthCheck', 'every-policy'].map((id) => ({ id, removed: id === 'baseline' ? [] : [id], scenario: null as never })),
  withoutEveryPolicy: 'every-policy',
};
const run = (id: string, statuses: string[], outcome = statuses.every((s) => s === 'held') ? 'passed' : 'failed', error: string | null = null): VariantRun => ({ id, outcome, error, reportDir: `/r/${id}`, statuses });

describe('proveMatrix', () => {
  test('a policy carries the expectations that hold with it and fail without it; the rest are named', () => {
    const m = proveMatrix(scenario, plan, [
      run('baseline', ['held', 'held', 'held']),
      run('mesh.store.timeout', ['failed', 'held', 'held']),
      run('mesh.store.retries', ['held', 'no_data', 'held']),
      run('mesh.store.healthCheck', ['held', 'held', 'held']),
      run('every-policy', ['failed', 'failed', 'held']),
    ]);
    assert.deepEqual(m.baseline, ['holds', 'holds', 'holds']);
    assert.deepEqual(m.rows.map((r) => [r.policy.key, r.status, r.carries]), [
      ['mesh.store.timeout', 'load-bearing', [0]],
      ['mesh.store.retries', 'load-bearing', [1]],
      ['mesh.store.healthCheck', 'untested', []],
    ]);
    assert.deepEqual(m.rows[1].cells, ['holds', 'fails', 'holds'], 'no data is a failure, as in a run');
    assert.deepEqual(m.withoutEveryPolicy, ['fails', 'fails', 'holds']);
    assert.deepEqual(m.testsNothing, [2]);
    assert.deepEqual(m.notRun, []);

    const plain = renderProvePlain(m, { color: false, exitCode: 0 });
    assert.match(plain, /^without mesh\.store\.timeout +FAILS +holds +holds +150ms → 15s, the envoy default$/m);
    assert.match(plain, /Load-bearing:\n {2}mesh\.store\.timeout carries \[1\] p99\(client\) < 250ms\n {2}mesh\.store\.retries carries \[2\] success_rate\(client\) >= 99%/);
    assert.match(plain, /Nothing here tests it:\n {2}mesh\.store\.healthCheck \(150ms\): nothing here tests it/);
    assert.match(plain, /Tests nothing the mesh does:\n {2}\[3\] error_rate\(store\) >= 5%: tests nothing the mesh does/);
    const md = renderProveMarkdown(m, { exitCode: 0 });
    assert.match(md, /\| `without mesh\.store\.timeout`<br>150ms → 15s, the envoy default \| ❌ fails \| ✅ holds \| ✅ holds \|/);
    const html = renderProveHtml(m, { runFolder: (d) => d.slice(3) });
    assert.match(html, /<a href="mesh\.store\.timeout\/report\.html">/);
    assert.equal((html.match(/class="pill failed"/g) ?? []).length, 4);
  });

  test('a verdict that is neither held nor failed, or a run that broke, is inconclusive and decides nothing', () => {
    const m = proveMatrix(scenario, plan, [
      run('baseline', ['held', 'held', 'failed']),
      run('mesh.store.timeout', ['inconclusive', 'held', 'failed'], 'inconclusive'),
      run('mesh.store.retries', ['failed', 'held', 'held'], 'error', 'a sidecar did not start'),
      run('mesh.store.healthCheck', ['held', 'held', 'held']),
    ]);
    assert.deepEqual(m.rows[0].cells, ['inconclusive', 'holds', 'fails']);
    assert.equal(m.rows[0].status, 'undecided');
    assert.deepEqual(m.rows[1].cells, ['inconclusive', 'inconclusive', 'inconclusive'], 'a run that broke is no verdict');
    assert.equal(m.rows[1].status, 'undecided');
    // What the baseline failed, no policy carries: failing it without one changes nothing.
    assert.equal(m.rows[2].status, 'untested');
    assert.deepEqual(m.notRun, ['every-policy']);
    assert.deepEqual(m.withoutEveryPolicy, ['inconclusive', 'inconclusive', 'inconclusive']);
    assert.deepEqual(m.testsNothing, []);
    const plain = renderProvePlain(m, { color: false });
    assert.match(plain, /The baseline did not hold every expectation/);
    assert.match(plain, /mesh\.store\.retries: the run did not complete: a sidecar did not start/);
    assert.match(plain, /not run \(interrupted\): every-policy/);
  });
});
