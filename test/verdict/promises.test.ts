// The harness's promises decide which verdicts stand: an expectation that depends on one that was
// broken is inconclusive with the reasons and the numbers; one that does not depend on it keeps its
// verdict; with every promise kept, nothing changes.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { PROMISE_THRESHOLDS } from '../../src/contract/defaults.ts';
import { loadShortfall } from '../../src/contract/load-fidelity.ts';
import type { RunHealth } from '../../src/contract/run-health.ts';
import { seriesKey } from '../../src/contract/series.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { evaluateExpectations } from '../../src/verdict/evaluate.ts';
import type { RunFacts, Verdict } from '../../src/verdict/verdict.ts';
import { makeTimeline, steady, T0 } from './helpers.ts';

const YAML = `
version: 1
name: promises
description: A fault and expectations of each kind, for the promise check.
seed: 1
duration: 10s
services:
  front: { calls: [store] }
  store: { replicas: 2 }
load: { target: front, rate: 100/s, connections: 10 }
faults:
  - { name: slow, at: 3s, for: 4s, target: store-1, http: { delay: 100ms, percent: 100 } }
expect:
  - success_rate(client) >= 99%
  - p99(client) < 250ms
  - p99(client) < 15ms
  - requests(client) > 0 during slow
  - requests(client) > 0 before slow
  - rps(client) >= 90/s between 1s and 2s
  - rps(client) >= 90/s between 8s and 9s
  - ejected(store-1) within 2s after slow.start
`;

function scenario() {
  const parsed = parseScenario(YAML, 'promises.yaml');
  if (!parsed.scenario) throw new Error(JSON.stringify(parsed.issues));
  return parsed.scenario;
}

// 100 requests a second at 20 ms, every second of the run.
const timeline = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 20 }));

function kept(): RunHealth {
  return {
    harnessLoop: { p50Ms: 0.1, p99Ms: 2, maxMs: 8, samples: 1000 },
    loadLoop: { p50Ms: 0.1, p99Ms: 2, maxMs: 6, samples: 1000 },
    sidecarLoops: { 'front-0': { p50Ms: 0.1, p99Ms: 3, maxMs: 9, samples: 1000 }, 'store-0': { p50Ms: 0.1, p99Ms: 1, maxMs: 4, samples: 1000 } },
    cpu: { cores: 2, busy: 0.4, busyMax: 0.6, steal: 0, samples: 10 },
    faults: [
      { fault: 'slow', edge: 'start', plannedMs: 3000, beganMs: 3004, appliedMs: 3010, lateMs: 4 },
      { fault: 'slow', edge: 'end', plannedMs: 7000, beganMs: 7003, appliedMs: 7008, lateMs: 3 },
    ],
    load: { declaredRequests: 1000, sentRequests: 995, targetRate: 100, achievedRate: 99.5, cap: 10, droppedAtCap: null, droppedLate: null, latenessP99Ms: null, latenessMaxMs: null },
  };
}

function facts(health?: RunHealth): RunFacts {
  return {
    t0: T0,
    faults: [{ name: 'slow', scheduledAtMs: 3000, startedMs: health?.faults[0].beganMs ?? 3004, endedMs: health?.faults[1].beganMs ?? 7003, detail: '' }],
    events: [],
    states: [],
    ...(health ? { health } : {}),
  };
}

function byText(verdicts: Verdict[]): Record<string, Verdict> {
  return Object.fromEntries(verdicts.map((v) => [v.expectation.text, v]));
}

describe('checking verdicts against the harness promises', () => {
  test('with every promise kept, the verdicts are those the measurement gives', () => {
    const s = scenario();
    const without = evaluateExpectations(s, timeline, facts());
    const withHealth = evaluateExpectations(s, timeline, facts(kept()));
    assert.deepEqual(withHealth, without);
    assert.ok(withHealth.every((v) => v.status !== 'inconclusive'));
  });

  test('a fault that took effect late makes the windows placed on it inconclusive, with the numbers; others stand', () => {
    const health = kept();
    health.faults[0] = { fault: 'slow', edge: 'start', plannedMs: 3000, beganMs: 3700, appliedMs: 3712, lateMs: 700 };
    const v = byText(evaluateExpectations(scenario(), timeline, facts(health)));
    const during = v['requests(client) > 0 during slow'];
    assert.equal(during.status, 'inconclusive');
    assert.equal(during.inconclusive?.wouldBe, 'held');
    assert.match(during.inconclusive!.reasons.join(' '), /slow planned to start at 3s took effect at 3\.7s \(700ms late; at most 250ms\); the window it judges was 697ms short/);
    assert.equal(during.inconclusive?.figures['fault_late_ms.slow.start'], 700);
    // The whole run: the fault was in force 697 ms shorter than planned.
    assert.equal(v['success_rate(client) >= 99%'].status, 'inconclusive');
    assert.match(v['success_rate(client) >= 99%'].explanation, /in force 697ms shorter than planned/);
    // A fixed window the fault overlaps is inconclusive; one before it is not.
    assert.equal(v['rps(client) >= 90/s between 1s and 2s'].status, 'held');
    // "before" ends where the fault really began: a late start does not change what it means.
    assert.equal(v['requests(client) > 0 before slow'].status, 'held');
    // The ejection's deadline is counted from when the fault really began.
    assert.notEqual(v['ejected(store-1) within 2s after slow.start'].status, 'inconclusive');
  });

  test('a fault moved in time but in force as long as planned leaves the whole run judged, not its own window', () => {
    const health = kept();
    health.faults = [
      { fault: 'slow', edge: 'start', plannedMs: 3000, beganMs: 3600, appliedMs: 3605, lateMs: 600 },
      { fault: 'slow', edge: 'end', plannedMs: 7000, beganMs: 7600, appliedMs: 7605, lateMs: 600 },
    ];
    const v = byText(evaluateExpectations(scenario(), timeline, facts(health)));
    assert.equal(v['success_rate(client) >= 99%'].status, 'held');
    assert.equal(v['requests(client) > 0 during slow'].status, 'inconclusive');
    assert.equal(v['rps(client) >= 90/s between 8s and 9s'].status, 'held', 'the fault was planned to end before 8s');
  });

  test('a load that fell behind on a starved machine makes every verdict that depends on the load inconclusive, whichever way it went', () => {
    const health = kept();
    health.load = { ...health.load!, sentRequests: 560, declaredRequests: 800, achievedRate: 70, targetRate: 100 };
    health.sidecarLoops['front-0'] = { p50Ms: 3, p99Ms: 70, maxMs: 200, samples: 700 };
    assert.equal(Math.round(loadShortfall(health.load) * 100), 30);
    const verdicts = evaluateExpectations(scenario(), timeline, facts(health));
    for (const v of verdicts) {
      assert.equal(v.status, 'inconclusive', v.expectation.text);
      assert.match(v.explanation, /the load sent 560 of the 800 requests the scenario declares \(30% short; at most 5% may be\) while an event loop was late by 70ms at p99/);
      assert.equal(v.inconclusive?.figures.load_sent, 560);
    }
    // What the measurement alone said is kept: the ejection that never happened had failed.
    assert.equal(byText(verdicts)['ejected(store-1) within 2s after slow.start'].inconclusive?.wouldBe, 'failed');
  });

  test('a load short on a machine that kept up is the mesh holding its connections, not the harness falling behind: the verdicts stand', () => {
    // Closed loop: a backlog held every connection, so fewer requests went out (and some were still in flight at the end).
    const closed = kept();
    closed.load = { ...closed.load!, sentRequests: 560, declaredRequests: 800 };
    assert.ok(evaluateExpectations(scenario(), timeline, facts(closed)).every((v) => v.status !== 'inconclusive'));
    // Open loop: the drops at the cap are the mesh's; the late ones, and any never sent, are the harness's.
    const open = kept();
    open.load = { ...open.load!, sentRequests: 700, declaredRequests: 800, droppedAtCap: 90, droppedLate: 10 };
    assert.equal(loadShortfall(open.load), 10 / 800);
    open.load = { ...open.load, droppedAtCap: 20, droppedLate: 80 };
    const v = evaluateExpectations(scenario(), timeline, facts(open))[0];
    assert.equal(v.status, 'inconclusive');
    assert.match(v.explanation, /the load sent 700 of the 800 requests the scenario declares, 80 requests dropped for being late \(10% short with connections to spare/);
  });

  test('a starved sidecar or machine makes inconclusive what it could have caused (a failed latency bound or deadline), not what it could not (a held upper bound, a held success rate)', () => {
    const health = kept();
    health.sidecarLoops['store-0'] = { p50Ms: 5, p99Ms: 80, maxMs: 300, samples: 900 };
    const v = byText(evaluateExpectations(scenario(), timeline, facts(health)));
    assert.equal(v['p99(client) < 15ms'].status, 'inconclusive');
    assert.equal(v['p99(client) < 15ms'].inconclusive?.wouldBe, 'failed');
    assert.match(v['p99(client) < 15ms'].explanation, /sidecar store-0: event loop late by 80ms at p99 \(max 300ms; at most 5ms against the 15ms it judges\)/);
    // A quiet machine's delay (a few ms) does not make a bound no mesh meets inconclusive: the
    // relative limit has a floor (loopDelayFloorMs, 5 ms), so `< 15ms` failed at 20 ms stands.
    const quiet = kept();
    quiet.sidecarLoops['store-0'] = { p50Ms: 0.5, p99Ms: 3, maxMs: 9, samples: 900 };
    assert.equal(byText(evaluateExpectations(scenario(), timeline, facts(quiet)))['p99(client) < 15ms'].status, 'failed');
    // A delay above the floor still makes it inconclusive.
    const mid = kept();
    mid.sidecarLoops['store-0'] = { p50Ms: 2, p99Ms: 40, maxMs: 90, samples: 900 };
    const big = byText(evaluateExpectations(scenario(), timeline, facts(mid)));
    assert.equal(big['p99(client) < 15ms'].status, 'inconclusive');
    // Starvation only slows things down: a bound that held under it holds on a quiet machine too.
    assert.equal(v['p99(client) < 250ms'].status, 'held');
    // The ejection that never came might have come on time on a quiet machine.
    assert.equal(v['ejected(store-1) within 2s after slow.start'].status, 'inconclusive');
    assert.equal(v['success_rate(client) >= 99%'].status, 'held');
    assert.equal(v['rps(client) >= 90/s between 1s and 2s'].status, 'held');

    const busy = kept();
    busy.cpu = { cores: 2, busy: 0.995, busyMax: 1, steal: 0.01, samples: 10 };
    const b = byText(evaluateExpectations(scenario(), timeline, facts(busy)));
    assert.match(b['p99(client) < 15ms'].explanation, /CPUs were 99\.5% busy over the load \(at most 97%\)/);
    assert.equal(b['p99(client) < 250ms'].status, 'held');
    // What starvation cannot have caused stands: a success rate or a rate that held was not helped by a slow machine.
    assert.equal(b['success_rate(client) >= 99%'].status, 'held');
    assert.equal(b['rps(client) >= 90/s between 1s and 2s'].status, 'held');
    // Fewer completions under starvation cannot have made "more than 0" hold.
    assert.equal(b['requests(client) > 0 during slow'].status, 'held');
  });

  test("a sidecar's loop delay is weighed against the bound it could distort; the harness's, off the request path, is not", () => {
    const health = kept();
    // 20 ms at p99 is under the absolute limit, but a quarter of a 60 ms bound is 15 ms.
    health.sidecarLoops['front-0'] = { p50Ms: 1, p99Ms: 20, maxMs: 40, samples: 500 };
    health.harnessLoop = { p50Ms: 1, p99Ms: 45, maxMs: 90, samples: 500 };
    const s = scenario();
    s.expect = [{ ...(s.expect[1] as object), text: 'p99(client) < 60ms', value: 60 } as (typeof s.expect)[number], { ...(s.expect[1] as object) } as (typeof s.expect)[number]];
    // Responses of 70 ms: 10 ms over the tight bound, which the sidecar's 20 ms stalls could have added.
    const slow = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 70 }));
    const [tight] = evaluateExpectations(s, slow, facts(health));
    assert.equal(tight.status, 'inconclusive');
    assert.match(tight.explanation, /25% of the 60ms it judges/);
    assert.ok(PROMISE_THRESHOLDS.loopDelayP99Ms > 20);
    // Responses of 300 ms: 240 ms over it, more than every sidecar's stalls together could add, so
    // starvation is not what failed either bound.
    const slower = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 300 }));
    const [tight300, loose300] = evaluateExpectations(s, slower, facts(health));
    assert.equal(tight300.status, 'failed');
    assert.equal(loose300.status, 'failed');
  });
});

describe('a closed-loop load short while the machine was starved', () => {
  test('is the harness falling behind: the verdicts that depend on the load are inconclusive', () => {
    const health = kept();
    health.load = { ...health.load!, sentRequests: 344, declaredRequests: 500 };
    health.cpu = { cores: 2, busy: 0.998, busyMax: 1, steal: 0, samples: 6 };
    const v = byText(evaluateExpectations(scenario(), timeline, facts(health)));
    assert.equal(v['rps(client) >= 90/s between 1s and 2s'].status, 'inconclusive');
    assert.match(v['rps(client) >= 90/s between 1s and 2s'].explanation, /sent 344 of the 500 requests the scenario declares \(31\.2% short; at most 5% may be\) while the machine's CPUs were 99\.8% busy/);
  });
});

describe("the load generator's own event loop", () => {
  test('is judged as a sidecar is: a stall that could have failed a latency bound makes it inconclusive, named; one past what stalls explain does not', () => {
    const health = kept();
    // 20 ms at p99: under the absolute limit, over a quarter of a 60 ms bound.
    health.loadLoop = { p50Ms: 1, p99Ms: 20, maxMs: 45, samples: 500 };
    const s = scenario();
    s.expect = [{ ...(s.expect[1] as object), text: 'p99(client) < 60ms', value: 60 } as (typeof s.expect)[number]];
    const slow = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 70 }));
    const [v] = evaluateExpectations(s, slow, facts(health));
    assert.equal(v.status, 'inconclusive');
    assert.deepEqual(v.inconclusive?.promises, ['load-loop']);
    assert.match(v.explanation, /the load generator's event loop was late by 20ms at p99 \(max 45ms; 25% of the 60ms it judges\), which every response it times waits/);
    assert.equal(v.inconclusive?.figures.load_loop_p99_ms, 20);
    // 300 ms measured: 240 ms over the bound is more than its stalls and the sidecars' could add.
    const slower = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 300 }));
    assert.equal(evaluateExpectations(s, slower, facts(health))[0].status, 'failed');
    // A quiet load process (2 ms at p99) leaves the 70 ms verdict standing.
    assert.equal(evaluateExpectations(s, slow, facts(kept()))[0].status, 'failed');
  });

  test('counts as starvation for a closed-loop load that fell short', () => {
    const health = kept();
    health.load = { ...health.load!, sentRequests: 344, declaredRequests: 500 };
    health.loadLoop = { p50Ms: 20, p99Ms: 120, maxMs: 400, samples: 300 };
    const v = byText(evaluateExpectations(scenario(), timeline, facts(health)));
    assert.equal(v['rps(client) >= 90/s between 1s and 2s'].status, 'inconclusive');
    assert.match(v['rps(client) >= 90/s between 1s and 2s'].explanation, /while an event loop was late by 120ms at p99/);
  });
});
