import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import type Docker from 'dockerode';
import type { RunResult } from '../../src/report/run-result.ts';
import { SECURITY_CASES as cases, type Case } from './security-scenario-cases.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';
import { processesOfRun, runCli } from '../helpers/cli.ts';
import { describeDockerRuns } from '../runtime/docker/helpers.ts';

/**
The shipped security pairs (issue 13), run for real by the CLI: both scenarios of each pair on the
local runtime, and each pair's policy on Docker too, where it must give the same verdicts (a twin
differs only in the mesh configuration the same sidecar applies, so it runs once). The reports are
read too: summary.md and report.html carry the security section, and the events say what happened
(a denial with its policy, a refused plaintext connection, a rotation).
*/
const reports = mkdtempSync(join(tmpdir(), 'meshproof-security-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));

async function runCase(c: Case, runtime: 'local' | 'docker', runs?: Set<string>): Promise<void> {
  const dir = join(reports, `${runtime}-${c.file.replace('.yaml', '')}`);
  const run = await runCli(['run', join('scenarios', c.file), '--reports', dir, '--runtime', runtime, ...(c.duration ? ['--duration', c.duration] : [])], { timeoutMs: 240_000 });
  const context = `\n--- stdout ---\n${run.stdout.slice(-6000)}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
  const [folder] = readdirSync(dir);
  assert.ok(folder, `a report folder was written${context}`);
  const result = JSON.parse(readFileSync(join(dir, folder, 'result.json'), 'utf8')) as RunResult;
  runs?.add(result.runId);
  assert.equal(result.error, null, context);
  assertDocumentedVerdicts(run.code, result, c, context);
  c.check(result, readFileSync(join(dir, folder, 'summary.md'), 'utf8'), readFileSync(join(dir, folder, 'report.html'), 'utf8'));
  assert.deepEqual(processesOfRun(result.runId), [], 'no process of the run is left');
}

describe('security scenarios on the local runtime', () => {
  // vitest runs adjacent concurrent tests together: a pair marked sideBySide runs as one, its two runs started at once.
  for (const c of cases) (c.sideBySide ? test.concurrent : test)(`${c.file} exits ${c.code}, and its reports and events say why`, { timeout: 240_000 }, () => runCase(c, 'local'));
});

const runs = new Set<string>();
await describeDockerRuns('security scenarios on the Docker runtime', runs, () => {
  // Each policy on Docker; its twin (the same scenario without it, the same sidecar code) runs locally above.
  for (const c of cases.filter((c) => c.code === 0)) test(`${c.file} exits ${c.code} on Docker, as on the local runtime`, { timeout: 240_000 }, () => runCase(c, 'docker', runs));
});
