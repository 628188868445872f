// The harness checks its own promises for real: a fault it applies late (its event loop blocked at
// the fault's time, as a busy machine would) makes the expectation judged over that fault's window
// inconclusive, exit code 3, and 1 with `strict`. Nothing here is mocked: the block is a busy loop
// in the harness's own process, placed through the API's event listener.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { breachesOf, healthRows } from '../../src/contract/describe-run-health.ts';
import { run, type RunEvent, type RunSummary } from '../../src/index.ts';

const SCENARIO = `
version: 1
name: late-fault
description: A short L7 delay on the only store; the expectation is judged over the fault's window.
seed: 3
duration: 4s
services:
  front: { calls: [store] }
  store: { latency: { p50: 1ms, p99: 3ms } }
load: { target: front, rate: 50/s, connections: 5 }
faults:
  - { name: slow, at: 2s, for: 1500ms, target: store-0, http: { delay: 5ms, percent: 100 } }
expect:
  - requests(client) > 0 during slow
`;

const project = mkdtempSync(join(tmpdir(), 'meshproof-late-fault-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));
mkdirSync(join(project, 'scenarios'));
writeFileSync(join(project, 'scenarios/late-fault.yaml'), SCENARIO);

/** Blocks the harness's event loop from 400 ms before the fault is due for `ms`: its timer fires that late. */
function blockAtFault(ms: number) {
  return (e: RunEvent) => {
    if (e.type !== 'load-started') return;
    const from = e.t0 + 2000 - 400;
    setTimeout(() => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        /* the harness is busy: nothing else in it runs */
      }
    }, Math.max(0, from - Date.now()));
  };
}

function only(summary: RunSummary) {
  assert.equal(summary.runs.length, 1);
  const [r] = summary.runs;
  assert.equal(r.error, null);
  return { run: r, verdict: r.verdicts[0], health: r.result.health! };
}

describe('a fault the harness applied late', () => {
  test('makes the verdict over its window inconclusive, with the numbers: exit code 3', { timeout: 90_000 }, async () => {
    const summary = await run('scenarios/late-fault.yaml', { cwd: project, reports: null, traces: false, onEvent: blockAtFault(1200) });
    const { run: r, verdict, health } = only(summary);
    const start = health.faults.find((f) => f.fault === 'slow' && f.edge === 'start')!;
    assert.ok(start.lateMs >= 500, `the fault began ${start.lateMs} ms late`);
    assert.equal(verdict.status, 'inconclusive', verdict.explanation);
    assert.equal(verdict.inconclusive?.wouldBe, 'held');
    assert.match(verdict.inconclusive!.reasons.join('; '), /slow planned to start at 2s took effect at [\d.]+s \([\d.]+ms late; at most 250ms\); the window it judges was [\d.]+ms short/);
    assert.ok(verdict.inconclusive!.figures['fault_late_ms.slow.start'] >= 500);
    assert.equal(r.outcome, 'inconclusive');
    assert.equal(summary.exitCode, 3);
    assert.equal(summary.passed, false);
    // The health rows the reports show name the broken promise, and what it made inconclusive.
    assert.deepEqual(verdict.inconclusive!.promises, ['fault:slow:start']);
    const row = healthRows(health, breachesOf([verdict])).find((h) => h.what === 'fault slow start');
    assert.equal(row?.kept, false);
    assert.deepEqual(row?.inconclusive, [verdict.expectation.text]);
  });

  test('with strict, inconclusive is a failure: exit code 1', { timeout: 90_000 }, async () => {
    const summary = await run('scenarios/late-fault.yaml', { cwd: project, reports: null, traces: false, strict: true, onEvent: blockAtFault(1200) });
    const { run: r, verdict } = only(summary);
    assert.equal(verdict.status, 'inconclusive', verdict.explanation);
    assert.equal(r.outcome, 'inconclusive');
    assert.equal(summary.exitCode, 1);
  });

  test('without the block, the fault is on time and nothing is inconclusive unless the machine broke a promise', { timeout: 90_000 }, async () => {
    const summary = await run('scenarios/late-fault.yaml', { cwd: project, reports: null, traces: false });
    const { verdict, health } = only(summary);
    const broken = healthRows(health, breachesOf([verdict])).filter((h) => !h.kept);
    const start = health.faults.find((f) => f.fault === 'slow' && f.edge === 'start')!;
    // On a quiet machine every promise is kept and the verdict is the measurement's; on a busy one a
    // broken promise (named in the health rows) is the only way to be inconclusive.
    if (broken.length === 0) {
      assert.equal(verdict.status, 'held', verdict.explanation);
      assert.equal(summary.exitCode, 0);
      assert.ok(start.lateMs < 250, `the fault began ${start.lateMs} ms late`);
    } else {
      assert.notEqual(verdict.status, 'failed', verdict.explanation);
      if (verdict.status === 'inconclusive') assert.equal(summary.exitCode, 3);
    }
    for (const loop of [health.harnessLoop!, ...Object.values(health.sidecarLoops)]) assert.ok(loop.samples > 0, 'each loop was measured');
    assert.deepEqual(Object.keys(health.sidecarLoops).sort(), ['front-0', 'ingress', 'store-0']);
    // The load generator's process measures its own loop over the load, as the sidecars do.
    assert.ok(health.loadLoop && health.loadLoop.samples > 0, `the load generator's loop was measured: ${JSON.stringify(health.loadLoop)}`);
    assert.equal(health.load?.declaredRequests, 200);
  });
});
