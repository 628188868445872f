// The live view, its event log and the plain progress lines show each event at the run-clock time it
// happened: a sidecar's event reaches the harness up to a poll (on a busy machine, more) later.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { createProgressPrinter } from '../../src/api/progress-printer.ts';
import type { RunEvent } from '../../src/events.ts';
import { eventLogRows } from '../../src/tui/components/event-log.ts';
import { initialState, reduce, runMs, type RunViewState } from '../../src/tui/state/run-view-state.ts';
import { ejected, unejected } from '../helpers/mesh-events.ts';
import { honestyOf } from '../helpers/load-honesty.ts';
import { outlierScenario, scriptedRun, T0 } from './fixtures.ts';

function run(events: readonly RunEvent[]): RunViewState {
  return events.reduce((s, e) => reduce(s, e), initialState(outlierScenario()));
}

describe('events at the time they happened', () => {
  // payments-1 was ejected at 5.4s; its sidecar was polled at 7.0s, after the fault runner's line of 6.0s.
  const late: RunEvent[] = [
    ...scriptedRun(0),
    { type: 'fault-started', at: T0 + 5000, fault: 'p1-errors', detail: 'abort 503' },
    { type: 'instance-state', at: T0 + 6000, instance: 'payments-0', state: 'killed', reason: 'fault p0-crash: SIGKILL' },
    { type: 'sidecar-event', at: T0 + 7000, event: ejected(T0 + 5400, 'checkout-0', 'payments-1') },
  ];

  test('a sidecar event received late is logged at the time the sidecar saw it, before the lines that came after it', () => {
    const s = run(late);
    const tail = s.log.slice(-3);
    assert.deepEqual(tail.map((l) => runMs(s, l.at)), [5000, 5400, 6000]);
    assert.match(tail[1].text, /payments-1/);
    assert.equal(tail[1].by, 'checkout-0');
    // The instance changed state when it was ejected, not when the harness heard of it.
    assert.equal(s.instances['payments-1'].status, 'ejected');
    assert.equal(runMs(s, s.instances['payments-1'].since!), 5400);
  });

  test('the event log pane shows the event time, in order', () => {
    const rows = eventLogRows({ state: run(late), width: 100, height: 4, color: false }).map((r) => r.map((seg) => seg.text).join(''));
    assert.match(rows[1], /^\s+5\.0s fault p1-errors started/);
    assert.match(rows[2], /^\s+5\.4s .*payments-1/);
    assert.match(rows[3], /^\s+6\.0s payments-0 killed/);
  });

  test('the same line again within 2s of event time is counted on the earlier one, wherever it lands', () => {
    const s = run([
      ...late,
      // A second caller's ejection of the same instance, at 5.5s, received at 8s.
      { type: 'sidecar-event', at: T0 + 8000, event: ejected(T0 + 5500, 'gateway-0', 'payments-1') },
      { type: 'sidecar-event', at: T0 + 9000, event: unejected(T0 + 8800, 'checkout-0', 'payments-1') },
    ]);
    const ejections = s.log.filter((l) => l.key.startsWith('ejected'));
    assert.equal(ejections.length, 1);
    assert.equal(ejections[0].count, 2);
    assert.deepEqual(s.log.map((l) => l.at), [...s.log.map((l) => l.at)].sort((a, b) => a - b));
  });

  test('plain progress lines carry the time the sidecar saw the event', () => {
    const lines: string[] = [];
    const print = createProgressPrinter((l) => lines.push(l), { color: false });
    for (const e of late) print(e);
    const ejection = lines.find((l) => /payments-1/.test(l) && /eject/i.test(l));
    // run-starting was at T0 - 1.5s: 5.4s into the load is 6.9s into the run.
    assert.match(ejection ?? '', /^\[\s+6\.9s\] checkout-0:/);
  });
});

describe('an inconclusive run in the live view', () => {
  const sc = outlierScenario();
  const health = {
    harnessLoop: { p50Ms: 0.2, p99Ms: 3, maxMs: 12, samples: 3000 },
    loadLoop: null,
    sidecarLoops: { 'checkout-0': { p50Ms: 4, p99Ms: 83, maxMs: 240, samples: 2500 } },
    cpu: { cores: 2, busy: 0.99, busyMax: 1, steal: 0, samples: 30 },
    faults: [{ fault: 'p1-errors', edge: 'start' as const, plannedMs: 5000, beganMs: 5700, appliedMs: 5710, lateMs: 700 }],
    load: null,
  };
  function ended(): RunViewState {
    const end: RunEvent[] = [
      { type: 'load-finished', at: T0 + 30_500, requests: 6000, errors: 0, honesty: honestyOf({ rate: 200, seconds: 30, cap: 20 }) },
      { type: 'harness-health', at: T0 + 30_600, health, breaches: [{ expectation: 'p99(client) < 250ms', promises: ['sidecar-loops', 'cpu'] }] },
    ];
    for (const e of sc.expect) {
      const inconclusive = e.text === 'p99(client) < 250ms';
      end.push({
        type: 'expectation-settled',
        at: T0 + 30_700,
        verdict: {
          expectation: e,
          status: inconclusive ? 'inconclusive' : 'held',
          measured: 200,
          window: { fromMs: 0, toMs: 30_000 },
          evidence: {},
          explanation: 'x',
          ...(inconclusive ? { inconclusive: { wouldBe: 'held' as const, reasons: ['sidecar checkout-0: event loop late by 83ms at p99'], promises: ['sidecar-loops' as const], figures: { sidecar_loop_p99_ms: 83 } } } : {}),
        },
      });
    }
    end.push({ type: 'run-finished', at: T0 + 30_800, passed: false, reportDir: null });
    return run([...scriptedRun(30), ...end]);
  }

  test('the checklist says inconclusive with why, and a harness-health section gives the figures', async () => {
    const { checklistRows, checklistWants } = await import('../../src/tui/components/checklist.ts');
    const { checkView } = await import('../../src/tui/state/live-check.ts');
    const s = ended();
    const items = s.checklist.map((c) => checkView(s, c));
    const p99 = items.find((i) => i.text === 'p99(client) < 250ms')!;
    assert.equal(p99.status, 'inconclusive');
    assert.match(p99.note, /event loop late by 83ms at p99 \(measured alone: held\)/);
    const rows = checklistRows({ items, width: 140, height: checklistWants(s.checklist, s.health), color: false, health: s.health }).map((r) => r.map((seg) => seg.text).join(''));
    assert.ok(rows.some((r) => /^\? inconclusive\s+p99\(client\) < 250ms/.test(r)), rows.join('\n'));
    const at = rows.findIndex((r) => r.startsWith('HARNESS HEALTH'));
    assert.ok(at > 0, rows.join('\n'));
    assert.match(rows[at], /3 promises broken/);
    assert.ok(rows.some((r) => /^\? fault p1-errors start: planned 5s, took effect 5\.7s \(700ms late\)/.test(r)), rows.join('\n'));
    assert.ok(rows.some((r) => /^\? sidecars' event loops: worst checkout-0: p99 83ms/.test(r)));
    assert.ok(rows.some((r) => /^✔ harness event loop: p99 3ms/.test(r)));
    // The log ends with what the run came to, and the header says the same: not "failed" (exit 3, not 1).
    assert.match(s.log.at(-1)!.text, /^run inconclusive: \d+ held, 0 broken, 1 inconclusive/);
    const { titleRow } = await import('../../src/tui/components/header.ts');
    const top = titleRow({ state: s, width: 100, quitting: false, color: false }).map((seg) => seg.text).join('');
    assert.match(top, /\? inconclusive/);
    assert.doesNotMatch(top, /failed/);
    assert.ok(s.log.some((l) => /^harness health: CPU 99% busy.* — made inconclusive: p99\(client\) < 250ms$/.test(l.text)));
    // The late fault broke a promise no expectation here depends on: the log says what it cost.
    assert.ok(s.log.some((l) => /^harness health: fault p1-errors start .* — broke none that matters/.test(l.text)));
  });
});
