import { ATTR, spanFailed, spanRole, spanStatus, type SpanRecord } from './span-model.ts';

export interface TraceStoreOptions {
  /**
  Most spans kept; beyond, new spans are dropped and counted, so a long run at a high rate cannot
  exhaust the harness's memory (a span takes about 450 bytes here: 400 000 spans ≈ 180 MB). At the
  default 500 traces a second and 8 spans a trace (three tiers), that is 100 s of load.
  @default 400000
  */
  maxSpans?: number;
}

/** One trace, as the store sees it. */
export interface TraceInfo {
  traceId: string;
  spans: SpanRecord[];
  /** Span without a parent in the trace (the earliest one when there are several, e.g. a parent was dropped). */
  root: SpanRecord;
  startMs: number;
  /** From the first span's start to the last span's end. */
  durationMs: number;
  failed: boolean;
}

/** The most attempts seen on one edge within any one request (trace), with the trace that had them. */
export interface AttemptsOnEdge {
  /** Most attempt spans from `from` to `to` in one trace; 0 when no trace had that edge. */
  max: number;
  /** The trace with the most (earliest of equals), null when none. */
  traceId: string | null;
  /** Traces that had at least one attempt on the edge. */
  requests: number;
  /** Traces looked at (their root started inside the window). */
  traces: number;
  /** How many of those requests needed more than one attempt. */
  retried: number;
}

/**
Spans collected during a run, grouped by trace. Bounded: the first `maxSpans` spans are kept,
the rest counted as dropped (an expectation over traces says so in its evidence).
*/
export class TraceStore {
  private readonly maxSpans: number;
  private readonly byTrace = new Map<string, SpanRecord[]>();
  private count = 0;
  /** traces() as of the last add: the summary and every expectation over traces read it, often over 10⁵ spans. */
  private cached: readonly TraceInfo[] | null = null;
  /** Spans refused because the store was full. */
  dropped = 0;

  constructor(options: TraceStoreOptions = {}) {
    this.maxSpans = options.maxSpans ?? 400_000;
  }

  get size(): number {
    return this.count;
  }

  /** Traces held. */
  get traceCount(): number {
    return this.byTrace.size;
  }

  add(spans: readonly SpanRecord[]): void {
    if (spans.length > 0) this.cached = null;
    for (const s of spans) {
      if (this.count >= this.maxSpans) {
        this.dropped++;
        continue;
      }
      let list = this.byTrace.get(s.traceId);
      if (!list) this.byTrace.set(s.traceId, (list = []));
      list.push(s);
      this.count++;
    }
  }

  spans(): SpanRecord[] {
    const out: SpanRecord[] = [];
    for (const list of this.byTrace.values()) out.push(...list);
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  trace(traceId: string): TraceInfo | null {
    const spans = this.byTrace.get(traceId);
    return spans ? traceInfo(traceId, spans) : null;
  }

  /** Every trace, earliest first (built once per change of the store). */
  traces(): readonly TraceInfo[] {
    this.cached ??= [...this.byTrace].map(([id, spans]) => traceInfo(id, spans)).sort((a, b) => a.startMs - b.startMs);
    return this.cached;
  }

  /**
  Attempts from service `from` to service `to`, per request: for each trace whose root starts in
  [fromMs, toMs), the attempt spans sent by `from`'s sidecars to `to` (only those to instance
  `toInstance` when given).
  */
  attempts(from: string, to: string, fromMs = -Infinity, toMs = Infinity, toInstance?: string): AttemptsOnEdge {
    const r: AttemptsOnEdge = { max: 0, traceId: null, requests: 0, traces: 0, retried: 0 };
    for (const t of this.traces()) {
      if (t.startMs < fromMs || t.startMs >= toMs) continue;
      r.traces++;
      let n = 0;
      for (const s of t.spans) {
        if (s.service !== from || spanRole(s) !== 'attempt' || s.attributes[ATTR.destination] !== to) continue;
        if (toInstance === undefined || s.attributes[ATTR.upstreamInstance] === toInstance) n++;
      }
      if (n === 0) continue;
      r.requests++;
      if (n > 1) r.retried++;
      if (n > r.max) {
        r.max = n;
        r.traceId = t.traceId;
      }
    }
    return r;
  }

  /** The trace that took longest among those whose root started in [fromMs, toMs), or null. */
  slowest(fromMs = -Infinity, toMs = Infinity): TraceInfo | null {
    let best: TraceInfo | null = null;
    for (const t of this.traces()) if (t.startMs >= fromMs && t.startMs < toMs && (!best || t.durationMs > best.durationMs)) best = t;
    return best;
  }

  /**
  A failed trace to show, among those whose root started in [fromMs, toMs): one that got an error
  status rather than none (a request the load generator cut at its end is a failure of little
  interest), then the one with the most attempt spans (the most to see), then the longest.
  null when no request failed.
  */
  failed(fromMs = -Infinity, toMs = Infinity): TraceInfo | null {
    let best: TraceInfo | null = null;
    let bestKey: number[] = [];
    for (const t of this.traces()) {
      if (!t.failed || t.startMs < fromMs || t.startMs >= toMs) continue;
      const key = [spanStatus(t.root) === null ? 0 : 1, t.spans.filter((s) => spanRole(s) === 'attempt').length, t.durationMs];
      if (!best || key[0] > bestKey[0] || (key[0] === bestKey[0] && (key[1] > bestKey[1] || (key[1] === bestKey[1] && key[2] > bestKey[2])))) {
        best = t;
        bestKey = key;
      }
    }
    return best;
  }
}

function traceInfo(traceId: string, spans: SpanRecord[]): TraceInfo {
  const ids = new Set(spans.map((s) => s.spanId));
  let root: SpanRecord | null = null;
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    if (s.startMs < start) start = s.startMs;
    if (s.startMs + s.durationMs > end) end = s.startMs + s.durationMs;
    const isRoot = s.parentSpanId === null || !ids.has(s.parentSpanId);
    if (isRoot && (!root || s.startMs < root.startMs)) root = s;
  }
  root ??= spans[0];
  return { traceId, spans, root, startMs: start, durationMs: end - start, failed: spanFailed(root) };
}
