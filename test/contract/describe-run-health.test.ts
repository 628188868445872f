// The run's health line and the reports' health section say what the verdicts decided: a promise is
// broken where a verdict lost to it (even under its absolute limit), and one over its absolute limit
// that no verdict depended on says it broke none that matters.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { breachesOf, healthLines, healthRows } from '../../src/contract/describe-run-health.ts';
import type { RunHealth } from '../../src/contract/run-health.ts';
import { seriesKey } from '../../src/contract/series.ts';
import { parseScenario } from '../../src/scenario/parse-scenario.ts';
import { evaluateExpectations } from '../../src/verdict/evaluate.ts';
import type { RunFacts } from '../../src/verdict/verdict.ts';
import { makeTimeline, steady, T0 } from '../verdict/helpers.ts';

const YAML = `
version: 1
name: health
description: Two latency bounds, for the health line.
seed: 1
duration: 10s
services:
  front: {}
load: { target: front, rate: 100/s, connections: 10 }
expect:
  - p99(client) < 60ms
  - p99(client) < 250ms
`;

function scenario() {
  const parsed = parseScenario(YAML, 'health.yaml');
  if (!parsed.scenario) throw new Error(JSON.stringify(parsed.issues));
  return parsed.scenario;
}

function health(): RunHealth {
  return {
    harnessLoop: { p50Ms: 0.1, p99Ms: 2, maxMs: 8, samples: 1000 },
    loadLoop: { p50Ms: 0.1, p99Ms: 1, maxMs: 4, samples: 1000 },
    sidecarLoops: { 'front-0': { p50Ms: 0.1, p99Ms: 3, maxMs: 9, samples: 1000 } },
    cpu: { cores: 2, busy: 0.4, busyMax: 0.6, steal: 0, samples: 10 },
    faults: [],
    load: { declaredRequests: 1000, sentRequests: 1000, targetRate: 100, achievedRate: 100, cap: 10, droppedAtCap: 0, droppedLate: 0, latenessP99Ms: 0.3, latenessMaxMs: 2 },
  };
}

const facts = (h: RunHealth): RunFacts => ({ t0: T0, faults: [], events: [], states: [], health: h });
// Responses of 70 ms: the 60 ms bound fails by 10 ms, the 250 ms bound holds.
const timeline = makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 70 }));

function judged(h: RunHealth) {
  const verdicts = evaluateExpectations(scenario(), timeline, facts(h));
  const rows = healthRows(h, breachesOf(verdicts));
  return { verdicts, rows, lines: healthLines(rows).map((l) => l.text) };
}

describe('the health line and the verdicts are one judgment', () => {
  test('every promise kept: one line, and no verdict inconclusive', () => {
    const { verdicts, lines } = judged(health());
    assert.deepEqual(verdicts.map((v) => v.status), ['failed', 'held']);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^harness health: every promise kept \(harness event loop, sidecars' event loops, load generator event loop, CPU, load\)$/);
  });

  test('a sidecar loop under the absolute limit that made a verdict inconclusive is broken, and names it', () => {
    const h = health();
    h.sidecarLoops['front-0'] = { p50Ms: 1, p99Ms: 20, maxMs: 40, samples: 500 };
    const { verdicts, rows, lines } = judged(h);
    assert.deepEqual(verdicts.map((v) => v.status), ['inconclusive', 'held']);
    assert.ok(20 < 50, 'under loopDelayP99Ms: the absolute check alone called it kept');
    const row = rows.find((r) => r.key === 'sidecar-loops')!;
    assert.equal(row.kept, false);
    assert.deepEqual(row.inconclusive, ['p99(client) < 60ms']);
    assert.deepEqual(lines, [`harness health: sidecars' event loops worst front-0: p99 20ms, max 40ms (1 sidecar) (limit p99 ≤ 50ms (and ≤ 25% of a bound)) — made inconclusive: p99(client) < 60ms`]);
  });

  test('a harness loop over the absolute limit that no verdict could lose to says it broke none that matters', () => {
    const h = health();
    h.harnessLoop = { p50Ms: 5, p99Ms: 80, maxMs: 200, samples: 500 };
    // 20 ms responses: both bounds hold.
    const held = evaluateExpectations(scenario(), makeTimeline(10, steady(seriesKey.client(), 0, 10, { count: 100, latencyMs: 20 })), facts(h));
    assert.deepEqual(held.map((v) => v.status), ['held', 'held'], 'starvation only slows: held bounds stand');
    const rows = healthRows(h, breachesOf(held));
    const row = rows.find((r) => r.key === 'harness-loop')!;
    assert.equal(row.kept, false);
    assert.deepEqual(row.inconclusive, []);
    assert.deepEqual(
      healthLines(rows).map((l) => l.text),
      ['harness health: harness event loop p99 80ms, max 200ms (limit p99 ≤ 50ms (and ≤ 25% of a bound)) — broke none that matters: no expectation here depends on it'],
    );
    // 70 ms against the 60 ms bound: 10 ms over it, more than the stalls on the request path (3 ms in the
    // sidecar, 1 ms in the load generator) could add; the harness is on no request's path. The verdict
    // stands, and the line says the broken promise cost nothing, where the absolute check alone said broken.
    const { verdicts, rows: failedRows } = judged(h);
    assert.deepEqual(verdicts.map((v) => v.status), ['failed', 'held']);
    assert.deepEqual(failedRows.find((r) => r.key === 'harness-loop')!.inconclusive, []);
  });

  test("the load generator's loop has its row, and what it made inconclusive", () => {
    const h = health();
    h.loadLoop = { p50Ms: 2, p99Ms: 30, maxMs: 60, samples: 400 };
    const { rows, lines } = judged(h);
    const row = rows.find((r) => r.key === 'load-loop')!;
    assert.equal(row.what, 'load generator event loop');
    assert.deepEqual(row.inconclusive, ['p99(client) < 60ms']);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^harness health: load generator event loop p99 30ms, max 60ms .* — made inconclusive: p99\(client\) < 60ms$/);
  });
});
