// The kernel's account of how long this thread has waited for a core: what tells a stall the
// machine caused from one the thread caused itself (bench/arrival-judgment.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { RunqueueWait } from '../../src/util/runqueue-wait.ts';

test('reads the calling thread’s total wait for a core, in ms, never going back', () => {
  const r = RunqueueWait.open();
  // Linux keeps the account (the project's machines and CI are Linux); elsewhere open() says so with null.
  assert.ok(r, 'schedstat is readable on Linux');
  using reader = r;
  const own = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  const first = reader.ms();
  assert.ok(Number.isFinite(first) && first >= own - 1e-6, `${first} ms, the file said ${own} ms`);
  let last = first;
  for (let i = 0; i < 1000; i++) {
    const now = reader.ms();
    assert.ok(now >= last);
    last = now;
  }
});
