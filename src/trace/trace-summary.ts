import type { TracingStats } from '../contract/span-sink.ts';
import type { ReceiverStats } from './receiver.ts';
import type { SdkExportStats } from './sdk-trace-export.ts';
import { spanStatus, type SpanRecord } from './span-model.ts';
import type { TraceInfo, TraceStore } from './trace-store.ts';
import { waterfall, waterfallText, type WaterfallRow } from './waterfall.ts';

/** One trace picked for the report, with its waterfall. */
export interface TraceView {
  traceId: string;
  /** Epoch ms of its first span. */
  startMs: number;
  durationMs: number;
  /** The HTTP status the trace's root answered, null when it got none. */
  status: number | null;
  failed: boolean;
  rows: WaterfallRow[];
}

/** What result.json says about the run's traces (the spans themselves are in traces.json). */
export interface TraceSummary {
  spans: number;
  traces: number;
  /** The slowest trace (longest from first span start to last span end). */
  slowest: TraceView | null;
  /** A failed trace (root 5xx or error): the one with the most attempts. null when none failed. */
  failed: TraceView | null;
  /** Where spans were lost, so a reader knows how complete the traces are. */
  loss: {
    /** Spans the sidecars dropped because their export queue was full, by instance (only those with drops). */
    sidecarDropped: Record<string, number>;
    /** Spans in exports that failed, by instance. */
    sidecarExportFailed: Record<string, number>;
    /** Spans the harness did not keep because its store was full. */
    storeDropped: number;
    /** Exports the receiver refused. */
    rejectedExports: number;
  };
  /**
  Export to the user's collector (the OTEL_* variables; docs/traces.md), counted in spans: the
  sidecars' and the harness's own run spans. `url` names the exporters (`otlp (grpc) http://…`).
  null when nothing was exported.
  */
  forward: { url: string; forwarded: number; failed: number; dropped: number } | null;
}

export function traceView(t: TraceInfo): TraceView {
  return { traceId: t.traceId, startMs: t.startMs, durationMs: Math.round(t.durationMs * 1000) / 1000, status: spanStatus(t.root), failed: t.failed, rows: waterfall(t.spans) };
}

export function summariseTraces(
  store: TraceStore,
  receiver: ReceiverStats,
  sidecars: Record<string, TracingStats>,
  exported: SdkExportStats | null,
  /** The measured window (epoch ms): the traces shown start in it, not in the warm-up. @default everything */
  window: { fromMs: number; toMs: number } = { fromMs: -Infinity, toMs: Infinity },
): TraceSummary {
  const slowest = store.slowest(window.fromMs, window.toMs) ?? store.slowest();
  const failed = store.failed(window.fromMs, window.toMs) ?? store.failed();
  const sidecarDropped: Record<string, number> = {};
  const sidecarExportFailed: Record<string, number> = {};
  for (const [instance, s] of Object.entries(sidecars)) {
    if (s.spans_dropped > 0) sidecarDropped[instance] = s.spans_dropped;
    if (s.spans_export_failed > 0) sidecarExportFailed[instance] = s.spans_export_failed;
  }
  return {
    spans: store.size,
    traces: store.traceCount,
    slowest: slowest ? traceView(slowest) : null,
    failed: failed ? traceView(failed) : null,
    loss: { sidecarDropped, sidecarExportFailed, storeDropped: store.dropped, rejectedExports: receiver.rejected },
    forward: exported ? { url: exported.exporters.join(', '), forwarded: exported.exported, failed: exported.failed, dropped: exported.dropped } : null,
  };
}

/** Most waterfall rows shown per trace in summary.md. */
const MAX_MARKDOWN_ROWS = 40;

/** Markdown lines for summary.md: the slowest and a failed trace as text waterfalls, and what was lost. */
export function tracesMarkdown(summary: TraceSummary | null | undefined): string[] {
  if (!summary) return [];
  const out: string[] = ['', `**Traces** — ${summary.traces} trace(s), ${summary.spans} span(s) in \`traces.json\``];
  const lost = Object.values(summary.loss.sidecarDropped).reduce((a, b) => a + b, 0) + summary.loss.storeDropped;
  if (lost > 0) out.push('', `> ${lost} span(s) were dropped (export queues or the trace store were full): some traces are incomplete.`);
  if (summary.forward) out.push('', `Exported to ${summary.forward.url}: ${summary.forward.forwarded} span(s)${summary.forward.failed ? `, ${summary.forward.failed} failed` : ''}${summary.forward.dropped ? `, ${summary.forward.dropped} dropped` : ''}.`);
  const show = (title: string, v: TraceView) => {
    // A CI summary has little room: a long trace is cut, the rest is in traces.json.
    const rows = v.rows.slice(0, MAX_MARKDOWN_ROWS);
    const more = v.rows.length - rows.length;
    out.push('', `${title}: \`${v.traceId}\` — ${v.durationMs.toFixed(1)} ms, ${v.status === null ? 'no response' : `status ${v.status}`}`, '', '```', waterfallText(rows));
    if (more > 0) out.push(`… ${more} more span(s) in traces.json`);
    out.push('```');
  };
  if (summary.slowest) show('Slowest trace', summary.slowest);
  if (summary.failed && summary.failed.traceId !== summary.slowest?.traceId) show('A failed trace', summary.failed);
  else if (summary.failed) out.push('', 'The slowest trace is also a failed one.');
  return out;
}

/** The content of traces.json: every span kept, and the summary. */
export function tracesFile(runId: string, summary: TraceSummary, spans: SpanRecord[]): string {
  // One span per line: a large file stays greppable and diffable.
  const head = JSON.stringify({ format: 1, runId, summary }, null, 2);
  const body = spans.map((s) => '    ' + JSON.stringify(s)).join(',\n');
  return `${head.slice(0, -2)},\n  "spans": [\n${body}\n  ]\n}\n`;
}
