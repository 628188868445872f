import assert from 'node:assert/strict';
import { test } from 'vitest';
import { isCI, outputMode } from '../../src/cli/output-mode.ts';

test('the live view only on a terminal, outside CI, without --json or --plain', () => {
  assert.equal(outputMode({ stdoutIsTTY: true, env: {} }), 'live');
  assert.equal(outputMode({ stdoutIsTTY: false, env: {} }), 'plain', 'a pipe or a file');
  assert.equal(outputMode({ stdoutIsTTY: true, env: { CI: 'true' } }), 'plain');
  assert.equal(outputMode({ stdoutIsTTY: true, env: { TERM: 'dumb' } }), 'plain');
  assert.equal(outputMode({ stdoutIsTTY: true, plain: true, env: {} }), 'plain');
  assert.equal(outputMode({ stdoutIsTTY: true, json: true, env: {} }), 'json');
  assert.equal(outputMode({ stdoutIsTTY: false, json: true, env: { CI: '1' } }), 'json');
  // NO_COLOR takes colours away, not the live view: its marks and words say everything without them.
  assert.equal(outputMode({ stdoutIsTTY: true, env: { NO_COLOR: '1' } }), 'live');
});

test('CI is set when it says so', () => {
  for (const v of ['true', '1', 'yes', 'woodpecker']) assert.equal(isCI({ CI: v }), true, v);
  for (const v of [undefined, '', '0', 'false', 'FALSE']) assert.equal(isCI({ CI: v }), false, String(v));
});
