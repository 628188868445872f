import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/util/clock.ts';
import { seededRandom } from '../../../src/util/random.ts';
import { CoalescingReporter, EventLog } from '../../../src/sim/sidecar/event-log.ts';
import { compose, type Filter } from '../../../src/sim/sidecar/filter.ts';
import { Flag, flagsToList, flagsToString } from '../../../src/sim/sidecar/flags.ts';
import { copyRawHeaders, hostWithoutPort, OUTBOUND_REQUEST_OWN } from '../../../src/sim/sidecar/headers.ts';
import { formatTraceparent, newRequestId, newSpanId, newTraceId, parseTraceparent } from '../../../src/contract/trace-context.ts';
import { clusterOf } from '../../../src/contract/mesh-event.ts';
import type { Exchange } from '../../../src/sim/sidecar/exchange.ts';

describe('response flags', () => {
  it('render in Envoy order, comma separated; empty for none', () => {
    assert.equal(flagsToString(0), '');
    assert.equal(flagsToString(Flag.URX | Flag.UT), 'UT,URX');
    assert.equal(flagsToString(Flag.URX | Flag.UO | Flag.UF), 'UF,UO,URX');
    assert.deepEqual(flagsToList(Flag.NR), ['NR']);
    assert.equal(flagsToList(Flag.UC), flagsToList(Flag.UC), 'lists are cached and shared');
  });
});

describe('W3C trace context', () => {
  it('parses a valid traceparent and refuses malformed ones', () => {
    assert.deepEqual(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), { traceId: '0af7651916cd43dd8448eb211c80319c', parentId: 'b7ad6b7169203331', flags: '01' });
    for (const bad of [
      undefined,
      '',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    ]) {
      assert.equal(parseTraceparent(bad), null, String(bad));
    }
    assert.ok(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future'), 'a future version may carry more fields');
  });

  it('makes ids of the right shape from the seeded random, the same for the same seed', () => {
    const r = seededRandom(4);
    const trace = newTraceId(r);
    const span = newSpanId(r);
    assert.match(formatTraceparent(trace, span, '01'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.ok(parseTraceparent(formatTraceparent(trace, span, '01')));
    assert.match(newRequestId(r), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(newTraceId(seededRandom(9)), newTraceId(seededRandom(9)));
  });
});

describe('headers', () => {
  it('copies raw headers without hop-by-hop ones and the ones the sidecar sets, any case', () => {
    const raw = ['Host', 'payments', 'Connection', 'keep-alive', 'X-Request-Id', 'a', 'Content-Length', '3', 'x-keep', '1', 'TE', 'trailers'];
    assert.deepEqual(copyRawHeaders(raw, OUTBOUND_REQUEST_OWN), ['Host', 'payments', 'x-keep', '1']);
  });
  it('reads the service from a Host header', () => {
    assert.equal(hostWithoutPort('Payments:8080'), 'payments');
    assert.equal(hostWithoutPort('payments'), 'payments');
  });
});

describe('filter composition (undici-style compose)', () => {
  it('runs filters in the order given, then the terminal handler', () => {
    const order: string[] = [];
    const tag =
      (name: string): Filter =>
      (next) =>
      (ex) => {
        order.push(name);
        next(ex);
      };
    const h = compose(() => order.push('terminal'), [tag('a'), tag('b')]);
    h({} as Exchange);
    assert.deepEqual(order, ['a', 'b', 'terminal']);
  });
  it('a filter can answer without calling next', () => {
    let reached = false;
    const h = compose(() => (reached = true), [() => () => {}]);
    h({} as Exchange);
    assert.equal(reached, false);
  });
  it('rejects a non-function filter at composition, with its position', () => {
    assert.throws(() => compose(() => {}, [(n) => n, 42 as unknown as Filter]), /invalid filter at position 1: expected a function/);
    assert.throws(() => compose(() => {}, [(() => undefined) as unknown as Filter]), /invalid filter at position 0: it returned undefined/);
  });
});

describe('event log', () => {
  it('numbers events from 1 and serves those after a sequence number', () => {
    const log = new EventLog({ instance: 'i', now: () => 1000 });
    for (let i = 0; i < 5; i++) log.emit({ type: 'cluster-removed', data: { cluster: `c${i}` } });
    assert.deepEqual(log.since(0).map((e) => e.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(log.since(3).map((e) => clusterOf(e)), ['c3', 'c4']);
    assert.deepEqual(log.since(5), []);
  });
  it('drops the oldest past its capacity, still answering by sequence number', () => {
    const log = new EventLog({ instance: 'i', now: () => 0, capacity: 3 });
    for (let i = 0; i < 10; i++) log.emit({ type: 'cluster-removed', data: { cluster: `c${i}` } });
    assert.deepEqual(log.since(0).map((e) => e.seq), [8, 9, 10]);
    assert.deepEqual(log.since(8).map((e) => e.seq), [9, 10]);
  });
});

describe('coalescing reporter (at most one overflow event per cluster per second, with the count)', () => {
  it('reports the first hit at once, the burst after it once the second is over, and nothing is lost', () => {
    const clock = new ManualClock();
    const reports: [number, number][] = [];
    const r = new CoalescingReporter({ clock, intervalMs: 1000, report: (n) => reports.push([clock.now(), n]) });
    r.hit();
    assert.deepEqual(reports, [[0, 1]]);
    clock.advance(100);
    for (let i = 0; i < 50; i++) r.hit();
    clock.advance(850);
    assert.equal(reports.length, 1, 'nothing more within the second');
    clock.advance(50);
    assert.deepEqual(reports, [
      [0, 1],
      [1000, 50],
    ]);
    clock.advance(5000);
    r.hit();
    assert.deepEqual(reports.at(-1), [6000, 1], 'after a quiet period the next hit is reported at once');
    r.hit();
    const before = reports.length;
    r.flush();
    assert.equal(reports.length, before + 1, 'flush reports what is pending');
    assert.deepEqual(reports.at(-1), [6000, 1]);
    r.dispose();
    assert.equal(clock.pending(), 0);
  });
});
