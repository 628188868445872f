// `--strict` is an option of run, and the help says what exit code 3 means beside the others.
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { runCli } from '../helpers/cli.ts';

test('the help documents exit code 3 beside 0/1/2/130, and --strict', async () => {
  const r = await runCli(['help'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0);
  const help = r.stdout + r.stderr;
  assert.match(help, /--strict\s+an inconclusive verdict fails the run \(exit 1 instead of 3\)/);
  assert.match(help, /Exit codes: 0 every expectation held · 1 an expectation failed · 2 invalid scenario or the run\s+could not happen · 3 inconclusive: none failed, but the harness broke a promise a verdict depends\s+on .* · 130 interrupted/s);
});

test('run takes --strict (an invalid scenario is still exit 2, with nothing started)', async () => {
  const r = await runCli(['run', '--strict', 'scenarios/no-such-file.yaml'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /strict/);
});
