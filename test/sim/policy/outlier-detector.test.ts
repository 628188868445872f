import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { OutlierDetection } from '../../../src/contract/mesh-policy.ts';
import { ManualClock } from '../../../src/util/clock.ts';
import type { Ejection } from '../../../src/contract/mesh-event.ts';
import { OutlierDetector, OutlierHostState, type OutlierCounters } from '../../../src/sim/policy/outlier-detector.ts';

interface Host {
  instance: string;
  outlier: OutlierHostState;
}

function setup(config: Partial<OutlierDetection> = {}, n = 3) {
  const clock = new ManualClock();
  const hosts: Host[] = Array.from({ length: n }, (_, i) => ({ instance: `h${i}`, outlier: new OutlierHostState() }));
  const counters: OutlierCounters = {
    od_ejections_enforced_total: 0,
    od_ejections_enforced_consecutive_5xx: 0,
    od_ejections_enforced_consecutive_gateway_failure: 0,
    od_ejections_detected_consecutive_5xx: 0,
    od_ejections_detected_consecutive_gateway_failure: 0,
    od_ejections_overflow: 0,
  };
  const log: string[] = [];
  const ejections: Ejection[] = [];
  const d = new OutlierDetector<Host>({
    clock,
    hosts: () => hosts,
    counters,
    onEject: (h, e) => {
      ejections.push(e);
      log.push(`eject ${h.instance} @${clock.now()} for ${e.ejectionMs}`);
    },
    onUneject: (h, reason, ms) => log.push(`uneject ${h.instance} @${clock.now()} after ${ms} (${reason})`),
    onOverflow: (h, reason, c, ejected, total) => log.push(`overflow ${h.instance} ${reason} ${ejected}/${total}`),
  });
  d.configure({ consecutive5xx: 5, consecutiveGatewayErrors: null, intervalMs: 1000, baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 1, ...config });
  const fail = (h: Host, times: number, status = 503) => {
    for (let i = 0; i < times; i++) d.report(h, status);
  };
  return { clock, hosts, counters, log, ejections, d, fail };
}

describe('outlier detection (Envoy outlier_detection_impl.cc)', () => {
  it('Envoy outlier detection: consecutive_5xx ejects at the Nth 5xx in a row; a success in between resets the count (outlier_detection.proto)', () => {
    const { hosts, d, fail, counters, ejections } = setup();
    fail(hosts[0], 4);
    d.report(hosts[0], 200);
    fail(hosts[0], 4);
    assert.equal(hosts[0].outlier.ejected, false, '4 + 4 with a success between is not 5 in a row');
    d.report(hosts[0], 500);
    assert.equal(hosts[0].outlier.ejected, true);
    assert.equal(counters.od_ejections_enforced_total, 1);
    assert.equal(counters.od_ejections_enforced_consecutive_5xx, 1);
    assert.deepEqual(
      { reason: ejections[0].reason, consecutive: ejections[0].consecutive, lastStatus: ejections[0].lastStatus, timesEjected: ejections[0].timesEjected },
      { reason: 'consecutive_5xx', consecutive: 5, lastStatus: 500, timesEjected: 1 },
    );
    assert.equal(d.active, 1);
  });

  it('Envoy outlier detection: locally originated failures count as 5xx (connect failure/reset charged 503, timeout 504) without split_external_local_origin_errors', () => {
    const { hosts, fail } = setup({ consecutive5xx: 3 });
    fail(hosts[0], 2, 503);
    fail(hosts[0], 1, 504);
    assert.equal(hosts[0].outlier.ejected, true);
  });

  it('Envoy outlier detection: consecutive_gateway_failure counts only 502/503/504; a 500 resets it (putHttpResponseCode)', () => {
    const { hosts, d, fail, counters } = setup({ consecutive5xx: null, consecutiveGatewayErrors: 3 });
    fail(hosts[0], 2, 502);
    d.report(hosts[0], 500);
    fail(hosts[0], 2, 504);
    assert.equal(hosts[0].outlier.ejected, false);
    d.report(hosts[0], 503);
    assert.equal(hosts[0].outlier.ejected, true);
    assert.equal(counters.od_ejections_enforced_consecutive_gateway_failure, 1);
  });

  it('Envoy outlier detection: 4xx are not failures and reset both counts', () => {
    const { hosts, d, fail } = setup({ consecutive5xx: 2 });
    fail(hosts[0], 1);
    d.report(hosts[0], 404);
    fail(hosts[0], 1);
    assert.equal(hosts[0].outlier.ejected, false);
  });

  it('Envoy outlier detection: ejection time is base × times ejected, capped at max_ejection_time (outlier_detection.proto)', () => {
    const { clock, hosts, d, fail, ejections } = setup({ baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 25_000, intervalMs: 1000 });
    const h = hosts[0];
    const times: number[] = [];
    for (let k = 0; k < 4; k++) {
      fail(h, 5);
      assert.equal(h.outlier.ejected, true);
      const at = clock.now();
      // fail again right after coming back, so the multiplier has no healthy interval to decay
      while (h.outlier.ejected) clock.advance(100);
      times.push(clock.now() - at);
    }
    assert.deepEqual(
      ejections.map((e) => e.ejectionMs),
      [10_000, 20_000, 25_000, 25_000],
    );
    // unejection happens at interval sweeps: at least the ejection time, less than one interval more
    for (const [i, t] of times.entries()) {
      const want = [10_000, 20_000, 25_000, 25_000][i];
      assert.ok(t >= want && t < want + 1000, `ejection ${i + 1} lasted ${t}ms, expected [${want}, ${want + 1000})`);
    }
    assert.equal(d.active, 0);
  });

  it('Envoy outlier detection: returns happen at interval sweeps (ejections end at the first sweep after the ejection time)', () => {
    const { clock, hosts, fail, log } = setup({ baseEjectionTimeMs: 2500, intervalMs: 1000 });
    clock.advance(300);
    fail(hosts[1], 5);
    clock.advance(2500);
    assert.equal(hosts[1].outlier.ejected, true, 'at 2.8s: the sweeps at 1s, 2s were too early; the next is at 3s');
    clock.advance(200);
    assert.equal(hosts[1].outlier.ejected, false);
    assert.deepEqual(log, ['eject h1 @300 for 2500', 'uneject h1 @3000 after 2700 (ejection-time-elapsed)']);
  });

  it('Envoy outlier detection: the multiplier decays by one per interval while the host stays healthy (arch overview, outlier detection)', () => {
    const { clock, hosts, fail, ejections } = setup({ baseEjectionTimeMs: 1000, intervalMs: 1000, maxEjectionTimeMs: 100_000 });
    const h = hosts[0];
    fail(h, 5);
    clock.advance(1000);
    fail(h, 5);
    clock.advance(2000);
    fail(h, 5);
    clock.advance(3000);
    assert.equal(h.outlier.multiplier, 3);
    assert.equal(h.outlier.ejected, false);
    // healthy for two whole intervals after returning: 3 → 2 → 1 (the sweep at the return itself does not count)
    clock.advance(2000);
    assert.equal(h.outlier.multiplier, 1);
    fail(h, 5);
    assert.equal(ejections.at(-1)!.multiplier, 2);
    assert.equal(ejections.at(-1)!.timesEjected, 4, 'times ejected keeps counting, the multiplier is what decays');
    assert.equal(ejections.at(-1)!.ejectionMs, 2000);
  });

  it('Envoy outlier detection: max_ejection_percent is strict (modern Envoy, #27909): 3 hosts at 50% eject one, the second is refused (100 × (ejected+1)/hosts ≤ max)', () => {
    const { hosts, fail, counters, log, d } = setup({ maxEjectionPercent: 0.5 });
    fail(hosts[0], 5);
    fail(hosts[1], 5);
    assert.equal(hosts[0].outlier.ejected, true);
    assert.equal(hosts[1].outlier.ejected, false, '2 of 3 = 67% > 50%');
    assert.equal(counters.od_ejections_overflow, 1);
    assert.equal(d.active, 1);
    assert.equal(log[1], 'overflow h1 consecutive_5xx 1/3');
    fail(hosts[1], 4);
    assert.equal(counters.od_ejections_overflow, 1, 'the count that fired was reset: 5 more are needed to try again');
  });

  it('Envoy outlier detection: with a single host and max_ejection_percent below 100% nothing is ejected (#27909: no always_eject_one_host)', () => {
    const { hosts, fail } = setup({ maxEjectionPercent: 0.9 }, 1);
    fail(hosts[0], 50);
    assert.equal(hosts[0].outlier.ejected, false);
  });

  it('Envoy outlier detection: 10 hosts at 10% allow exactly one ejection', () => {
    const { hosts, fail, d } = setup({ maxEjectionPercent: 0.1 }, 10);
    for (const h of hosts) fail(h, 5);
    assert.equal(d.active, 1);
  });

  it('Envoy outlier detection: a returned host starts counting from zero (unejectHost resets the consecutive counters)', () => {
    const { clock, hosts, d, fail } = setup({ consecutive5xx: 3, baseEjectionTimeMs: 1000, intervalMs: 500 });
    fail(hosts[0], 3);
    fail(hosts[0], 2);
    clock.advance(1000);
    assert.equal(hosts[0].outlier.ejected, false);
    d.report(hosts[0], 503);
    assert.equal(hosts[0].outlier.ejected, false, 'the 2 failures while ejected do not count after the return');
  });

  it('turning outlier detection off returns every ejected host; a new config keeps host state', () => {
    const { hosts, d, fail, log } = setup();
    fail(hosts[0], 5);
    d.configure({ consecutive5xx: 3, consecutiveGatewayErrors: null, intervalMs: 1000, baseEjectionTimeMs: 10_000, maxEjectionTimeMs: 300_000, maxEjectionPercent: 1 });
    assert.equal(hosts[0].outlier.ejected, true, 'a new config keeps the ejection');
    d.configure(null);
    assert.equal(hosts[0].outlier.ejected, false);
    assert.match(log.at(-1)!, /uneject h0 .*outlier-detection-disabled/);
    fail(hosts[1], 10);
    assert.equal(hosts[1].outlier.ejected, false, 'off: nothing is counted');
  });

  it('a host that leaves the cluster ends its ejection (Envoy drops its monitor and decrements ejections_active)', () => {
    const { hosts, d, fail } = setup();
    fail(hosts[2], 5);
    d.forget(hosts[2], 'endpoint-removed');
    assert.equal(d.active, 0);
    assert.equal(hosts[2].outlier.ejected, false);
  });
});
