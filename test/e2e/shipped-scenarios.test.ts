import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { RunResult } from '../../src/report/run-result.ts';
import { processesOfRun, ROOT, runCli } from '../helpers/cli.ts';
import { WIRE_CASES } from './wire-scenario-cases.ts';

/**
Every shipped scenario, run for real by the CLI. A scenario with a policy must hold (exit 0); its
twin without the policy must fail (exit 1) on the expectation the policy exists for — which proves
the expectations bite. Runs one at a time: these are timing experiments on a 2-core machine.
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-e2e-'));
after(() => rmSync(reports, { recursive: true, force: true }));

interface Case {
  file: string;
  code: 0 | 1;
  /** Expectations (by sentence) that must have failed; every other one must have held. */
  failing?: string[];
  /** Compress the run (the scenario's timeline scales; policies and latencies do not). */
  duration?: string;
}

const cases: Case[] = [
  { file: 'quickstart.yaml', code: 0, duration: '5s' },
  { file: 'quickstart--without-retries.yaml', code: 1, duration: '5s', failing: ['success_rate(client) >= 99.5%'] },
  { file: 'retries-hide-a-flaky-dependency.yaml', code: 0, duration: '5s' },
  { file: 'retries-hide-a-flaky-dependency--without-retries.yaml', code: 1, duration: '5s', failing: ['success_rate(client) >= 99.5%'] },
  { file: 'a-timeout-caps-a-slow-dependency.yaml', code: 0, duration: '5s' },
  { file: 'a-timeout-caps-a-slow-dependency--without-timeout.yaml', code: 1, duration: '5s', failing: ['p99(client) < 250ms', 'max(client) < 400ms'] },
  { file: 'least-request-avoids-a-slow-replica.yaml', code: 0, duration: '5s' },
  { file: 'least-request-avoids-a-slow-replica--with-round-robin.yaml', code: 1, duration: '5s', failing: ['p90(client) < 100ms', 'p90(front -> store) < 60ms'] },
  // The storm depends on absolute time (queue wait vs per-try timeout), so it runs at full length.
  { file: 'a-retry-budget-stops-a-retry-storm.yaml', code: 0 },
  { file: 'a-retry-budget-stops-a-retry-storm--without-budget.yaml', code: 1, failing: ['success_rate(client) >= 95% between 9s and 12s', 'retry_ratio(front -> store) <= 30%'] },
];

describe('shipped scenarios', { concurrency: 1 }, () => {
  test('every shipped scenario is covered here', () => {
    // The wire-fault scenarios (issue 4) run in wire-scenarios.test.ts.
    const shipped = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml') && !WIRE_CASES.some((w) => w.file === f)).sort();
    assert.deepEqual(shipped, cases.map((c) => c.file).sort());
  });

  for (const c of cases) {
    test(`${c.file} exits ${c.code}`, { timeout: 120_000 }, async () => {
      const dir = join(reports, c.file.replace('.yaml', ''));
      const args = ['run', join('scenarios', c.file), '--reports', dir, ...(c.duration ? ['--duration', c.duration] : [])];
      const run = await runCli(args);
      const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      assert.equal(run.code, c.code, `exit code${context}`);

      const [folder] = readdirSync(dir);
      assert.ok(folder, `a report folder was written${context}`);
      for (const f of ['result.json', 'junit.xml', 'summary.md']) assert.ok(existsSync(join(dir, folder, f)), `${f} written`);
      const result = JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
      assert.equal(result.error, null, context);
      const failed = result.verdicts.filter((v) => v.status !== 'held').map((v) => v.expectation.text);
      assert.deepEqual(failed.sort(), (c.failing ?? []).sort(), `verdicts: ${result.verdicts.map((v) => v.explanation).join('\n')}`);
      for (const v of result.verdicts) assert.ok(Number.isFinite(v.measured), `${v.expectation.text} was measured`);

      const junit = readFileSync(join(dir, folder, 'junit.xml'), 'utf8');
      assert.equal((junit.match(/<testcase /g) ?? []).length, result.verdicts.length);
      assert.equal((junit.match(/<failure /g) ?? []).length, failed.length);
      assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
    });
  }
});
