import { formatLatency, plural } from '../../util/format.ts';
import type { TraceSummary, TraceView } from '../../trace/trace-summary.ts';
import type { WaterfallRow } from '../../trace/waterfall.ts';
import { escapeHtml } from './escape.ts';

/** Rows past this are summarised: a trace of a retry storm can have hundreds of spans. */
const MAX_ROWS = 60;

/**
The run's traces in report.html: the slowest trace and a failed one as waterfalls (one row per
span, indented under its parent, with a bar on the trace's own time axis and what happened:
status, Envoy flags, the policies that acted), and where spans were lost. Empty when the run had
no tracing.
*/
export function tracesSection(summary: TraceSummary | null | undefined): string {
  if (!summary) return '';
  const parts = [`<section id="traces"><h2>Traces</h2><p class="muted">${plural(summary.traces, 'trace')}, ${plural(summary.spans, 'span')} (all spans are in traces.json).${lossText(summary)}</p>`];
  if (summary.slowest) parts.push(traceBlock('The slowest trace', summary.slowest));
  if (summary.failed) parts.push(traceBlock('A failed trace (the one with the most attempts)', summary.failed));
  if (!summary.slowest && !summary.failed) parts.push('<p class="muted">No trace was recorded.</p>');
  parts.push('</section>');
  return parts.join('');
}

function lossText(s: TraceSummary): string {
  const dropped = Object.values(s.loss.sidecarDropped).reduce((a, b) => a + b, 0) + Object.values(s.loss.sidecarExportFailed).reduce((a, b) => a + b, 0) + s.loss.storeDropped;
  return dropped > 0 ? ` ${plural(dropped, 'span')} were lost on the way (export queues full or exports failed), so some traces are incomplete.` : '';
}

function traceBlock(title: string, t: TraceView): string {
  const total = Math.max(t.durationMs, ...t.rows.map((r) => r.startOffsetMs + r.durationMs), 0.001);
  const shown = t.rows.slice(0, MAX_ROWS);
  const status = t.status === null ? 'no response' : `status ${t.status}`;
  const more = t.rows.length > shown.length ? `<p class="muted">${plural(t.rows.length - shown.length, 'more span')} in traces.json.</p>` : '';
  return (
    `<h3>${escapeHtml(title)}: ${escapeHtml(formatLatency(t.durationMs))}, ${escapeHtml(status)} <code class="muted">${escapeHtml(t.traceId)}</code></h3>` +
    `<table class="waterfall"><thead><tr><th>Span</th><th>Instance</th><th class="num">Start</th><th class="num">Duration</th><th class="wf-axis">0 – ${escapeHtml(formatLatency(total))}</th><th>What happened</th></tr></thead><tbody>` +
    shown.map((r) => row(r, total)).join('') +
    `</tbody></table>${more}`
  );
}

function row(r: WaterfallRow, total: number): string {
  const left = (r.startOffsetMs / total) * 100;
  const width = Math.max(0.4, (r.durationMs / total) * 100);
  const what = [r.status === null ? 'no response' : String(r.status), r.flags, r.policies.join(', ')].filter((x) => x !== '').join(' · ');
  return (
    `<tr class="${r.failed ? 'wf-failed' : ''}"><td style="padding-left:${8 + r.depth * 14}px">${escapeHtml(r.name)}</td><td>${escapeHtml(r.instance)}</td>` +
    `<td class="num">${escapeHtml(formatLatency(r.startOffsetMs))}</td><td class="num">${escapeHtml(formatLatency(r.durationMs))}</td>` +
    `<td class="wf-track"><div class="wf-bar${r.failed ? ' failed' : ''}" style="margin-left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%"></div></td>` +
    `<td>${escapeHtml(what)}</td></tr>`
  );
}
