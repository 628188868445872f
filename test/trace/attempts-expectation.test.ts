import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { parseExpectation } from '../../src/scenario/expectation-parser.ts';
import type { Expectation } from '../../src/scenario/scenario.ts';
import type { SpanRecord } from '../../src/trace/span-model.ts';
import { TraceStore } from '../../src/trace/trace-store.ts';
import { evaluateAny } from '../../src/verdict/evaluate.ts';
import type { RunFacts } from '../../src/verdict/verdict.ts';
import { TOPOLOGY } from '../scenario/helpers.ts';
import { makeScenario, makeTimeline, T0 } from '../verdict/helpers.ts';

const SITE = { file: 's.yaml', path: 'expect[0]', line: 7, col: 5 };

function parse(text: string): Expectation {
  const r = parseExpectation(text, TOPOLOGY, SITE);
  assert.deepEqual(r.issues, [], text);
  return r.expectation as Expectation;
}

function problem(text: string): string {
  const r = parseExpectation(text, TOPOLOGY, SITE);
  assert.equal(r.expectation, null);
  return r.issues.map((i) => `${i.col} ${i.message}`).join('\n');
}

let id = 1;
/** One request at `startMs` (epoch) with `tries` attempts from front to store (the last to `last`). */
function request(trace: string, startMs: number, tries: number, last = 'store-0'): SpanRecord[] {
  const traceId = trace.repeat(32).slice(0, 32);
  const mk = (over: Partial<SpanRecord>): SpanRecord => ({
    traceId,
    spanId: (id++).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: '',
    kind: 'server',
    service: 'front',
    instance: 'front-0',
    startMs,
    durationMs: 10,
    error: false,
    attributes: {},
    ...over,
  });
  const root = mk({ name: 'outbound front', service: 'client', instance: 'ingress', attributes: { 'meshproof.role': 'outbound', 'meshproof.destination': 'front' } });
  const out = mk({ name: 'outbound store', parentSpanId: root.spanId, attributes: { 'meshproof.role': 'outbound', 'meshproof.destination': 'store' } });
  const spans = [root, out];
  for (let n = 1; n <= tries; n++) {
    const to = n === tries ? last : 'store-1';
    spans.push(mk({ name: `attempt ${n} ${to}`, kind: 'client', parentSpanId: out.spanId, startMs: startMs + n, attributes: { 'meshproof.role': 'attempt', 'meshproof.destination': 'store', 'meshproof.attempt': n, 'meshproof.upstream.instance': to } }));
  }
  return spans;
}

describe('attempts(caller -> callee) <op> <n> per request', () => {
  it('parses as an edge-only count metric with "per request" after the value, a window after that', () => {
    const e = parse('attempts(front -> store) <= 3 per request');
    assert.equal(e.metric, 'attempts');
    assert.equal(e.unit, 'count');
    assert.deepEqual(e.scope, { kind: 'edge', from: 'front', to: 'store' });
    assert.equal(e.value, 3);
    assert.deepEqual(parse('attempts(front -> store-1) < 2 per request between 2s and 5s').window, { kind: 'between', fromMs: 2000, toMs: 5000 });
  });

  it('refuses it without "per request", on a service, or with a non-count value, at the right token', () => {
    assert.match(problem('attempts(front -> store) <= 3'), /^34 expected "per request" after the value: attempts is counted in each request, e\.g\. attempts\(front -> store\) <= 3 per request; found the end of the sentence$/);
    assert.match(problem('attempts(front -> store) <= 3 per call'), /^39 expected "per request" after the value.*found "call"$/);
    assert.match(problem('attempts(store) <= 3 per request'), /attempts .*edge/);
    assert.match(problem('attempts(front -> store) <= 2.5 per request'), /attempts is a count: expected a whole number/);
  });

  it('from the traces: the most attempts in one request on the edge, in the window; the trace that had them in the evidence', () => {
    const store = new TraceStore();
    store.add([...request('a', T0 + 500, 1), ...request('b', T0 + 1500, 3), ...request('c', T0 + 6500, 4), ...request('d', T0 + 7500, 2)]);
    const facts: RunFacts = { t0: T0, faults: [], events: [], states: [], traces: store };
    const scenario = makeScenario();
    const timeline = makeTimeline(10, []);

    const all = evaluateAny(parse('attempts(front -> store) <= 3 per request'), scenario, timeline, facts);
    assert.equal(all.status, 'failed');
    assert.equal(all.measured, 4);
    assert.deepEqual(all.evidence, { max: 4, requests: 4, retried: 3, traces: 4 });
    assert.match(all.explanation, /^attempts\(front -> store\) was at most 4 attempts in one request, in trace c{32} \(3 of 4 traced requests on the edge retried\) over 0s–10s; needed <= 3 per request$/);

    const early = evaluateAny(parse('attempts(front -> store) <= 3 per request between 0s and 5s'), scenario, timeline, facts);
    assert.equal(early.status, 'held');
    assert.equal(early.measured, 3);

    const toOne = evaluateAny(parse('attempts(front -> store-0) == 1 per request'), scenario, timeline, facts);
    assert.equal(toOne.status, 'held', 'each request sent its last try, only that one, to store-0');
  });

  it('no traced request on the edge, or no tracing at all, is no data', () => {
    const scenario = makeScenario();
    const timeline = makeTimeline(10, []);
    const e = parse('attempts(store -> cache) <= 3 per request');
    const store = new TraceStore();
    store.add(request('a', T0 + 500, 2));
    const none = evaluateAny(e, scenario, timeline, { t0: T0, faults: [], events: [], states: [], traces: store });
    assert.equal(none.status, 'no_data');
    assert.match(none.explanation, /no traced request went store -> cache over 0s–10s \(1 trace in the window\)/);
    const off = evaluateAny(e, scenario, timeline, { t0: T0, faults: [], events: [], states: [] });
    assert.equal(off.status, 'no_data');
    assert.match(off.explanation, /the run was not traced/);
  });

  it('says when spans were dropped, since a request may then have been judged on part of its trace', () => {
    const store = new TraceStore({ maxSpans: 4 });
    store.add(request('a', T0 + 500, 3));
    const v = evaluateAny(parse('attempts(front -> store) <= 3 per request'), makeScenario(), makeTimeline(10, []), { t0: T0, faults: [], events: [], states: [], traces: store });
    assert.equal(v.measured, 2);
    assert.match(v.explanation, /; 1 span was dropped, so some requests were judged on incomplete traces$/);
  });
});
