import type { FinishedSpan, SpanSink, TracingStats } from '../../src/contract/span-sink.ts';

/** A SpanSink that keeps spans in memory, ids from a counter (readable in failures). */
export class MemorySink implements SpanSink {
  readonly spans: FinishedSpan[] = [];
  sample = true;
  private next = 1;

  sampleRoot(): boolean {
    return this.sample;
  }

  newSpanId(): string {
    return (this.next++).toString(16).padStart(16, '0');
  }

  record(span: FinishedSpan): void {
    this.spans.push(span);
  }

  stats(): TracingStats {
    return { spans_recorded: this.spans.length, spans_dropped: 0, spans_exported: 0, spans_export_failed: 0, traces_rate_limited: 0 };
  }

  async shutdown(): Promise<void> {}

  byName(prefix: string): FinishedSpan[] {
    return this.spans.filter((s) => s.name.startsWith(prefix));
  }
}
