/**
Where a sidecar's spans go. The sidecar builds plain span data on its request path and hands each
finished span over here (src/trace/otlp-span-sink.ts batches and exports them to the harness), only
when tracing is on, so a sidecar without tracing pays nothing for it.
*/
export interface SpanSink {
  /** Head sampling for a trace that starts at this sidecar (no sampled parent): true = record it. */
  sampleRoot(traceId: string): boolean;
  /** A new span id (16 hex digits, never all zero). */
  newSpanId(): string;
  /** A finished span; never throws, never blocks (a full queue drops it and counts it). */
  record(span: FinishedSpan): void;
  /** Counters for the admin stats. */
  stats(): TracingStats;
  /** Exports what is queued and stops; resolves within its export timeout whatever the receiver does. */
  shutdown(): Promise<void>;
}

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  /** null for a root span. */
  parentSpanId: string | null;
  name: string;
  kind: 'server' | 'client';
  /** Clock ms (the sidecar's monotonic clock), start and end. */
  start: number;
  end: number;
  error: boolean;
  attributes: Record<string, string | number | boolean | string[]>;
}

export interface TracingStats {
  /** Spans queued for export (not counting those dropped). */
  spans_recorded: number;
  /** Spans dropped because the export queue was full. */
  spans_dropped: number;
  /** Spans the receiver acknowledged. */
  spans_exported: number;
  /** Spans in exports that failed (receiver gone, timeout). */
  spans_export_failed: number;
  /** New traces not recorded because of the traces-per-second limit. */
  traces_rate_limited: number;
}
