import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';
import { processesOfRun, ROOT, runCli } from '../helpers/cli.ts';
import { WIRE_CASES } from './wire-scenario-cases.ts';
import { SECURITY_CASES } from './security-scenario-cases.ts';

/**
Every shipped scenario, run for real by the CLI. A scenario with a policy must hold (exit 0); its
twin without the policy must fail (exit 1) on the expectation the policy exists for — which proves
the expectations bite. Runs one at a time: these are timing experiments on a 2-core machine.
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-e2e-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

interface Case {
  file: string;
  code: 0 | 1;
  /** Expectations (by sentence) that must have failed; every other one must have held. */
  failing?: string[];
  /** Compress the run (the scenario's timeline scales; policies and latencies do not). */
  duration?: string;
}

/**
Pairs run end to end by prove.test.ts instead, at the same --duration (5s, 6s): `meshproof prove`
runs the scenario and, as its variant without the policy, the twin's run (plan-prove.test.ts: the
same mesh, services, seed, load, faults and expectations), and holds the baseline to every
expectation held and the variant to failing exactly the twin's documented one
(success_rate(client) >= 99.5%; share(reviews v2) <= 13%), or inconclusive, never the opposite.
*/
const PROVED = ['retries-hide-a-flaky-dependency.yaml', 'retries-hide-a-flaky-dependency--without-retries.yaml', 'a-canary-gets-ten-percent.yaml', 'a-canary-gets-ten-percent--without-split.yaml'];

const cases: Case[] = [
  { file: 'quickstart.yaml', code: 0, duration: '5s' },
  { file: 'quickstart--without-retries.yaml', code: 1, duration: '5s', failing: ['success_rate(client) >= 99.5%'] },
  { file: 'a-timeout-caps-a-slow-dependency.yaml', code: 0, duration: '5s' },
  { file: 'a-timeout-caps-a-slow-dependency--without-timeout.yaml', code: 1, duration: '5s', failing: ['p99(client) < 250ms', 'max(client) < 400ms'] },
  { file: 'least-request-avoids-a-slow-replica.yaml', code: 0, duration: '5s' },
  { file: 'least-request-avoids-a-slow-replica--with-round-robin.yaml', code: 1, duration: '5s', failing: ['p90(client) < 100ms', 'p90(front -> store) < 60ms'] },
  // The storm depends on absolute time (queue wait vs per-try timeout), so it runs at full length.
  { file: 'a-retry-budget-stops-a-retry-storm.yaml', code: 0 },
  { file: 'a-retry-budget-stops-a-retry-storm--without-budget.yaml', code: 1, failing: ['success_rate(client) >= 95% between 9s and 12s', 'retry_ratio(front -> store) <= 30%'] },
  // Issue 3's policies. Fault times scale with --duration; the mesh's reaction times (ejection,
  // endpoint removal, restart) do not, so those with faults run at 8s, where a fault still lasts
  // seconds, or at full length.
  { file: 'outlier-detection-ejects-a-failing-replica.yaml', code: 0, duration: '8s' },
  {
    file: 'outlier-detection-ejects-a-failing-replica--without-outlier-detection.yaml',
    code: 1,
    duration: '8s',
    failing: [
      'success_rate(client) >= 99.5%',
      'ejected(payments-1) within 2s after p1-errors.start',
      'state(payments-1) == ejected at p1-errors.start from +2s',
      'requests(checkout -> payments-1) == 0 during p1-errors from +2s',
      'retry_ratio(checkout -> payments) <= 2% during p1-errors from +2s',
    ],
  },
  { file: 'a-circuit-breaker-sheds-load.yaml', code: 0, duration: '6s' },
  { file: 'a-circuit-breaker-sheds-load--without-circuit-breaker.yaml', code: 1, duration: '6s', failing: ['overflow(api -> backend) > 0', 'p99(backend) < 300ms', 'p99(client) < 750ms'] },
  // Full length: starting a killed app again can take a second or two on a busy machine, and
  // traffic to it must have time to come back before the end.
  { file: 'failover-when-an-instance-is-killed.yaml', code: 0 },
  { file: 'failover-when-an-instance-is-killed--without-retries-or-ejection.yaml', code: 1, failing: ['success_rate(client) >= 99.5%', 'success_rate(client) >= 99% during p0-crash'] },
  { file: 'a-hung-instance-is-caught-by-per-try-timeout-and-ejection.yaml', code: 0, duration: '8s' },
  {
    file: 'a-hung-instance-is-caught-by-per-try-timeout-and-ejection--without-per-try-timeout.yaml',
    code: 1,
    duration: '8s',
    failing: ['success_rate(client) >= 99.5%', 'p90(client) < 600ms during p2-hang', 'ejected(payments-2) within 1s after p2-hang.start', 'requests(checkout -> payments-2) == 0 during p2-hang from +2s'],
  },
  { file: 'a-rate-limit-keeps-a-callee-within-capacity.yaml', code: 0, duration: '6s' },
  { file: 'a-rate-limit-keeps-a-callee-within-capacity--without-rate-limit.yaml', code: 1, duration: '6s', failing: ['rate_limited(inventory) > 0', 'p99(inventory) < 200ms', 'p99(client) < 500ms'] },
  // Issue 14's budgets: deadlines that travel with a request.
  { file: 'deadline-propagation-stops-wasted-work.yaml', code: 0 },
  {
    file: 'deadline-propagation-stops-wasted-work--without-propagation.yaml',
    code: 1,
    failing: ['wasted_time(reports) < 2s', 'wasted_time(orders) < 2s', 'saved(reports) > 0', 'deadline_exceeded(orders -> reports) > 0'],
  },
  // Global quotas: one counter in the rate-limit service for every replica, against a local limit per replica.
  { file: 'a-global-quota-holds-across-replicas.yaml', code: 0 },
  { file: 'a-global-quota-holds-across-replicas--with-local-limits.yaml', code: 1, failing: ['admitted_rps(inventory) <= 30'] },
  { file: 'zone-failover.yaml', code: 0, duration: '8s' },
  // Issue 14: the gateway as a single point of failure. Full length: the crash and the removal of
  // the dead replica are the mesh's own times.
  { file: 'two-gateway-replicas-survive-a-crash.yaml', code: 0 },
  {
    file: 'two-gateway-replicas-survive-a-crash--with-one-replica.yaml',
    code: 1,
    failing: [
      'success_rate(client) >= 99%',
      'success_rate(client) >= 99% during edge-crash',
      'requests(client -> edge-0) == 0 during edge-crash from +2s',
      'rps(edge -> checkout) >= 80/s during edge-crash from +2s',
    ],
  },
  { file: 'zone-failover--without-locality.yaml', code: 1, duration: '8s', failing: ['requests(front -> backend-1) == 0 before zone-a-down', 'requests(front -> backend-3) == 0 before zone-a-down'] },
];

describe('shipped scenarios', () => {
  test('every shipped scenario is covered here', () => {
    // The wire-fault scenarios (issue 4) run in wire-scenarios.test.ts, the security ones (issue 13) in security-scenarios.test.ts, two pairs in prove.test.ts.
    const elsewhere = [...WIRE_CASES, ...SECURITY_CASES].map((c) => c.file).concat(PROVED);
    const shipped = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml') && !elsewhere.includes(f)).sort();
    assert.deepEqual(shipped, cases.map((c) => c.file).sort());
  });

  for (const c of cases) {
    test(`${c.file} exits ${c.code}`, { timeout: 120_000 }, async () => {
      const dir = join(reports, c.file.replace('.yaml', ''));
      const args = ['run', join('scenarios', c.file), '--reports', dir, ...(c.duration ? ['--duration', c.duration] : [])];
      const run = await runCli(args);
      const context = `\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      const [folder] = readdirSync(dir);
      assert.ok(folder, `a report folder was written${context}`);
      for (const f of ['result.json', 'junit.xml', 'summary.md']) assert.ok(existsSync(join(dir, folder, f)), `${f} written`);
      const result = JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
      assert.equal(result.error, null, context);
      assertDocumentedVerdicts(run.code, result, c, context);
      const failed = result.verdicts.filter((v) => v.status === 'failed').map((v) => v.expectation.text);
      for (const v of result.verdicts) {
        assert.notEqual(v.status, 'no_data', `${v.expectation.text} was decided: ${v.explanation}`);
        // A failed one may have no value: an ejection that never happened has no delay to measure.
        if (v.status === 'held') assert.ok(Number.isFinite(v.measured), `${v.expectation.text} was measured`);
      }

      const junit = readFileSync(join(dir, folder, 'junit.xml'), 'utf8');
      assert.equal((junit.match(/<testcase /g) ?? []).length, result.verdicts.length);
      assert.equal((junit.match(/<failure /g) ?? []).length, failed.length);
      assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
    });
  }
});
