import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { renderHtml } from '../../../src/report/html/render-html.ts';
import { tracesSection } from '../../../src/report/html/traces-section.ts';
import type { TraceSummary } from '../../../src/trace/trace-summary.ts';
import type { WaterfallRow } from '../../../src/trace/waterfall.ts';
import { markedResult } from './helpers.ts';

function span(name: string, depth: number, startOffsetMs: number, durationMs: number, extra: Partial<WaterfallRow> = {}): WaterfallRow {
  return { spanId: name, parentSpanId: null, name, role: 'attempt', service: 'store', instance: 'store-1', startOffsetMs, durationMs, attempt: null, flags: '', policies: [], status: 200, failed: false, depth, ...extra };
}

const failedRows = [
  span('outbound store', 0, 0, 200, { role: 'outbound', instance: 'front-0', status: 503, flags: 'URX', policies: ['retry'], failed: true }),
  span('attempt 1 store-1', 1, 0, 50, { attempt: 1, status: 503, failed: true }),
  span('attempt 2 <store-0>', 1, 100, 100, { attempt: 2, instance: 'store-0', status: 503, flags: 'URX', failed: true }),
];

const summary: TraceSummary = {
  spans: 40,
  traces: 10,
  slowest: { traceId: 'aaaa', startMs: 0, durationMs: 200, status: 503, failed: true, rows: failedRows },
  failed: { traceId: 'bbbb', startMs: 0, durationMs: 200, status: 503, failed: true, rows: failedRows },
  loss: { sidecarDropped: { 'front-0': 3 }, sidecarExportFailed: {}, storeDropped: 0, rejectedExports: 0 },
  forward: null,
};

describe('tracesSection', () => {
  it('the slowest and a failed trace as waterfalls: a row per span, indented by depth, bars on the trace time axis, what happened', () => {
    const html = tracesSection(summary);
    assert.match(html, /^<section id="traces"><h2>Traces<\/h2>/);
    assert.match(html, /10 traces, 40 spans/);
    assert.match(html, /3 spans were lost on the way/);
    assert.equal(html.match(/<table class="waterfall">/g)?.length, 2);
    assert.equal(html.match(/<div class="wf-bar failed"/g)?.length, 6);
    // The second attempt starts half-way through the 200ms trace and lasts the other half.
    assert.match(html, /style="margin-left:50\.00%;width:50\.00%"/);
    assert.match(html, /<td style="padding-left:22px">attempt 1 store-1<\/td>/);
    assert.match(html, /503 · URX · retry/);
    assert.match(html, /attempt 2 &lt;store-0&gt;/, 'names are escaped');
  });

  it('nothing without tracing; a note when no trace was recorded', () => {
    assert.equal(tracesSection(null), '');
    assert.equal(tracesSection(undefined), '');
    assert.match(tracesSection({ ...summary, slowest: null, failed: null }), /No trace was recorded/);
  });

  it('report.html carries the section when result.json has traces', () => {
    assert.match(renderHtml({ ...markedResult(), traces: summary }), /<section id="traces">[\s\S]*<table class="waterfall">/);
    assert.doesNotMatch(renderHtml({ ...markedResult(), traces: null }), /id="traces"/);
  });
});
