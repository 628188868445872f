import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import type { RunResult } from '../../src/report/run-result.ts';
import { waitFor } from '../../src/util/http-json.ts';
import { CLI, processesOfRun, ROOT, runCli } from '../helpers/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BROKEN = `version: 1
name: broken
description: two mistakes
duration: 5s
services:
  front:
    calls: [stor]
  store: {}
load: { target: front, rate: 10/s }
expect:
  - success_rate(client) >= 99.5%
`;

test('a wrong scenario: exit 2, file:line:col of every problem, and nothing started', async () => {
  const file = join(tmp, 'broken.yaml');
  writeFileSync(file, BROKEN.replace('duration: 5s', 'duration: 5'));
  const state = join(tmp, 'state-invalid');
  for (const cmd of ['validate', 'explain', 'run']) {
    const r = await runCli([cmd, file, '--reports', join(tmp, 'never')].slice(0, cmd === 'run' ? 4 : 2), { env: { MESHPROOF_STATE_DIR: state }, timeoutMs: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:4:11 duration: .*expected a duration`));
    assert.match(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:7:13 services\\.front\\.calls\\[0\\]: unknown service "stor"; did you mean "store"\\?`));
  }
  assert.equal(existsSync(join(tmp, 'never')), false, 'no report folder');
  assert.equal(existsSync(state), false, 'no process was ever registered');
});

test('a service run from an image on the local runtime: exit 2 saying to use the Docker runtime, nothing started', async () => {
  const file = join(tmp, 'imaged.yaml');
  writeFileSync(file, BROKEN.replace('calls: [stor]', 'image: my-team/front:1.0\n    calls: [store]'));
  const state = join(tmp, 'state-imaged');
  const valid = await runCli(['validate', file], { timeoutMs: 20_000 });
  assert.equal(valid.code, 0, valid.stderr);
  const r = await runCli(['run', file, '--runtime', 'local', '--reports', join(tmp, 'never-imaged')], { env: { MESHPROOF_STATE_DIR: state }, timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /service front runs the image my-team\/front:1\.0, and images run only on the Docker runtime: run with --runtime docker/);
  assert.deepEqual(existsSync(state) ? readdirSync(state) : [], [], 'no run registered');
});

test('validate accepts every shipped scenario', async () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => join('scenarios', f));
  const r = await runCli(['validate', ...files], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, files.length);
});

test('explain says in words what a shipped scenario will do, before anything runs', async () => {
  const r = await runCli(['explain', 'scenarios/quickstart.yaml'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const sections = r.stdout.split('\n').slice(2).filter((l) => l !== '' && !l.startsWith(' '));
  assert.deepEqual(sections.map((l) => l.split(' ')[0]), ['Topology', 'Policies', 'Security', 'Faults', 'Expectations']);
  assert.match(r.stdout, /^ {2}client \(the load generator\) sends \/ to gateway at /m);
  assert.match(r.stdout, /^ {4}Timeout and retries: .*'s sidecar retries /m);
  assert.match(r.stdout, /^ {2}1\. .*\n {5}checks that /m);
  // --duration shows the compressed timeline a run with the same option would use.
  const short = await runCli(['explain', 'scenarios/quickstart.yaml', '--duration', '5s'], { timeoutMs: 20_000 });
  assert.equal(short.code, 0, short.stderr);
  assert.match(short.stdout, / · 5s run · /);
});

test('list shows each shipped scenario with its description', async () => {
  const r = await runCli(['list'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /scenarios\/quickstart\.yaml\s+Gateway → checkout/);
  assert.equal(r.stdout.trim().split('\n').length, readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).length);
});

test('an unknown command or option exits 2 with what is valid', async () => {
  const a = await runCli(['frobnicate'], { timeoutMs: 20_000 });
  assert.equal(a.code, 2);
  assert.match(a.stderr, /unknown command "frobnicate" \(commands: run, prove, validate, explain, import, export, list, init, report, toxiproxy, help\)/);
  const b = await runCli(['run', 'scenarios/quickstart.yaml', '--bogus'], { timeoutMs: 20_000 });
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--bogus/);
});

test('Ctrl-C mid-run: exit 130 after cleanup, and what was measured is still reported', { timeout: 60_000 }, async () => {
  const reports = join(tmp, 'interrupted');
  let out = '';
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--reports', reports], {
    timeoutMs: 40_000,
    onStdout: (chunk, child) => {
      out += chunk;
      // Interrupt once the load has produced two seconds of data.
      if (/second +2:/.test(out) && !child.killed) child.kill('SIGINT');
    },
  });
  assert.equal(r.code, 130, r.stdout + r.stderr);
  const [folder] = readdirSync(reports);
  const result = JSON.parse(readFileSync(join(reports, folder, 'result.json'), 'utf8')) as RunResult;
  assert.match(result.error ?? '', /interrupted/);
  assert.ok(result.load.requests > 0, 'requests made before the interrupt are kept');
  assert.deepEqual(processesOfRun(result.runId), []);
});

test('a crashed harness (SIGKILL) leaves no process behind', { timeout: 60_000 }, async () => {
  let runId = '';
  let out = '';
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--no-report'], {
    timeoutMs: 40_000,
    onStdout: (chunk, child) => {
      out += chunk;
      runId ||= /\(run ([\w-]+)\)/.exec(out)?.[1] ?? '';
      if (/topology ready/.test(out) && !child.killed) child.kill('SIGKILL');
    },
  });
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(runId, out);
  // Children notice their parent's IPC channel close and exit on their own.
  await waitFor(() => (processesOfRun(runId).length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, describe: () => `no process of the run left (left: ${processesOfRun(runId).join(', ')})` });
});

test('output larger than a pipe holds reaches a slow reader whole before the CLI exits', async () => {
  // explain of 900 expectations is ~180 KB: more than a pipe's buffer. The reader here waits 1.5 s
  // before it reads anything (or until the CLI has exited), so the CLI must wait for the pipe to
  // drain before exiting — it used to exit at once and the reader got the first 128 KB.
  const lines = ['version: 1', 'name: long-explain', 'description: many expectations', 'duration: 5s', 'services:', '  a: { calls: [b] }', '  b: {}', 'load: { target: a, rate: 10/s }', 'expect:'];
  for (let i = 0; i < 900; i++) lines.push(`  - success_rate(a -> b) >= ${50 + (i % 50)}%`);
  const file = join(tmp, 'long-explain.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  const outFile = join(tmp, 'long-explain.txt');
  const shell = spawn('sh', ['-c', '"$0" "$1" explain "$2" | (sleep 1.5; cat > "$3")', process.execPath, CLI, file, outFile], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => shell.on('exit', (c) => resolve(c)));
  assert.equal(code, 0);
  const out = readFileSync(outFile, 'utf8');
  assert.ok(out.length > 150_000, `the whole explanation arrived: ${out.length} characters`);
  assert.match(out, /900\. success_rate\(a -> b\) >= 99%/);
});
