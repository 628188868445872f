import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { BootGate } from '../../../src/runtime/local/boot-gate.ts';

/** A start the test finishes by hand, recording when it began. */
function manualStart(log: string[], name: string) {
  let finish!: (v: string) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    start: () => {
      log.push(`start ${name}`);
      return done;
    },
    finish: () => finish(name),
    fail: (e: Error) => fail(e),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BootGate', () => {
  test('admits at most `limit` starts at once and the next one as soon as one ends', async () => {
    const gate = new BootGate(2);
    const log: string[] = [];
    // A first start of kind k ends at once, so the others of k are only held by the limit.
    await gate.run('k', async () => 'warm');
    const s = ['a', 'b', 'c', 'd'].map((n) => manualStart(log, n));
    const results = s.map((x) => gate.run('k', x.start));
    await tick();
    assert.deepEqual(log, ['start a', 'start b']);
    s[1].finish();
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start c']);
    s[0].finish();
    s[2].finish();
    await tick();
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'start d']);
    s[3].finish();
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  });

  test('the first start of a kind runs before any other of that kind; other kinds go on meanwhile', async () => {
    const gate = new BootGate(8);
    const log: string[] = [];
    const first = manualStart(log, 'sidecar-1');
    const second = manualStart(log, 'sidecar-2');
    const app = manualStart(log, 'app-1');
    const p1 = gate.run('sidecar', first.start);
    const p2 = gate.run('sidecar', second.start);
    const p3 = gate.run('app', app.start);
    await tick();
    assert.deepEqual(log, ['start sidecar-1', 'start app-1']);
    first.finish();
    await tick();
    await tick();
    assert.deepEqual(log, ['start sidecar-1', 'start app-1', 'start sidecar-2']);
    second.finish();
    app.finish();
    assert.deepEqual(await Promise.all([p1, p2, p3]), ['sidecar-1', 'sidecar-2', 'app-1']);
  });

  test('a failed first start releases the others of its kind (the run then stops them itself)', async () => {
    const gate = new BootGate(4);
    const log: string[] = [];
    const first = manualStart(log, 'one');
    const p1 = gate.run('k', first.start);
    const p2 = gate.run('k', async () => 'two');
    first.fail(new Error('boom'));
    await assert.rejects(p1, /boom/);
    assert.equal(await p2, 'two');
  });

  test('an abort rejects a start still waiting for its turn and frees its place in the queue', async () => {
    const gate = new BootGate(1);
    const log: string[] = [];
    await gate.run('k', async () => 'warm');
    const holder = manualStart(log, 'holder');
    const held = gate.run('k', holder.start);
    const abort = new AbortController();
    let ran = false;
    const waiting = gate.run(
      'k',
      async () => {
        ran = true;
        return 'x';
      },
      abort.signal,
    );
    const after = manualStart(log, 'after');
    const later = gate.run('k', after.start);
    await tick();
    abort.abort();
    await assert.rejects(waiting, (e: Error & { code?: string }) => e.code === 'MESHPROOF_RUNTIME_START_FAILED' && /interrupted/.test(e.message));
    holder.finish();
    await held;
    await tick();
    assert.equal(ran, false);
    assert.deepEqual(log, ['start holder', 'start after']);
    after.finish();
    assert.equal(await later, 'after');
    await assert.rejects(gate.run('k', async () => 'y', abort.signal), /interrupted/);
  });

  test('a limit below 1 is refused', () => {
    assert.throws(() => new BootGate(0), RangeError);
    assert.throws(() => new BootGate(Number.NaN), RangeError);
  });
});

test('an unlimited gate starts everything at once and in no order (the runtime before the gate)', async () => {
  const gate = new BootGate(Infinity);
  const log: string[] = [];
  const s = ['a', 'b', 'c'].map((n) => manualStart(log, n));
  const results = s.map((x) => gate.run('k', x.start));
  await tick();
  assert.deepEqual(log, ['start a', 'start b', 'start c']);
  for (const x of s) x.finish();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c']);
});

test('with a warm compile cache the first of a kind waits for nobody and nobody waits for it', async () => {
  const gate = new BootGate(8, { firstOfKindFirst: false });
  const log: string[] = [];
  const s = ['a', 'b'].map((n) => manualStart(log, n));
  const results = s.map((x) => gate.run('k', x.start));
  await tick();
  assert.deepEqual(log, ['start a', 'start b']);
  for (const x of s) x.finish();
  await Promise.all(results);
});
