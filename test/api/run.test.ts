import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test, vi } from 'vitest';
import { starterScenario } from '../../src/init/starter-scenario.ts';
// The package entry: what `import { run, validate } from 'meshproof'` loads (compiled, once installed).
import { run, ScenarioInvalidError, validate, type RunEvent } from '../../src/index.ts';
import { MeshproofError } from '../../src/errors.ts';
import { assertDocumentedVerdicts } from '../helpers/documented-verdicts.ts';

// A project as `meshproof init` leaves it: scenarios/starter.yaml, plus its twin without the policies.
const STARTER = starterScenario('../node_modules/meshproof/schema/scenario.schema.json');
const WITHOUT_POLICIES = STARTER.slice(0, STARTER.indexOf('\nmesh:')).replace('name: starter', 'name: starter--without-policies') + STARTER.slice(STARTER.indexOf('\nload:'));
assert.doesNotMatch(WITHOUT_POLICIES, /^\s*(mesh|retries|outlierDetection):/m);
const project = mkdtempSync(join(tmpdir(), 'meshproof-api-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));
mkdirSync(join(project, 'scenarios'));
writeFileSync(join(project, 'scenarios/starter.yaml'), STARTER);
writeFileSync(join(project, 'scenarios/starter--without-policies.yaml'), WITHOUT_POLICIES);

/** Everything written to the process's stdout and stderr while `fn` runs. */
async function printed<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  let text = '';
  const capture = (chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    return { value: await fn(), text };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('the programmatic API', () => {
  // example:start
  test('the starter scenario: a failing db replica never reaches the clients', async () => {
    const checked = await validate('scenarios/starter.yaml', { cwd: project });
    expect(checked.problems).toEqual([]);

    const summary = await run('scenarios/starter.yaml', { cwd: project });
    expect(summary.exitCode).toBe(0);
    const [starter] = summary.runs;
    for (const verdict of starter.verdicts) expect(verdict.status, verdict.explanation).toBe('held');
    // result.json, report.html, junit.xml, summary.md, traces.json
    expect(starter.reportDir).toMatch(/\/reports\/\d{8}-\d{6}-starter$/);
  }, 90_000);
  // example:end

  test('it prints nothing unless asked, and a failed expectation is exit code 1 with the verdicts that say why', async () => {
    const events: RunEvent['type'][] = [];
    const { value: summary, text } = await printed(() =>
      run('scenarios/starter--without-policies.yaml', { cwd: project, reports: null, duration: '4s', onEvent: (e) => events.push(e.type) }),
    );
    expect(text).toBe('');
    const [r] = summary.runs;
    // Without retries a quarter of the fault's requests fail; without ejection db-1 keeps getting
    // them. On a machine too busy to judge, a verdict may be inconclusive (exit 3 when none failed),
    // never the opposite.
    assertDocumentedVerdicts(summary.exitCode, r.result, { code: 1, failing: ['success_rate(client) >= 99%', 'ejected(db-1) within 2s after db-1-fails.start', 'requests(api -> db-1) == 0 during db-1-fails from +2s'] }, '');
    expect(summary).toMatchObject({ passed: false, exitCode: summary.exitCode === 3 ? 3 : 1 });
    expect(r).toMatchObject({ name: 'starter--without-policies', outcome: summary.exitCode === 3 ? 'inconclusive' : 'failed', error: null, reportDir: null });
    expect(r.file).toBe(join(project, 'scenarios/starter--without-policies.yaml'));
    expect(r.result.scenario.durationMs).toBe(4000);
    expect(events).toContain('load-started');
    expect(events).toContain('expectation-settled');
  }, 90_000);

  test('output goes to the stream given, as plain lines; a folder runs every scenario in it, in name order', async () => {
    let lines = '';
    const reports = join(project, 'elsewhere');
    const controller = new AbortController();
    const summary = await run('scenarios', {
      cwd: project,
      reports: reports,
      duration: '2s',
      traces: false,
      output: { stream: { write: (s: string) => (lines += s) } },
      // Stop during the first scenario's load: it is still decided and reported, the second never starts.
      onEvent: (e) => e.type === 'load-started' && controller.abort(),
      signal: controller.signal,
    });
    expect(summary.exitCode).toBe(130);
    expect(summary.runs.map((r) => [r.name, r.outcome, r.loadFinished])).toEqual([['starter--without-policies', 'interrupted', false]]);
    expect(summary.runs[0].error).toMatch(/interrupted/);
    expect(lines).toMatch(/\] load: 50\/s, at most \d+ in flight, /);
    expect(lines).toMatch(/Report: .*\/elsewhere\/\d{8}-\d{6}-starter--without-policies\n/);
    expect(readdirSync(reports)).toHaveLength(1);
  }, 90_000);

  test('aborted after the load finished: interrupted (130), and the verdicts are complete and stand', async () => {
    const controller = new AbortController();
    const summary = await run('scenarios/starter--without-policies.yaml', {
      cwd: project,
      reports: null,
      duration: '2s',
      traces: false,
      onEvent: (e) => e.type === 'load-finished' && controller.abort(),
      signal: controller.signal,
    });
    expect(summary.exitCode).toBe(130);
    const [r] = summary.runs;
    expect(r).toMatchObject({ outcome: 'interrupted', loadFinished: true, error: null });
    expect(r.verdicts).toHaveLength(r.result.scenario.expect.length);
    expect(r.verdicts.map((v) => v.status)).toContain('failed');
  }, 90_000);

  test('aborted between two scenarios: the next one never starts, and the one that finished keeps its outcome', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const summary = await run('scenarios', {
      cwd: project,
      reports: null,
      duration: '2s',
      traces: false,
      onEvent: (e, scenario) => {
        if (e.type === 'run-starting') started.push(scenario.name);
        if (e.type === 'run-finished') controller.abort();
      },
      signal: controller.signal,
    });
    expect(summary.exitCode).toBe(130);
    expect(started).toEqual(['starter--without-policies']);
    expect(summary.runs.map((r) => [r.name, r.outcome, r.loadFinished])).toEqual([['starter--without-policies', 'failed', true]]);
  }, 90_000);

  test('an invalid scenario: validate lists every problem at its line; run throws before anything starts', async () => {
    const broken = join(project, 'broken.yaml');
    writeFileSync(broken, STARTER.replace('rate: 50/s', 'rate: fast').replace('target: db-1\n', 'target: db-9\n'));
    onTestFinished(() => rmSync(broken));
    const checked = await validate(['broken.yaml', 'missing.yaml'], { cwd: project });
    expect(checked.valid).toBe(false);
    expect(checked.problems.map((p) => p.code)).toEqual(['MESHPROOF_SCENARIO_INVALID', 'MESHPROOF_SCENARIO_UNREADABLE']);
    expect(checked.problems[0].issues.map((i) => [i.line, i.path])).toEqual([
      [42, 'load.rate'],
      [50, 'faults[0].target'],
    ]);
    expect(checked.problems[1].message).toBe(`cannot read scenario ${join(project, 'missing.yaml')}: no such file`);
    const reports = join(project, 'never');
    const error = await run('broken.yaml', { cwd: project, reports }).catch((e: unknown) => e);
    assert.ok(error instanceof ScenarioInvalidError);
    expect(error.code).toBe('MESHPROOF_SCENARIO_INVALID');
    expect(error.issues).toHaveLength(2);
    expect(existsSync(reports)).toBe(false);
  });

  test('a duration past the limits a scenario file keeps: run throws before anything starts, as the CLI exits 2', async () => {
    const reports = join(project, 'never-too-long');
    const events: string[] = [];
    const error = await run('scenarios/starter.yaml', { cwd: project, reports, duration: '2h', onEvent: (e) => events.push(e.type) }).catch((e: unknown) => e);
    assert.ok(error instanceof MeshproofError);
    expect(error.code).toBe('MESHPROOF_USAGE');
    expect(error.message).toMatch(/^duration: found 2h; at most 1h\b/);
    expect(events).toEqual([]);
    expect(existsSync(reports)).toBe(false);
  });
});
