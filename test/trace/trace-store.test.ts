import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { decodeOtlpJson } from '../../src/trace/otlp-json.ts';
import type { SpanRecord } from '../../src/trace/span-model.ts';
import { TraceStore } from '../../src/trace/trace-store.ts';
import { tracesMarkdown, summariseTraces, tracesFile } from '../../src/trace/trace-summary.ts';
import { waterfall, waterfallText } from '../../src/trace/waterfall.ts';

let nextId = 1;
function span(traceId: string, over: Partial<SpanRecord> & { role?: string; attrs?: SpanRecord['attributes'] }): SpanRecord {
  const { role, attrs, ...rest } = over;
  return {
    traceId: traceId.repeat(32).slice(0, 32),
    spanId: (nextId++).toString(16).padStart(16, '0'),
    parentSpanId: null,
    name: 'x',
    kind: 'server',
    service: 'front',
    instance: 'front-0',
    startMs: 1000,
    durationMs: 10,
    error: false,
    attributes: { ...(role ? { 'meshproof.role': role } : {}), ...attrs },
    ...rest,
  };
}

/** One request: client → front → store, with `tries` attempts on front → store (all but the last 503). */
function request(traceId: string, start: number, tries: number, lastStatus = 200): SpanRecord[] {
  const root = span(traceId, { name: 'outbound front', service: 'client', instance: 'ingress', role: 'outbound', startMs: start, durationMs: 50, attrs: { 'http.response.status_code': lastStatus, 'meshproof.destination': 'front' } });
  const out = span(traceId, { name: 'outbound store', parentSpanId: root.spanId, role: 'outbound', startMs: start + 1, durationMs: 45, attrs: { 'meshproof.destination': 'store', 'http.response.status_code': lastStatus } });
  const spans = [root, out];
  for (let i = 1; i <= tries; i++) {
    const status = i === tries ? lastStatus : 503;
    spans.push(
      span(traceId, {
        name: `attempt ${i} store-0`,
        kind: 'client',
        parentSpanId: out.spanId,
        role: 'attempt',
        startMs: start + 2 + (i - 1) * 10,
        durationMs: 8,
        error: status >= 500,
        attrs: { 'meshproof.destination': 'store', 'meshproof.attempt': i, 'http.response.status_code': status, ...(i > 1 ? { 'meshproof.policy': ['retry'] } : {}), ...(status >= 500 && i === tries ? { 'meshproof.response_flags': 'URX' } : {}) },
      }),
    );
  }
  return spans;
}

describe('trace store', () => {
  it('attempts per request on an edge: the most in one trace, which trace, how many were retried; a window by root start', () => {
    const store = new TraceStore();
    store.add([...request('a', 1000, 1), ...request('b', 2000, 3), ...request('c', 3000, 2), ...request('d', 4000, 4, 503)]);
    assert.deepEqual(store.attempts('front', 'store'), { max: 4, traceId: 'd'.repeat(32), requests: 4, traces: 4, retried: 3 });
    assert.deepEqual(store.attempts('front', 'store', 0, 3500), { max: 3, traceId: 'b'.repeat(32), requests: 3, traces: 3, retried: 2 });
    assert.equal(store.attempts('client', 'front').max, 0, 'no attempt spans on that edge');
    assert.equal(store.attempts('store', 'front').requests, 0);
  });

  it('bounded: spans beyond maxSpans are dropped and counted', () => {
    const store = new TraceStore({ maxSpans: 5 });
    store.add(request('a', 0, 3));
    store.add(request('b', 0, 1));
    assert.equal(store.size, 5);
    assert.equal(store.dropped, 3);
  });

  it('slowest and failed: within the window; a failed trace with a status beats one without, then more attempts', () => {
    const store = new TraceStore();
    const cut = request('e', 5000, 1);
    for (const s of cut) delete s.attributes['http.response.status_code'];
    cut[0].error = true;
    cut[0].durationMs = 500;
    store.add([...request('a', 1000, 1), ...request('b', 2000, 2, 503), ...request('c', 3000, 3, 503), ...cut]);
    store.add([span('w', { startMs: 10, durationMs: 900, role: 'outbound', attrs: { 'http.response.status_code': 200 } })]);
    assert.equal(store.slowest()!.traceId, 'w'.repeat(32), 'the warm-up trace is slowest of all');
    assert.equal(store.slowest(1000, 10_000)!.traceId, 'e'.repeat(32));
    assert.equal(store.failed(1000, 10_000)!.traceId, 'c'.repeat(32));
    assert.equal(store.failed(5000, 10_000)!.traceId, 'e'.repeat(32), 'without another, a request that got no answer');
    assert.equal(store.failed(0, 999), null);
  });
});

describe('waterfall', () => {
  it('rows depth-first under their parents, children by start, offsets from the trace start', () => {
    const spans = request('a', 1000, 2, 200);
    const rows = waterfall([...spans].reverse());
    assert.deepEqual(
      rows.map((r) => [r.name, r.depth, r.startOffsetMs, r.durationMs, r.attempt, r.status, r.failed]),
      [
        ['outbound front', 0, 0, 50, null, 200, false],
        ['outbound store', 1, 1, 45, null, 200, false],
        ['attempt 1 store-0', 2, 2, 8, 1, 503, true],
        ['attempt 2 store-0', 2, 12, 8, 2, 200, false],
      ],
    );
    assert.deepEqual(rows[3].policies, ['retry']);
    assert.equal(rows[3].role, 'attempt');
    assert.equal(rows[0].service, 'client');
    assert.equal(rows[0].instance, 'ingress');
  });

  it('a span whose parent is missing is shown as a root', () => {
    const [root, ...rest] = request('a', 1000, 1);
    const rows = waterfall(rest);
    assert.equal(rows[0].name, 'outbound store');
    assert.equal(rows[0].depth, 0);
    assert.equal(root.name, 'outbound front');
  });

  it('as text: a line per span, indented by depth, bars on one time axis, status, flags and policy', () => {
    const text = waterfallText(waterfall(request('a', 1000, 2, 503)), { barWidth: 10 });
    const lines = text.split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0], /^span\s+start ms\s+dur ms\s+timeline\s+status flags policy$/);
    assert.match(lines[1], /^outbound front \(client\)\s+0\.0\s+50\.0 \|▒▒▒▒▒▒▒▒▒▒\| 503$/, 'a failed span is drawn shaded');
    assert.match(lines[3], /^ {4}attempt 1 store-0 \(front\)\s+2\.0\s+8\.0 \|▒▒\s+\| 503$/);
    assert.match(lines[4], /^ {4}attempt 2 store-0 \(front\)\s+12\.0\s+8\.0 \| {2}▒▒\s+\| 503 URX retry$/);
  });

  it('the summary in Markdown: the slowest and a failed trace in code blocks, losses said', () => {
    const store = new TraceStore({ maxSpans: 100 });
    const b = request('b', 2000, 2, 503);
    b[0].durationMs = 60;
    store.add([...request('a', 1000, 1), ...b]);
    const summary = summariseTraces(store, { exports: 1, spans: 7, rejected: 0 }, { 'front-0': { spans_recorded: 7, spans_dropped: 3, spans_exported: 7, spans_export_failed: 0, traces_rate_limited: 0 } }, null);
    assert.deepEqual(summary.loss.sidecarDropped, { 'front-0': 3 });
    const md = tracesMarkdown(summary).join('\n');
    assert.match(md, /\*\*Traces\*\* — 2 trace\(s\), 7 span\(s\) in `traces.json`/);
    assert.match(md, /3 span\(s\) were dropped/);
    assert.match(md, /The slowest trace is also a failed one\./);
    assert.equal(md.split('```').length - 1, 2);
    // traces.json: valid JSON with the summary and every span.
    const file = JSON.parse(tracesFile('run-1', summary, store.spans()));
    assert.equal(file.runId, 'run-1');
    assert.equal(file.spans.length, 7);
    assert.equal(file.summary.traces, 2);
  });
  it('a long trace is cut to 40 rows in summary.md, saying how many more are in traces.json', () => {
    const store = new TraceStore();
    store.add(request('a', 1000, 50, 503));
    const summary = summariseTraces(store, { exports: 1, spans: 52, rejected: 0 }, {}, null);
    const md = tracesMarkdown(summary).join('\n');
    assert.match(md, /… 12 more span\(s\) in traces\.json\n```/);
    assert.equal(summary.slowest!.rows.length, 52, 'result.json keeps every row');
  });
});

describe('OTLP JSON decoding', () => {
  it('accepts base64 ids, enum names, numbers for 64-bit integers and pre-1.0 instrumentationLibrarySpans', () => {
    const spans = decodeOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'store' } }] },
          instrumentationLibrarySpans: [
            {
              spans: [
                {
                  traceId: Buffer.alloc(16, 0xab).toString('base64'),
                  spanId: Buffer.alloc(8, 0xcd).toString('base64'),
                  name: 'inbound store-0',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: 1_000_000_000,
                  endTimeUnixNano: '1002500000',
                  status: { code: 'STATUS_CODE_ERROR' },
                  attributes: [{ key: 'n', value: { intValue: '7' } }, { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { boolValue: true } }] } } }],
                },
              ],
            },
          ],
        },
      ],
    });
    assert.deepEqual(spans, [
      {
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
        parentSpanId: null,
        name: 'inbound store-0',
        kind: 'server',
        service: 'store',
        instance: '',
        startMs: 1000,
        durationMs: 2.5,
        error: true,
        attributes: { n: 7, kv: { a: true } },
      },
    ]);
  });

  it('refuses a span without valid ids', () => {
    assert.throws(() => decodeOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '00'.repeat(16), spanId: '11'.repeat(8), name: 'z' }] }] }] }), /span "z" has no valid traceId\/spanId/);
  });
});
