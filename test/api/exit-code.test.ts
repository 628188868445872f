// Exit code 3 for an inconclusive scenario; a failure anywhere wins; --strict makes it 1.
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { exitCodeOf, worstExitCode } from '../../src/api/exit-code.ts';

test('inconclusive is 3, or 1 with strict; it ranks below a failure, an error and an interrupt', () => {
  assert.equal(exitCodeOf('inconclusive'), 3);
  assert.equal(exitCodeOf('inconclusive', true), 1);
  assert.equal(exitCodeOf('failed', true), 1);
  assert.equal(exitCodeOf('passed', true), 0);
  const worst = (...codes: number[]) => codes.reduce((a, b) => worstExitCode(a, b), 0);
  assert.equal(worst(0, 3, 0), 3);
  assert.equal(worst(3, 1), 1);
  assert.equal(worst(1, 3), 1);
  assert.equal(worst(3, 2), 2);
  assert.equal(worst(3, 130), 130);
});
