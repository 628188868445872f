import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { prove } from '../../src/index.ts';
import type { ProveSummary } from '../../src/api/prove.ts';
import type { Cell, ProveMatrix } from '../../src/report/prove/prove-matrix.ts';
import type { RunResult } from '../../src/report/run-result.ts';
import { processesOfRun, runCli } from '../helpers/cli.ts';

/**
`meshproof prove` for real: the shipped scenarios whose twins take one policy out must show that
policy carrying exactly the expectations the twin fails (shipped-scenarios.test.ts holds the twins
to them, but for these two pairs: the runs here are theirs, baseline and twin, at the same --duration) — two whose verdicts a busy machine does not flip (a-timeout-caps-a-slow-dependency's
latency bounds fail on this two-core machine once its load average passes ~10, in
shipped-scenarios.test.ts too; plan-prove.test.ts derives its twin) — and the API's prove on a fixture whose verdicts do not depend on the machine's speed.
Each run's verdicts may be inconclusive on a starved machine, never the opposite (assertMatrix).
Runs go one after another, as prove makes them.
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-prove-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

/** The prove folder a run of the CLI wrote, with its runs' results. */
function proveFolder(dir: string): { dir: string; json: Omit<ProveSummary, 'runs'>; results: RunResult[] } {
  const [folder] = readdirSync(dir);
  const path = join(dir, folder);
  for (const f of ['summary.md', 'report.html', 'prove.json']) assert.ok(existsSync(join(path, f)), `${f} written`);
  const results = readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => JSON.parse(readFileSync(join(path, e.name, 'result.json'), 'utf8')) as RunResult);
  return { dir: path, json: JSON.parse(readFileSync(join(path, 'prove.json'), 'utf8')), results };
}

/** A run of a proof: every expectation decided (a matrix counts no data as fails), nothing of it left running. */
function assertDecidedAndLeftNothing(r: RunResult): void {
  assert.equal(r.error, null, r.scenario.name);
  for (const v of r.verdicts) assert.notEqual(v.status, 'no_data', `${r.scenario.name}: ${v.expectation.text} was decided: ${v.explanation}`);
  assert.deepEqual(processesOfRun(r.runId), [], 'no process of the run is left');
}

interface Expected {
  expectations: string[];
  baseline: Cell[];
  /** Each policy's cells, in the plan's order. */
  rows: [string, Cell[]][];
  withoutEveryPolicy: Cell[];
  testsNothing: number[];
  exitCode: number;
}

/**
The matrix is the expected one. A busy machine may keep the harness from a verdict — an
inconclusive cell, exit code 3 — but never gives the opposite one; with every cell decided, the
findings and the exit code must be exactly as expected.
*/
function assertMatrix(m: ProveMatrix, exitCode: number, want: Expected, context: string): void {
  assert.deepEqual(m.expectations, want.expectations);
  assert.deepEqual(m.rows.map((r) => r.policy.key), want.rows.map(([k]) => k));
  const pairs: [Cell[], Cell[], string][] = [[m.baseline, want.baseline, 'baseline'], ...m.rows.map((r, i): [Cell[], Cell[], string] => [r.cells, want.rows[i][1], r.policy.key]), [m.withoutEveryPolicy, want.withoutEveryPolicy, 'every policy']];
  for (const [got, expected, what] of pairs) got.forEach((c, i) => assert.ok(c === expected[i] || c === 'inconclusive', `${what}, [${i + 1}] ${m.expectations[i]}: ${c}, expected ${expected[i]}${context}`));
  if (pairs.some(([got]) => got.includes('inconclusive'))) {
    assert.ok([want.exitCode, 3].includes(exitCode), `exit ${exitCode} with inconclusive cells${context}`);
    return;
  }
  assert.equal(exitCode, want.exitCode, `exit code${context}`);
  assert.deepEqual(m.testsNothing, want.testsNothing);
  for (const r of m.rows) {
    const carries = r.cells.flatMap((c, i) => (c === 'fails' && m.baseline[i] === 'holds' ? [i] : []));
    assert.deepEqual(r.carries, carries);
    assert.equal(r.status, carries.length > 0 ? 'load-bearing' : 'untested');
  }
}

describe('meshproof prove', () => {
  test('takes one scenario file, and no --repeat; anything else exits 2 before anything starts', async () => {
    const none = await runCli(['prove'], { timeoutMs: 20_000 });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /meshproof prove: give one scenario file \(got none\)/);
    const folder = await runCli(['prove', 'scenarios/'], { timeoutMs: 20_000 });
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /meshproof prove: give one scenario file; scenarios\/ holds \d+/);
    const repeat = await runCli(['prove', 'scenarios/quickstart.yaml', '--repeat', '3'], { timeoutMs: 20_000 });
    assert.equal(repeat.code, 2);
    assert.match(repeat.stderr, /meshproof prove: Unknown option '--repeat'/);
  });

  test('retries-hide-a-flaky-dependency: the retries carry success_rate(client); the other two test nothing the mesh does', { timeout: 120_000 }, async () => {
    const dir = join(reports, 'retries');
    const run = await runCli(['prove', 'scenarios/retries-hide-a-flaky-dependency.yaml', '--duration', '5s', '--out', dir, '--json']);
    const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.type), ['prove-run', 'prove-run', 'prove'], context);
    const { matrix } = lines.at(-1) as { matrix: ProveMatrix };
    assertMatrix(matrix, run.code!, {
      expectations: ['error_rate(store) >= 5%', 'success_rate(client) >= 99.5%', 'retry_ratio(front -> store) <= 15%'],
      baseline: ['holds', 'holds', 'holds'],
      rows: [['mesh.store.retries', ['holds', 'fails', 'holds']]],
      withoutEveryPolicy: ['holds', 'fails', 'holds'],
      testsNothing: [0, 2],
      exitCode: 0,
    }, context);

    const folder = proveFolder(dir);
    assert.deepEqual(folder.json.matrix, matrix);
    assert.deepEqual(folder.results.map((r) => r.scenario.name).sort(), ['retries-hide-a-flaky-dependency', 'retries-hide-a-flaky-dependency--without-mesh.store.retries']);
    for (const r of folder.results) assertDecidedAndLeftNothing(r);
    if (matrix.rows[0].status === 'load-bearing') assert.match(readFileSync(join(folder.dir, 'summary.md'), 'utf8'), /mesh\.store\.retries carries \\\[2\\\] success_rate\(client\) >= 99\.5%/);
  });

  test("a-canary-gets-ten-percent: the split carries the upper bound on the canary's share", { timeout: 120_000 }, async () => {
    const dir = join(reports, 'canary');
    const run = await runCli(['prove', 'scenarios/a-canary-gets-ten-percent.yaml', '--duration', '6s', '--out', dir]);
    const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    // Without the split, round robin gives v2 a third: the lower bound still holds, the upper does not.
    const { json, results } = proveFolder(dir);
    assert.deepEqual(results.map((r) => r.scenario.name).sort(), ['a-canary-gets-ten-percent', 'a-canary-gets-ten-percent--without-mesh.reviews.split']);
    for (const r of results) assertDecidedAndLeftNothing(r);
    assert.deepEqual(json.policies.map((p) => [p.key, p.declared, p.instead]), [['mesh.reviews.split', 'v1 90%, v2 10%', 'none, the envoy default']]);
    if (run.code === 0) {
      // The terminal's matrix: a row per run, a column per expectation; then the findings.
      assert.match(run.stdout, /^baseline +holds +holds +holds +as declared$/m, context);
      assert.match(run.stdout, /^without mesh\.reviews\.split +holds +FAILS +holds +v1 90%, v2 10% → none, the envoy default$/m, context);
      assert.match(run.stdout, /Load-bearing:\n {2}mesh\.reviews\.split carries \[2\] share\(reviews v2\) <= 13%/);
      assert.match(run.stdout, /Tests nothing the mesh does:\n {2}\[1\] share\(reviews v2\) >= 7%: tests nothing the mesh does/);
    }
    assertMatrix(json.matrix, run.code!, {
      expectations: ['share(reviews v2) >= 7%', 'share(reviews v2) <= 13%', 'success_rate(client) >= 99.9%'],
      baseline: ['holds', 'holds', 'holds'],
      rows: [['mesh.reviews.split', ['holds', 'fails', 'holds']]],
      withoutEveryPolicy: ['holds', 'fails', 'holds'],
      testsNothing: [0, 2],
      exitCode: 0,
    }, context);
  });

  test('the API: two policies, four runs; the one nothing tests is named, and a failing baseline is exit 1', { timeout: 120_000 }, async () => {
    const summary = await prove(join(import.meta.dirname, 'fixtures', 'prove-two-policies.yaml'), { reports: join(reports, 'api') });
    assert.deepEqual(summary.runs.map((r) => r.name), ['prove-two-policies', 'prove-two-policies--without-mesh.store.timeout', 'prove-two-policies--without-services.store.rateLimit', 'prove-two-policies--without-every-policy']);
    assertMatrix(summary.matrix, summary.exitCode, {
      expectations: ['rate_limited(store) > 0', 'requests(client) > 0', 'rps(client) >= 100000/s'],
      baseline: ['holds', 'holds', 'fails'],
      rows: [
        ['mesh.store.timeout', ['holds', 'holds', 'fails']],
        ['services.store.rateLimit', ['fails', 'holds', 'fails']],
      ],
      withoutEveryPolicy: ['fails', 'holds', 'fails'],
      testsNothing: [1],
      // The baseline fails an expectation.
      exitCode: 1,
    }, summary.runs.map((r) => r.verdicts.map((v) => v.explanation).join('\n')).join('\n'));
    assert.ok(summary.reportDir && existsSync(join(summary.reportDir, 'report.html')));
    for (const r of summary.runs) assert.ok(r.reportDir?.startsWith(summary.reportDir + '/'), 'each run keeps its folder under the prove folder');
  });
});
