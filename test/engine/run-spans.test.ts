import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { RunSpans } from '../../src/engine/run-spans.ts';
import type { RunEvent } from '../../src/events.ts';
import type { Verdict } from '../../src/verdict/verdict.ts';
import { honestyOf } from '../helpers/load-honesty.ts';

const T = 1_780_000_000_000;

function verdict(text: string, status: Verdict['status'], measured: number): Verdict {
  return { expectation: { text } as Verdict['expectation'], status, measured, window: { fromMs: 0, toMs: 2000 }, evidence: {}, explanation: `${text}: ${status}` };
}

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const spans = new RunSpans(provider.getTracer('meshproof'), { runId: 'r1', scenario: 'demo', file: 'scenarios/demo.yaml', seed: 7, runtime: 'local', startMs: T });
  const byName = (name: string): ReadableSpan => {
    const s = exporter.getFinishedSpans().find((x) => x.name === name);
    assert.ok(s, `${name} in ${exporter.getFinishedSpans().map((x) => x.name).join(', ')}`);
    return s;
  };
  const ms = (s: ReadableSpan, end = false) => {
    const [sec, ns] = end ? s.endTime : s.startTime;
    return Math.round(sec * 1000 + ns / 1e6);
  };
  return { exporter, spans, byName, ms };
}

describe('the run\'s own spans, from the engine\'s events', () => {
  it('a root span with its phases in order, the fault from applied to ended, a span per expectation under verdicts', () => {
    const { spans, byName, ms } = setup();
    const events: RunEvent[] = [
      { type: 'run-starting', at: T, scenario: 'demo', runId: 'r1' },
      { type: 'instance-up', at: T + 100, instance: 'store-0', service: 'store', ports: {} },
      { type: 'topology-ready', at: T + 800, instances: 3, ms: 800 },
      { type: 'load-started', at: T + 2003, t0: T + 2000, rate: 100, arrivals: 'uniform', connections: 10, durationMs: 2000 },
      { type: 'fault-started', at: T + 2400, fault: 'p0-crash', detail: 'SIGKILL sent to payments-0' },
      { type: 'instance-down', at: T + 2400, instance: 'payments-0', reason: 'app exited' },
      { type: 'fault-ended', at: T + 3400, fault: 'p0-crash', detail: 'payments-0 started again' },
      { type: 'load-finished', at: T + 4000, requests: 200, errors: 1, honesty: honestyOf({ rate: 100, seconds: 2, dropEvery: 100 }) },
    ];
    for (const e of events) spans.onEvent(e);
    spans.phase('teardown', T + 4001);
    spans.onEvent({ type: 'teardown', at: T + 4500, stopped: 7 });
    spans.phase('verdicts', T + 4600);
    spans.onEvent({ type: 'expectation-settled', at: T + 4601, verdict: verdict('success_rate(client) >= 99%', 'held', 0.995) });
    spans.onEvent({ type: 'expectation-settled', at: T + 4602, verdict: verdict('p99(client) < 1ms', 'failed', 12) });
    spans.onEvent({ type: 'expectation-settled', at: T + 4603, verdict: verdict('rps(client) >= 1/s during x', 'no_data', NaN) });
    spans.finish({ passed: false, error: null, at: T + 4700 });
    // Events after the end change nothing.
    spans.onEvent({ type: 'run-finished', at: T + 5000, passed: false, reportDir: null });

    const root = byName('meshproof run demo');
    assert.equal(root.parentSpanContext, undefined);
    assert.deepEqual(root.attributes, { 'meshproof.run.id': 'r1', 'meshproof.scenario': 'demo', 'meshproof.scenario.file': 'scenarios/demo.yaml', 'meshproof.seed': 7, 'meshproof.runtime': 'local', 'meshproof.passed': false });
    assert.equal(root.status.code, SpanStatusCode.ERROR);
    assert.equal(root.status.message, 'an expectation did not hold');
    assert.deepEqual([ms(root), ms(root, true)], [T, T + 4700]);
    assert.deepEqual(root.events.map((e) => e.name), ['instance down payments-0']);

    const phases = [['topology start', T, T + 800], ['warm-up', T + 800, T + 2000], ['load', T + 2000, T + 4000], ['teardown', T + 4001, T + 4500], ['verdicts', T + 4600, T + 4700]] as const;
    for (const [name, from, to] of phases) {
      const p = byName(name);
      assert.equal(p.parentSpanContext?.spanId, root.spanContext().spanId, `${name} is a child of the run`);
      assert.equal(p.spanContext().traceId, root.spanContext().traceId);
      assert.deepEqual([ms(p), ms(p, true)], [from, to], name);
    }
    assert.deepEqual(byName('topology start').events.map((e) => e.name), ['instance up store-0']);
    assert.equal(byName('topology start').attributes['meshproof.instances'], 3);
    assert.deepEqual(byName('load').attributes, {
      'meshproof.load.model': 'open',
      'meshproof.load.rate': 100,
      'meshproof.load.arrivals': 'uniform',
      'meshproof.load.connections': 10,
      'meshproof.load.duration_ms': 2000,
      'meshproof.load.requests': 200,
      'meshproof.load.errors': 1,
      'meshproof.load.sent': 198,
      'meshproof.load.dropped': 2,
    });
    assert.equal(byName('teardown').attributes['meshproof.stopped'], 7);

    const fault = byName('fault p0-crash');
    assert.equal(fault.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.deepEqual([ms(fault), ms(fault, true)], [T + 2400, T + 3400]);
    assert.deepEqual(fault.attributes, { 'meshproof.fault': 'p0-crash', 'meshproof.fault.applied': 'SIGKILL sent to payments-0', 'meshproof.fault.ended': 'payments-0 started again' });

    const verdictsId = byName('verdicts').spanContext().spanId;
    const held = byName('expect success_rate(client) >= 99%');
    assert.equal(held.parentSpanContext?.spanId, verdictsId);
    assert.equal(held.status.code, SpanStatusCode.UNSET);
    assert.equal(held.attributes['meshproof.measured'], 0.995);
    const failed = byName('expect p99(client) < 1ms');
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.attributes['meshproof.verdict'], 'failed');
    const noData = byName('expect rps(client) >= 1/s during x');
    assert.equal(noData.status.code, SpanStatusCode.ERROR);
    assert.equal(noData.attributes['meshproof.measured'], undefined, 'NaN is left out');
  });

  it('a run that stops early: open phases and faults end with the run, the error is the root status', () => {
    const { exporter, spans, byName, ms } = setup();
    spans.onEvent({ type: 'topology-ready', at: T + 500, instances: 2, ms: 500 });
    spans.onEvent({ type: 'load-started', at: T + 1000, t0: T + 1000, rate: 10, arrivals: 'uniform', connections: 1, durationMs: 5000 });
    spans.onEvent({ type: 'fault-started', at: T + 1200, fault: 'slow', detail: 'latency 300ms' });
    spans.finish({ passed: false, error: 'interrupted: the run was stopped before the end of its load', at: T + 1500 });
    assert.equal(exporter.getFinishedSpans().length, 5);
    assert.deepEqual([ms(byName('load'), true), ms(byName('fault slow'), true)], [T + 1500, T + 1500]);
    assert.equal(byName('meshproof run demo').status.message, 'interrupted: the run was stopped before the end of its load');
    spans.finish({ passed: true });
    assert.equal(exporter.getFinishedSpans().length, 5, 'finish is idempotent');
  });

  it('a passing run: status unset', () => {
    const { spans, byName } = setup();
    spans.onEvent({ type: 'run-finished', at: T + 10, passed: true, reportDir: null });
    const root = byName('meshproof run demo');
    assert.equal(root.status.code, SpanStatusCode.UNSET);
    assert.equal(root.attributes['meshproof.passed'], true);
  });
});
