import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/util/clock.ts';
import { effectiveTimeout, expectedTimeout, giveUpAt, parseTimeoutHeader, RequestDeadline } from '../../../src/sim/policy/deadline.ts';

describe('deadline arithmetic', () => {
  it("the expected-timeout header is Envoy's setTimeoutHeaders: per-try if set, else the route timeout, never more than what is left, and 1 when nothing is", () => {
    assert.equal(expectedTimeout(null, Infinity, 0), null, 'no timeout at all: no header');
    assert.equal(expectedTimeout(150, Infinity, 0), 150, 'per-try only');
    assert.equal(expectedTimeout(null, 1000, 0), 1000, 'route timeout only, at its start');
    assert.equal(expectedTimeout(150, 1000, 0), 150, 'per-try shorter than what is left');
    assert.equal(expectedTimeout(150, 1000, 900), 100, 'a late retry gets what is left, not its per-try');
    assert.equal(expectedTimeout(null, 1000, 999.2), 1, 'left 0.8ms: rounded up');
    assert.equal(expectedTimeout(150, 1000, 1200), 1, 'out of time: 1, never 0 (which Envoy reads as "no timeout")');
  });

  it("a hop's timeout is the lesser of its own and the caller's, and says which decided", () => {
    assert.deepEqual(effectiveTimeout(2000, 300), { ms: 300, fromDeadline: true });
    assert.deepEqual(effectiveTimeout(200, 300), { ms: 200, fromDeadline: false }, 'a deadline never lengthens a timeout (Envoy would replace it)');
    assert.deepEqual(effectiveTimeout(null, 300), { ms: 300, fromDeadline: true }, 'no timeout of its own: the deadline is the only one');
    assert.deepEqual(effectiveTimeout(2000, null), { ms: 2000, fromDeadline: false });
    assert.deepEqual(effectiveTimeout(null, null), { ms: null, fromDeadline: false });
    assert.deepEqual(effectiveTimeout(300, 300), { ms: 300, fromDeadline: false }, 'a tie is the hop\'s own timeout');
  });

  it('header values: whole ms only; anything else is as if absent (Envoy\'s SimpleAtoi)', () => {
    assert.equal(parseTimeoutHeader('250'), 250);
    assert.equal(parseTimeoutHeader('0'), 0);
    for (const bad of [undefined, '', '-5', '1.5', '12ms', ' 7', '1e3', '9'.repeat(16)]) assert.equal(parseTimeoutHeader(bad), null, JSON.stringify(bad));
  });

  it('the give-up time is the earliest any caller stops waiting', () => {
    assert.equal(giveUpAt(null, 10_000, null), null);
    assert.equal(giveUpAt(null, 10_000, 300), 10_300);
    assert.equal(giveUpAt(10_200, 10_000, 300), 10_200, 'a caller up the chain gives up first');
    assert.equal(giveUpAt(10_500, 10_000, 300), 10_300, 'this hop gives up first');
    assert.equal(giveUpAt(10_500, 10_000, null), 10_500);
  });

  it('three hops on one hand-driven clock: each hop gets what is left, and the deepest stops at the first caller\'s deadline', () => {
    const clock = new ManualClock();
    const epoch0 = 1_700_000_000_000;
    const epoch = () => epoch0 + clock.now();

    // Hop 1: the client's sidecar toward front, timeout 1s, per-try 600ms. The try leaves at t=0.
    const a = effectiveTimeout(1000, null);
    const aDeadline = clock.now() + a.ms!;
    const toFront = expectedTimeout(600, aDeadline, clock.now());
    assert.equal(toFront, 600, 'the per-try is what front may assume');
    const giveUp1 = giveUpAt(null, epoch(), toFront);
    assert.equal(giveUp1, epoch0 + 600);

    // Front's inbound: the request arrives 4ms later; its deadline counts from there.
    clock.advance(4);
    const front = RequestDeadline.fromHeader(toFront, clock.now());
    assert.equal(front.at, 604);
    // Front's app works 250ms, then calls store with what is left.
    clock.advance(250);
    const fromFrontApp = front.header(clock.now());
    assert.equal(fromFrontApp, 350);
    // Front's sidecar toward store: its own timeout is 2s; the deadline is shorter and wins.
    const b = effectiveTimeout(2000, fromFrontApp);
    assert.deepEqual(b, { ms: 350, fromDeadline: true });
    const bDeadline = clock.now() + b.ms!;
    const toStore = expectedTimeout(null, bDeadline, clock.now());
    assert.equal(toStore, 350);
    assert.equal(giveUpAt(giveUp1, epoch(), toStore), epoch0 + 600, "front's own give-up is no earlier than the client's");

    // Store's inbound, 3ms later; store's app then calls db after 100ms.
    clock.advance(3);
    const store = RequestDeadline.fromHeader(toStore, clock.now());
    assert.equal(store.at, 607, 'transit times are not subtracted (as in gRPC): 3ms more than the first caller');
    clock.advance(100);
    const toDb = store.header(clock.now());
    assert.equal(toDb, 250);
    const c = effectiveTimeout(5000, toDb);
    assert.equal(c.ms, 250);
    assert.equal(c.fromDeadline, true);

    // Db's inbound, 3ms later: a 1s job must stop when the deadline passes.
    clock.advance(3);
    const db = RequestDeadline.fromHeader(expectedTimeout(null, clock.now() - 3 + c.ms!, clock.now() - 3), clock.now());
    let stoppedAt: number | null = null;
    clock.setTimeout(() => (stoppedAt = clock.now()), Math.min(1000, db.remaining(clock.now())));
    clock.advance(2000);
    assert.equal(stoppedAt, 610, 'db stops 1s of work at its deadline: 10ms after the client gave up, the transit of its three hops (4 + 3 + 3ms)');
    assert.ok(db.passed(610));
    assert.ok(!db.passed(609.9));
    assert.equal(db.remaining(700), 0);
  });

  it('a request without a deadline never passes one', () => {
    const d = RequestDeadline.none();
    assert.equal(d.known, false);
    assert.equal(d.passed(1e12), false);
    assert.equal(d.remaining(5), Infinity);
    assert.equal(d.header(5), null);
  });
});
