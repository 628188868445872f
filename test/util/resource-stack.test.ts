import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ResourceStack } from '../../src/util/resource-stack.ts';

describe('ResourceStack', () => {
  test('releases what it holds last taken first, async and sync disposables and deferred work alike', async () => {
    const released: string[] = [];
    const held = new ResourceStack();
    const a = held.use({ async [Symbol.asyncDispose]() { await Promise.resolve(); released.push('a'); } });
    held.use({ [Symbol.dispose]() { released.push('b'); } });
    const c = held.adopt({ name: 'c' }, (v) => released.push(v.name));
    held.defer(() => released.push('d'));
    assert.equal(c.name, 'c');
    assert.equal(typeof a[Symbol.asyncDispose], 'function');
    assert.equal(held.disposed, false);
    await held.disposeAsync();
    assert.deepEqual(released, ['d', 'c', 'b', 'a']);
    assert.equal(held.disposed, true);
    await held[Symbol.asyncDispose]();
    assert.deepEqual(released, ['d', 'c', 'b', 'a'], 'a second dispose releases nothing again');
  });

  test('every release runs when one fails; one failure is thrown as it is, several together', async () => {
    const released: string[] = [];
    const one = new ResourceStack();
    one.defer(() => released.push('first taken'));
    one.defer(() => { throw new Error('boom'); });
    one.defer(async () => released.push('last taken'));
    await assert.rejects(one.disposeAsync(), /^Error: boom$/);
    assert.deepEqual(released, ['last taken', 'first taken']);

    const two = new ResourceStack();
    two.defer(async () => { throw new Error('x'); });
    two.defer(() => { throw new Error('y'); });
    await assert.rejects(two.disposeAsync(), (err: unknown) => err instanceof AggregateError && err.errors.map((e: Error) => e.message).join() === 'y,x');
  });

  test('null and undefined are held as nothing; a value that is not disposable is refused at once', async () => {
    const held = new ResourceStack();
    assert.equal(held.use(null), null);
    assert.equal(held.use(undefined), undefined);
    assert.throws(() => held.use({} as Disposable), TypeError);
    await held.disposeAsync();
  });

  test('move hands everything to a new stack; a disposed stack takes nothing more', async () => {
    const released: string[] = [];
    const held = new ResourceStack();
    held.defer(() => released.push('x'));
    const moved = held.move();
    assert.equal(held.disposed, true);
    await held.disposeAsync();
    assert.deepEqual(released, [], 'the old stack holds nothing');
    assert.throws(() => held.defer(() => {}), ReferenceError);
    await moved.disposeAsync();
    assert.deepEqual(released, ['x']);
  });
});
