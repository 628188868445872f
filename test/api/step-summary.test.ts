import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, test } from 'vitest';
import { appendStepSummary } from '../../src/api/step-summary.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-step-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('appends to $GITHUB_STEP_SUMMARY, one run after the other', async () => {
  const file = join(tmp, 'summary');
  writeFileSync(file, '# earlier step output\n');
  assert.equal(await appendStepSummary('## run 1\n', { GITHUB_STEP_SUMMARY: file }), file);
  await appendStepSummary('## run 2', { GITHUB_STEP_SUMMARY: file });
  assert.equal(readFileSync(file, 'utf8'), '# earlier step output\n## run 1\n\n## run 2\n\n');
});

test('nothing when unset or empty', async () => {
  assert.equal(await appendStepSummary('x', {}), null);
  assert.equal(await appendStepSummary('x', { GITHUB_STEP_SUMMARY: '' }), null);
});

test('a file that cannot be written is a report error naming it', async () => {
  await assert.rejects(appendStepSummary('x', { GITHUB_STEP_SUMMARY: join(tmp, 'no', 'such', 'dir', 'f') }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'MESHPROOF_REPORT_FAILED');
    assert.match(e.message, /GITHUB_STEP_SUMMARY \(.*no\/such\/dir\/f\)/);
    return true;
  });
});
