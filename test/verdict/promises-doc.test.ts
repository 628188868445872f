// docs/verdicts-on-a-busy-machine.md says the thresholds; they are written once, in the defaults table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { PROMISE_THRESHOLDS } from '../../src/contract/defaults.ts';

test('the thresholds in the docs are those of PROMISE_THRESHOLDS, every one of them', () => {
  const doc = readFileSync(new URL('../../docs/verdicts-on-a-busy-machine.md', import.meta.url), 'utf8');
  const table = doc.match(/<!-- thresholds:start -->\n([\s\S]*?)<!-- thresholds:end -->/)![1];
  const shown = Object.fromEntries([...table.matchAll(/^\| `(\w+)` \| ([\d.]+) \|/gm)].map((m) => [m[1], Number(m[2])]));
  assert.deepEqual(shown, { ...PROMISE_THRESHOLDS });
});
