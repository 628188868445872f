import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import type { RepeatSummary } from '../../src/report/repeat/repeat-summary.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { processesOfRun, ROOT, runCli } from '../helpers/cli.ts';

const reports = mkdtempSync(join(tmpdir(), 'meshproof-repeat-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

describe('meshproof run --repeat', () => {
  test('three repeats one after another: the stability table, each repeat in its folder, the worst exit code', { timeout: 120_000 }, async () => {
    const fixture = relative(ROOT, join(import.meta.dirname, 'fixtures', 'repeat-short.yaml'));
    const run = await runCli(['run', fixture, '--repeat', '3', '--out', reports]);
    const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    assert.match(run.stdout, /^repeat-short: 3 repeats, one after another/m, context);
    for (const i of [1, 2, 3]) assert.match(run.stdout, new RegExp(`^ {2}${i}/3 [✔✘] `, 'm'), context);
    assert.match(run.stdout, /^repeat-short: 3 of 3 repeats — /m);
    assert.match(run.stdout, /^expectation +verdicts +min +median +max$/m);

    const [folder] = readdirSync(reports);
    assert.match(folder, /^\d{8}-\d{6}-repeat-short--repeat$/);
    const dir = join(reports, folder);
    assert.deepEqual(readdirSync(dir).sort(), ['1', '2', '3', 'repeat.json', 'summary.md']);
    const summary = JSON.parse(readFileSync(join(dir, 'repeat.json'), 'utf8')) as RepeatSummary;
    // A starved machine may make a verdict inconclusive, never the opposite one.
    const expected = ['held', 'held', 'failed'];
    summary.expectations.forEach((e, i) => {
      assert.equal(Object.values(e.counts).reduce((x, y) => x + y, 0), 3);
      for (const status of Object.keys(e.counts)) assert.ok(status === expected[i] || status === 'inconclusive', `${e.text}: ${status}${context}`);
    });
    const failed = summary.expectations[2].counts.failed ?? 0;
    assert.equal(run.code, failed > 0 ? 1 : 3, `the worst verdict of any repeat: 1 when one failed${context}`);
    assert.equal(summary.exitCode, run.code);
    if (failed === 3 && summary.expectations[0].counts.held === 3) {
      for (const i of [1, 2, 3]) assert.match(run.stdout, new RegExp(`^ {2}${i}/3 ✘ failed: rps\\(client\\) >= 100000/s failed$`, 'm'), context);
      assert.match(run.stdout, /^repeat-short: 3 of 3 repeats — failed 3\/3$/m);
      assert.match(run.stdout, /^requests\(client\) > 0 +held 3\/3 +\d+ +\d+ +\d+$/m);
      assert.match(run.stdout, /^rps\(client\) >= 100000\/s +failed 3\/3 +[\d.]+\/s +[\d.]+\/s +[\d.]+\/s$/m);
      assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\| `requests\(client\) > 0` \| held 3\/3 \| ✅ \|/);
    }
    const spread = summary.expectations[1].spread!;
    assert.equal(spread.n, 3, 'p50 measured in every repeat');
    assert.ok(spread.min <= spread.median && spread.median <= spread.max);
    for (const i of ['1', '2', '3']) {
      const [runFolder] = readdirSync(join(dir, i));
      const result = JSON.parse(readFileSync(join(dir, i, runFolder, 'result.json'), 'utf8')) as RunResult;
      assert.ok(existsSync(join(dir, i, runFolder, 'report.html')));
      assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
    }
  });

  test('--repeat must be a whole number from 1, found before anything starts', async () => {
    const run = await runCli(['run', 'scenarios/quickstart.yaml', '--repeat', '0', '--no-report']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--repeat must be a whole number from 1 to 1000, got "0"/);
  });
});
