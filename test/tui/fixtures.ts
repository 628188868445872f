import type { LiveFigures, RunEvent } from '../../src/events.ts';
import { honestyOf } from '../helpers/load-honesty.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import type { AnyExpectation, Fault, Scenario } from '../../src/scenario/scenario.ts';
import type { Verdict } from '../../src/verdict/verdict.ts';
import * as mesh from '../helpers/mesh-events.ts';

const YAML = `
version: 1
name: payments-outlier-ejection
description: One payments replica starts failing; checkout's sidecar must eject it and retries must hide it.
seed: 42
duration: 30s
services:
  gateway:  { calls: [checkout] }
  checkout: { calls: [payments] }
  payments:
    replicas: 3
    latency: { p50: 5ms, p99: 25ms }
    concurrency: 64
mesh:
  payments:
    timeout: 600ms
    retries: { attempts: 2, perTryTimeout: 150ms, retryOn: [5xx, reset, connect-failure], budget: { percent: 20 } }
load: { target: gateway, rate: 200/s, connections: 20 }
expect:
  - success_rate(client) >= 99.5%
  - retry_ratio(checkout -> payments) <= 20%
  - p99(client) < 250ms
`;

/**
The design document's example scenario. The parser does not take faults and fault-relative
expectations yet, so those are added here in their normalised form (as `Scenario` will carry them).
*/
export function outlierScenario(): Scenario {
  const parsed = parseScenario(YAML, 'payments-outlier-ejection.yaml');
  if (!parsed.scenario) throw new Error(`fixture does not parse: ${JSON.stringify(parsed.issues)}`);
  const s = parsed.scenario;
  const faults: Fault[] = [
    { name: 'p1-errors', atMs: 5000, forMs: 15000, target: { kind: 'instance', service: 'payments', instance: 'payments-1' }, action: { kind: 'http', at: 'inbound', fault: { abort: { status: 503, percent: 1 }, delay: null } }, line: 1, col: 1 },
    { name: 'p2-slow', atMs: 8000, forMs: 6000, target: { kind: 'edge', from: 'checkout', to: 'payments', toInstance: 'payments-2' }, action: { kind: 'toxic', toxic: { type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 300 } } }, line: 2, col: 1 },
    { name: 'p0-crash', atMs: 20000, forMs: 4000, target: { kind: 'instance', service: 'payments', instance: 'payments-0' }, action: { kind: 'process', action: 'kill', restartAfterMs: 4000 }, line: 3, col: 1 },
  ];
  const extra: AnyExpectation[] = [
    { kind: 'ejected', text: 'ejected(payments-1) within 2s after p1-errors.start', instance: 'payments-1', service: 'payments', withinMs: 2000, after: { kind: 'fault', fault: 'p1-errors', edge: 'start', offsetMs: 0 }, line: 30, col: 5 },
    { text: 'requests(checkout -> payments-1) == 0 during p1-errors from +3s', metric: 'requests', scope: { kind: 'edge', from: 'checkout', to: 'payments', toInstance: 'payments-1' }, op: '==', value: 0, unit: 'count', window: { kind: 'during', fault: 'p1-errors', fromOffsetMs: 3000 }, line: 31, col: 5 },
  ];
  // Scenario.expect is typed for metric expectations only until the parser takes the others.
  return { ...s, faults, expect: [...s.expect, ...extra] as unknown as Scenario['expect'] };
}

export const T0 = 1_800_000_000_000;

const fig = (rps: number, errorRate = 0, p99 = 12, retries = 0, flags: Record<string, number> = {}): LiveFigures => ({ rps, errorRate, p99, retries, flags });

/**
A run of the outlier scenario second by second until `untilSecond` (exclusive): payments-1 fails every
try from 5s (p1-errors), checkout-0's sidecar ejects it at 5.4s, retries hide the failures from the
client. Load starts at T0.
*/
export function scriptedRun(untilSecond = 8): RunEvent[] {
  const ev: RunEvent[] = [];
  const start = T0 - 1500;
  ev.push({ type: 'run-starting', at: start, scenario: 'payments-outlier-ejection', runId: 'abc123' });
  ['gateway-0', 'checkout-0', 'payments-0', 'payments-1', 'payments-2'].forEach((instance, i) => {
    ev.push({ type: 'instance-up', at: start + 100 + i * 50, instance, service: instance.replace(/-\d+$/, ''), ports: { inbound: 40000 + i } });
  });
  ev.push({ type: 'topology-ready', at: start + 900, instances: 5, ms: 812 });
  ev.push({ type: 'sidecar-event', at: start + 950, event: mesh.configApplied(start + 950, 'checkout-0') });
  ev.push({ type: 'load-started', at: T0, t0: T0, rate: 200, arrivals: 'uniform', connections: 20, durationMs: 30000 });
  for (let s = 0; s < untilSecond; s++) {
    const at = T0 + (s + 1) * 1000 + 20;
    if (s === 5) {
      ev.push({ type: 'fault-started', at: T0 + 5000, fault: 'p1-errors', detail: 'payments-1 inbound answers 503 to 100% of requests' });
      ev.push({
        type: 'sidecar-event',
        at: T0 + 5400,
        event: mesh.ejected(T0 + 5400, 'checkout-0', 'payments-1'),
      });
    }
    if (s === 8) ev.push({ type: 'fault-started', at: T0 + 8000, fault: 'p2-slow', detail: 'latency 300ms on the link checkout-0 → payments-2' });
    if (s === 14) ev.push({ type: 'fault-ended', at: T0 + 14000, fault: 'p2-slow', detail: 'latency toxic removed' });
    if (s === 20) ev.push({ type: 'fault-ended', at: T0 + 20000, fault: 'p1-errors', detail: 'payments-1 inbound fault removed' });
    if (s === 15) {
      ev.push({ type: 'sidecar-event', at: T0 + 15400, event: mesh.unejected(T0 + 15400, 'checkout-0', 'payments-1') });
    }
    const failing = s === 5;
    const ejected = s > 5 && s < 16;
    const p1 = ejected ? 0 : 67;
    const p1err = failing ? 1 : 0;
    ev.push({ type: 'tick', at, second: s, rps: 200, ok: 200, errors: 0, p99: 14 + s, sent: 200, dropped: 0, latenessMaxMs: 0.4 });
    ev.push({
      type: 'live-stats',
      at: at + 5,
      second: s,
      series: {
        'edge:client->gateway': fig(200, 0, 13),
        'instance:gateway-0': fig(200, 0, 13),
        'edge:gateway->checkout': fig(200, 0, 12),
        'instance:checkout-0': fig(200, 0, 11),
        'edge:checkout->payments': fig(200, 0, 9, failing ? 5 : 0, failing ? { URX: 0 } : {}),
        'upstream:checkout->payments-0': fig(ejected ? 100 : 67, 0, 8),
        'upstream:checkout->payments-1': fig(p1 + (failing ? 0 : 0), p1err, 3),
        'upstream:checkout->payments-2': fig(ejected ? 100 : 66 + (failing ? 5 : 0), 0, 8),
        'instance:payments-0': fig(ejected ? 100 : 67, 0, 8),
        ...(p1 ? { 'instance:payments-1': fig(p1, p1err, 3) } : {}),
        'instance:payments-2': fig(ejected ? 100 : 71, 0, 8),
      },
    });
  }
  return ev;
}

/** The end of the run after `scriptedRun`: load finished, verdicts, teardown, finished. */
export function scriptedEnd(scenario: Scenario, at = T0 + 30_500): RunEvent[] {
  const ev: RunEvent[] = [];
  ev.push({ type: 'load-finished', at, requests: 6000, errors: 0, honesty: honestyOf({ rate: 200, seconds: 30, cap: 20 }) });
  ev.push({ type: 'teardown', at: at + 300, stopped: 11 });
  const measured: Record<string, [Verdict['status'], number, string]> = {
    'success_rate(client) >= 99.5%': ['held', 1, 'success_rate(client) was 100% (6000 of 6000 ok) over 0s–30s; needed >= 99.5%'],
    'retry_ratio(checkout -> payments) <= 20%': ['held', 0.0008, 'retry_ratio(checkout -> payments) was 0.08% (5 retries of 6000)'],
    'p99(client) < 250ms': ['failed', 312, 'p99(client) was 312ms over 0s–30s; needed < 250ms'],
  };
  for (const e of scenario.expect as readonly AnyExpectation[]) {
    const [status, value, explanation] = measured[e.text] ?? ['held', 0, `${e.text}: held`];
    ev.push({ type: 'expectation-settled', at: at + 400, verdict: { expectation: e, status, measured: value, window: { fromMs: 0, toMs: 30000 }, evidence: {}, explanation } });
  }
  ev.push({ type: 'run-finished', at: at + 500, passed: false, reportDir: 'reports/20260101-payments-outlier-ejection' });
  return ev;
}
