import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const FIXTURE = join(ROOT, 'test/e2e/fixtures/tui-outlier.yaml');

test('--json: one JSON event a line, then the result; summary.md appended to $GITHUB_STEP_SUMMARY; report.html written', { timeout: 90_000 }, async () => {
  const reports = join(tmp, 'reports');
  const summary = join(tmp, 'step-summary.md');
  writeFileSync(summary, '# earlier\n');
  const r = await runCli(['run', FIXTURE, '--duration', '4s', '--json', '--reports', reports], { timeoutMs: 60_000, env: { GITHUB_STEP_SUMMARY: summary } });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const objects = lines.map((l, i) => {
    try {
      return JSON.parse(l) as { type: string };
    } catch {
      assert.fail(`line ${i + 1} is not JSON: ${l}`);
    }
  });
  const types = new Set(objects.map((o) => o.type));
  for (const t of ['run-starting', 'topology-ready', 'load-started', 'tick', 'fault-started', 'fault-ended', 'expectation-settled', 'teardown', 'run-finished']) assert.ok(types.has(t), t);
  const last = objects[objects.length - 1] as { type: string; result: { passed: boolean; verdicts: unknown[] }; reportDir: string };
  assert.equal(last.type, 'result');
  assert.equal(last.result.verdicts.length, 3);
  assert.equal(r.code, last.result.passed ? 0 : 1);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no escape codes in JSON output');

  const step = readFileSync(summary, 'utf8');
  assert.ok(step.startsWith('# earlier\n## '), step.slice(0, 200));
  assert.match(step, /^## [✅❌] tui-outlier — \d of 3 expectations held$/m);
  assert.ok(existsSync(join(last.reportDir, 'report.html')));
  assert.deepEqual(readdirSync(reports).length, 1);
});

test('not a terminal: plain progress lines and the summary, no escape codes, no live view', { timeout: 90_000 }, async () => {
  const r = await runCli(['run', FIXTURE, '--duration', '3s', '--no-report'], { timeoutMs: 60_000, env: { NO_COLOR: '' } });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(r.stdout, /^▶ tui-outlier \(run [\w-]+\)$/m);
  assert.match(r.stdout, /^\[ *\d+\.\ds\] second +1: \d+ req, \d+ errors, p99 /m);
  assert.match(r.stdout, /^\[ *\d+\.\ds\] fault store1-errors started: /m);
  assert.match(r.stdout, /^\d held, \d failed.* — tui-outlier$/m);
  assert.doesNotMatch(r.stdout, /\x1b/, 'a pipe gets no colour and no cursor movement');
  assert.doesNotMatch(r.stdout, /TOPOLOGY/);
});
