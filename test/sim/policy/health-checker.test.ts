import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/util/clock.ts';
import { ActiveHealthCheck, HealthCheckState, type ProbeResult } from '../../../src/sim/policy/health-checker.ts';
import { probeFailureText } from '../../../src/contract/describe-mesh-event.ts';

const OK: ProbeResult = { ok: true };
const NET: ProbeResult = { ok: false, failure: { kind: 'network', code: 'ECONNREFUSED' } };
const BAD: ProbeResult = { ok: false, failure: { kind: 'status', status: 503 } };
const hc = { healthyThreshold: 2, unhealthyThreshold: 3 };

describe('active health checking (Envoy health_checker_impl.cc)', () => {
  it('Envoy health checking: unhealthy_threshold network failures in a row fail the host; a success in between resets the count', () => {
    const s = new HealthCheckState();
    assert.deepEqual([NET, NET, OK, NET, NET].map((r) => s.onResult(r, hc)), [false, false, false, false, false]);
    assert.equal(s.failed, false);
    assert.equal(s.onResult(NET, hc), true);
    assert.equal(s.failed, true);
  });

  it('Envoy HTTP health checking: a wrong status fails the host at once, ignoring unhealthy_threshold (setUnhealthy: non-network failure)', () => {
    const s = new HealthCheckState();
    assert.equal(s.onResult(BAD, hc), true);
    assert.equal(s.failed, true);
    assert.deepEqual(s.failure, { kind: 'status', status: 503 });
  });

  it('Envoy health checking: healthy_threshold successes in a row bring a failed host back; a failure in between resets', () => {
    const s = new HealthCheckState();
    s.onResult(BAD, hc);
    assert.deepEqual([OK, BAD, OK].map((r) => s.onResult(r, hc)), [false, false, false]);
    assert.equal(s.onResult(OK, hc), true);
    assert.equal(s.failed, false);
  });

  it('probes at once, then interval after each result; a probe without an answer times out as a network failure', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const pending: ((r: ProbeResult) => void)[] = [];
    let aborted = 0;
    const counters = { hc_attempt: 0, hc_success: 0, hc_failure: 0, hc_network_failure: 0 };
    const check = new ActiveHealthCheck({
      config: { intervalMs: 1000, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 1, path: '/healthz' },
      clock,
      counters,
      probe: (done) => {
        log.push(`probe @${clock.now()}`);
        pending.push(done);
        return () => aborted++;
      },
      onCheck: (r, changed) => log.push(`${r.ok ? 'ok' : probeFailureText(r.failure)} @${clock.now()}${changed ? ' changed' : ''}`),
    });
    check.start();
    clock.advance(0);
    clock.advance(50);
    pending.shift()!(OK);
    clock.advance(1000); // next probe at 1050, no answer → timeout at 1250
    clock.advance(300);
    assert.equal(aborted, 1);
    pending.shift()!(OK); // a late answer to the aborted probe is ignored
    clock.advance(1000); // probe at 2250, times out at 2450: second network failure → failed
    clock.advance(300);
    assert.equal(check.state.failed, true);
    check.stop();
    assert.deepEqual(log, [
      'probe @0',
      'ok @50',
      'probe @1050',
      'no answer within 200ms (timeout) @1250',
      'probe @2250',
      'no answer within 200ms (timeout) @2450 changed',
    ]);
    assert.deepEqual(counters, { hc_attempt: 3, hc_success: 1, hc_failure: 2, hc_network_failure: 2 });
    clock.advance(5000);
    assert.equal(log.length, 6, 'stopped: no more probes');
  });
});
