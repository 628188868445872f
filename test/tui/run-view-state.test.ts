import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/events.ts';
import { clientRow } from '../../src/tui/components/header.ts';
import { checkView } from '../../src/tui/state/live-check.ts';
import { initialState, LOG_CAPACITY, progress, reduce, withNow, type RunViewState } from '../../src/tui/state/run-view-state.ts';
import { clientFigures, edgeFigures, faultTimeline, instanceFigures, serviceFigures } from '../../src/tui/state/selectors.ts';
import { honestyOf } from '../helpers/load-honesty.ts';
import { outlierScenario, scriptedEnd, scriptedRun, T0 } from './fixtures.ts';
import { ejected, ejectionSkipped, healthCheckFailed, retryBudgetOverflow } from '../helpers/mesh-events.ts';

function run(events: readonly RunEvent[], from: RunViewState = initialState(outlierScenario())): RunViewState {
  return events.reduce((s, e) => reduce(s, e), from);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const checks = (s: RunViewState) => s.checklist.map((c) => checkView(s, c));

describe('initialState', () => {
  it('draws the topology, the fault schedule and a pending checklist from the scenario alone', () => {
    const s = initialState(outlierScenario());
    assert.deepEqual(s.services.map((x) => [x.name, x.instances, x.callers]), [
      ['gateway', ['gateway-0'], ['client']],
      ['checkout', ['checkout-0'], ['gateway']],
      ['payments', ['payments-0', 'payments-1', 'payments-2'], ['checkout']],
    ]);
    assert.deepEqual(Object.values(s.instances).map((i) => i.status), ['starting', 'starting', 'starting', 'starting', 'starting']);
    assert.deepEqual(s.edges.map((e) => e.key), ['edge:client->gateway', 'edge:gateway->checkout', 'edge:checkout->payments']);
    assert.deepEqual(s.edges[2].upstreamKeys, ['upstream:checkout->payments-0', 'upstream:checkout->payments-1', 'upstream:checkout->payments-2']);
    assert.deepEqual(s.faults.map((f) => [f.name, f.status, f.target, f.action]), [
      ['p1-errors', 'scheduled', 'payments-1', 'abort 503 (100%)'],
      ['p2-slow', 'scheduled', 'checkout -> payments-2', 'latency 300'],
      ['p0-crash', 'scheduled', 'payments-0', 'kill, restart after 4s'],
    ]);
    assert.deepEqual(checks(s).map((c) => c.status), ['pending', 'pending', 'pending', 'pending', 'pending']);
    assert.equal(s.phase, 'starting');
    assert.deepEqual(progress(s), { elapsedMs: 0, durationMs: 30000, fraction: 0 });
  });

  it('a scenario normalised without faults has none', () => {
    const sc = { ...outlierScenario(), faults: undefined as unknown as [] };
    assert.deepEqual(initialState(sc).faults, []);
  });
});

describe('reduce', () => {
  it('is pure: the state it is given is never changed', () => {
    let s = deepFreeze(initialState(outlierScenario()));
    for (const e of [...scriptedRun(8), ...scriptedEnd(outlierScenario())]) s = deepFreeze(reduce(s, e));
    assert.equal(s.phase, 'done');
  });

  it('follows the run through its phases and knows the start of the load', () => {
    const events = scriptedRun(0);
    const phases = events.map((_, k) => run(events.slice(0, k + 1)).phase);
    assert.equal(phases[0], 'starting');
    assert.ok(phases.includes('ready'));
    const s = run(events);
    assert.equal(s.phase, 'load');
    assert.equal(s.t0, T0);
    assert.equal(s.runId, 'abc123');
    assert.deepEqual(Object.values(s.instances).map((i) => i.status), ['healthy', 'healthy', 'healthy', 'healthy', 'healthy']);
    const end = run(scriptedEnd(outlierScenario()), s);
    assert.equal(end.phase, 'done');
    assert.deepEqual(end.result, { passed: false, outcome: 'failed', reportDir: 'reports/20260101-payments-outlier-ejection' });
    assert.equal(end.stopped, 11);
  });

  it('an ejection reported by a caller sidecar: the instance is ejected, by whom and why; the log says it with the cause', () => {
    const s = run(scriptedRun(6));
    const p1 = s.instances['payments-1'];
    assert.equal(p1.status, 'ejected');
    assert.equal(p1.reason, 'payments-1 ejected: 5 consecutive 5xx (last 503), outlierDetection.consecutive5xx = 5; for 10s (ejection 1)');
    assert.deepEqual(Object.keys(p1.ejectedBy), ['checkout-0']);
    assert.equal(p1.since, T0 + 5400);
    const line = s.log.find((l) => l.text.startsWith('payments-1 ejected'));
    assert.ok(line, 'log line for the ejection');
    assert.equal(line.by, 'checkout-0');
    assert.equal(line.tone, 'warn');
    assert.ok(line.subjects.includes('payments-1') && line.subjects.includes('payments'));
    assert.match(line.text, /outlierDetection\.consecutive5xx = 5/);
  });

  it('the ejection ends: healthy again, and every change is in its history', () => {
    const s = run(scriptedRun(17));
    const p1 = s.instances['payments-1'];
    assert.equal(p1.status, 'healthy');
    assert.deepEqual(p1.history.map((x) => x.status), ['healthy', 'ejected', 'healthy']);
    assert.ok(s.log.some((l) => l.text === 'payments-1 back in payments after 10s: its ejection time is over' && l.tone === 'ok'));
  });

  it('an ejection skipped over maxEjectionPercent is a log line, not an ejection', () => {
    const s = run([
      ...scriptedRun(1),
      { type: 'sidecar-event', at: T0 + 1500, event: ejectionSkipped(T0 + 1500, 'checkout-0', 'payments-2') },
    ]);
    assert.equal(s.instances['payments-2'].status, 'healthy');
    const line = s.log[s.log.length - 1];
    assert.match(line.text, /not ejected despite/);
    assert.equal(line.tone, 'warn');
    assert.ok(line.subjects.includes('payments-2'));
  });

  it('process states from the harness come first: killed, then healthy on restart', () => {
    const base = run(scriptedRun(2));
    const killed = reduce(base, { type: 'instance-state', at: T0 + 2000, instance: 'payments-0', state: 'killed', reason: 'SIGKILL sent to payments-0 (pid 4242) by fault p0-crash' });
    assert.equal(killed.instances['payments-0'].status, 'killed');
    assert.match(killed.log[killed.log.length - 1].text, /^payments-0 killed: SIGKILL sent/);
    assert.equal(killed.log[killed.log.length - 1].tone, 'bad');
    // An ejection while killed does not hide that it is killed.
    const both = reduce(killed, { type: 'sidecar-event', at: T0 + 2100, event: ejected(T0 + 2100, 'checkout-0', 'payments-0') });
    assert.equal(both.instances['payments-0'].status, 'killed');
    const restarted = reduce(both, { type: 'instance-state', at: T0 + 6000, instance: 'payments-0', state: 'healthy', reason: 'restarted after 4s' });
    assert.equal(restarted.instances['payments-0'].status, 'ejected', 'still ejected by checkout-0 until it says otherwise');
    const paused = reduce(base, { type: 'instance-state', at: T0 + 2000, instance: 'payments-2', state: 'paused', reason: 'SIGSTOP' });
    assert.equal(paused.instances['payments-2'].status, 'paused');
    const down = reduce(base, { type: 'instance-down', at: T0 + 2000, instance: 'gateway-0', reason: 'app exited (code 1, signal null)' });
    assert.equal(down.instances['gateway-0'].status, 'down');
    assert.equal(down.instances['gateway-0'].reason, 'app exited (code 1, signal null)');
  });

  it('the engine may report ejections and health itself (instance-state ejected / unhealthy)', () => {
    const base = run(scriptedRun(1));
    const e = reduce(base, { type: 'instance-state', at: T0 + 1200, instance: 'payments-1', state: 'ejected', reason: 'ejected by checkout-0' });
    assert.equal(e.instances['payments-1'].status, 'ejected');
    assert.equal(reduce(e, { type: 'instance-state', at: T0 + 1300, instance: 'payments-1', state: 'healthy', reason: 'back' }).instances['payments-1'].status, 'healthy');
    const hc = reduce(base, { type: 'sidecar-event', at: T0 + 1200, event: healthCheckFailed(T0 + 1200, 'checkout-0', 'payments-2') });
    assert.equal(hc.instances['payments-2'].status, 'unhealthy');
  });

  it('the fault timeline: what is active now and what comes next', () => {
    const at3 = run(scriptedRun(3));
    assert.deepEqual(faultTimeline(at3).active, []);
    assert.equal(faultTimeline(at3).next?.name, 'p1-errors');
    const at9 = run(scriptedRun(9));
    assert.deepEqual(faultTimeline(at9).active.map((f) => f.name), ['p1-errors', 'p2-slow']);
    assert.equal(faultTimeline(at9).next?.name, 'p0-crash');
    assert.equal(at9.faults[0].detail, 'payments-1 inbound answers 503 to 100% of requests');
    assert.ok(at9.log.some((l) => l.tone === 'fault' && l.text === 'fault p1-errors started: payments-1 inbound answers 503 to 100% of requests'));
    const at15 = run(scriptedRun(15));
    assert.deepEqual(faultTimeline(at15).ended.map((f) => f.name), ['p2-slow']);
    assert.equal(at15.faults[1].detail, 'latency 300ms on the link checkout-0 → payments-2; latency toxic removed');
  });

  it('live figures: client from ticks, services and instances from live-stats, edges effective vs actual', () => {
    const s = run(scriptedRun(6));
    assert.deepEqual(clientFigures(s), { rps: 200, errorRate: 0, p99: 19, retries: 0, flags: {} });
    assert.equal(s.totals.requests, 1200);
    const payments = serviceFigures(s, s.services[2])!;
    assert.equal(payments.rps, 205);
    assert.ok(Math.abs(payments.errorRate - 67 / 205) < 1e-9);
    const edge = edgeFigures(s, s.edges[2])!;
    assert.equal(edge.rps, 200);
    assert.equal(edge.retries, 5);
    assert.equal(edge.actualRps, 205);
    assert.ok(Math.abs(edge.actualErrorRate! - 67 / 205) < 1e-9);
    // Second 6: payments-1 is ejected, so its series is absent from the live stats: 0 rps, not unknown.
    const later = run(scriptedRun(7));
    assert.deepEqual(instanceFigures(later, 'payments-1'), { rps: 0, errorRate: 0, p99: NaN, retries: 0, flags: {} });
    // Before any live stats: unknown.
    assert.equal(instanceFigures(run(scriptedRun(0)), 'payments-1'), null);
  });

  it("the load's own account: sent and dropped add up per tick; at the end, how faithfully it was delivered", () => {
    const s = run([...scriptedRun(3), { type: 'tick', at: T0 + 4020, second: 3, rps: 150, ok: 150, errors: 0, p99: 900, sent: 150, dropped: 50, latenessMaxMs: 2.5 }]);
    assert.deepEqual([s.load.sent, s.load.dropped, s.load.latenessMaxMs], [750, 50, 2.5]);
    assert.deepEqual(s.load.last, { second: 3, sent: 150, dropped: 50, latenessMaxMs: 2.5 });
    const short = honestyOf({ rate: 200, seconds: 4, cap: 20, dropEvery: 4 });
    const done = reduce(s, { type: 'load-finished', at: T0 + 4500, requests: 600, errors: 0, honesty: short });
    assert.equal(done.load.honesty, short);
    assert.equal(done.load.dropped, 200);
    const line = done.log[done.log.length - 1];
    assert.equal(line.tone, 'warn');
    assert.match(line.text, /^load delivered: 150\/s of 200\/s \(75% of the intended requests sent\), 200 dropped \(200 at the cap, 0 late\), .* — short of the declared load: 200 dropped/);
    const fine = reduce(s, { type: 'load-finished', at: T0 + 4500, requests: 800, errors: 0, honesty: honestyOf({ rate: 200, seconds: 4 }) });
    assert.equal(fine.log[fine.log.length - 1].tone, 'info');
  });

  it('a closed-loop load has no target rate: the header and the log say closed loop', () => {
    const sc = outlierScenario();
    const closed = { ...sc, load: { ...sc.load, model: 'closed' as const, rate: null, phases: [], connections: 12 } };
    const s0 = initialState(closed);
    assert.deepEqual([s0.scenario.targetRate, s0.scenario.connections], [null, 12]);
    assert.match(clientRow(s0, 100).map((x) => x.text).join(''), /closed loop, 12 in flight → gateway/);
    const s = reduce(s0, { type: 'load-started', at: T0, t0: T0, rate: null, arrivals: null, connections: 12, durationMs: 30_000 });
    assert.equal(s.log[s.log.length - 1].text, 'load started: closed loop to gateway, 12 requests in flight, for 30s');
    assert.doesNotMatch(clientRow(reduce(s, scriptedRun(1)[scriptedRun(1).length - 2]), 100).map((x) => x.text).join(''), /dropped/);
  });

  it('the checklist settles: pending, holding from live figures, then held / broken with the measured value', () => {
    const sc = outlierScenario();
    const early = checks(run(scriptedRun(3)));
    assert.deepEqual(early.map((c) => c.status), ['holding', 'holding', 'holding', 'pending', 'pending']);
    assert.equal(early[0].value, '100%');
    const mid = checks(run(scriptedRun(10)));
    assert.equal(mid[3].status, 'holding', 'ejected 0.4s after p1-errors started, within 2s');
    assert.equal(mid[3].value, '400ms');
    assert.equal(mid[4].status, 'holding', 'no tries to payments-1 from 8s (p1-errors + 3s)');
    assert.equal(mid[4].value, '0');
    const done = checks(run(scriptedEnd(sc), run(scriptedRun(30))));
    assert.deepEqual(done.map((c) => c.status), ['held', 'held', 'broken', 'held', 'held']);
    assert.equal(done[2].value, '312ms');
    assert.match(done[2].note, /needed < 250ms/);
    assert.equal(done[0].value, '100%');
  });

  it('an expectation at risk shows what was measured so far', () => {
    const s = run([
      ...scriptedRun(2),
      { type: 'tick', at: T0 + 3020, second: 2, rps: 200, ok: 180, errors: 20, p99: 90, sent: 200, dropped: 0, latenessMaxMs: 0.3 },
    ]);
    const c = checks(s)[0];
    assert.equal(c.status, 'at-risk');
    assert.equal(c.value, '96.67%');
    assert.match(c.note, /so far; needs >= 99\.5%/);
  });

  it('the same line from several sidecars within 2s is counted, not repeated; setup chatter is left out', () => {
    const ej = (at: number, by: string): RunEvent => ({ type: 'sidecar-event', at, event: ejected(at, by, 'payments-1') });
    const s = run([...scriptedRun(1), ej(T0 + 1000, 'checkout-0'), ej(T0 + 1500, 'checkout-1')]);
    const lines = s.log.filter((l) => l.text.startsWith('payments-1 ejected: 5 consecutive 5xx'));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].count, 2);
    assert.ok(!s.log.some((l) => l.text.startsWith('config v1')));
  });

  it('the log is bounded', () => {
    let s = run(scriptedRun(0));
    for (let i = 0; i < LOG_CAPACITY + 50; i++) {
      s = reduce(s, { type: 'sidecar-event', at: T0 + i * 3000, event: retryBudgetOverflow(T0 + i * 3000, 'checkout-0', 'payments', i, i) });
    }
    assert.equal(s.log.length, LOG_CAPACITY);
    assert.match(s.log[s.log.length - 1].text, new RegExp(`^${LOG_CAPACITY + 49} retries to payments refused by the retry budget`));
  });

  it('progress moves with the clock between events, and is full once the load is over', () => {
    const s = run(scriptedRun(0));
    assert.equal(progress(withNow(s, T0 + 7500)).elapsedMs, 7500);
    assert.equal(progress(withNow(s, T0 + 99_000)).elapsedMs, 30000);
    assert.equal(withNow(s, T0 - 10), s, 'the clock never goes back');
    const finished = reduce(s, { type: 'load-finished', at: T0 + 12_000, requests: 10, errors: 0, honesty: honestyOf({ rate: 200, seconds: 1 }) });
    assert.equal(progress(finished).fraction, 1);
  });

  it('a verdict on an expectation the scenario did not list is still shown', () => {
    const s = run(scriptedRun(0));
    const e = outlierScenario().expect[0];
    const odd = { ...e, text: 'rps(client) >= 1/s' };
    const next = reduce(s, { type: 'expectation-settled', at: T0, verdict: { expectation: odd, status: 'held', measured: 5, window: { fromMs: 0, toMs: 1 }, evidence: {}, explanation: 'ok' } });
    assert.equal(next.checklist.length, s.checklist.length + 1);
  });
});
