import { ATTR, spanFailed, spanPolicies, spanRole, spanStatus, type SpanRecord } from './span-model.ts';

/** One row of a trace's waterfall: a span, placed in time relative to the trace's start. */
export interface WaterfallRow {
  spanId: string;
  parentSpanId: string | null;
  /** Span name, e.g. `attempt 2 store-1`. */
  name: string;
  /** `outbound`, `attempt`, `inbound`, `app`, or null for a span meshproof did not make. */
  role: string | null;
  service: string;
  instance: string;
  /** Milliseconds from the trace's first span's start. */
  startOffsetMs: number;
  durationMs: number;
  /** Attempt number (attempt spans), else null. */
  attempt: number | null;
  /** Envoy response flags, e.g. `UT,URX`; '' when none. */
  flags: string;
  /** Policies that acted (retry, per-try-timeout, timeout, circuit-breaker, outlier-ejection, …). */
  policies: string[];
  status: number | null;
  failed: boolean;
  /** Nesting level: 0 for the root, a child is one more than its parent. */
  depth: number;
}

/**
A trace as waterfall rows: depth-first from the root, children in start order, so each span
comes right under its parent (what the HTML report draws as bars, and the Markdown summary as text).
Spans whose parent is missing (dropped, or sent by something untraced) are shown as roots.
*/
export function waterfall(spans: readonly SpanRecord[]): WaterfallRow[] {
  if (spans.length === 0) return [];
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, SpanRecord[]>();
  for (const s of spans) {
    const p = s.parentSpanId !== null && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    let list = children.get(p);
    if (!list) children.set(p, (list = []));
    list.push(s);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs || a.name.localeCompare(b.name));
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const rows: WaterfallRow[] = [];
  const visit = (s: SpanRecord, depth: number) => {
    const attempt = s.attributes[ATTR.attempt];
    const flags = s.attributes[ATTR.flags];
    rows.push({
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      role: spanRole(s),
      service: s.service,
      instance: s.instance,
      startOffsetMs: round3(s.startMs - t0),
      durationMs: round3(s.durationMs),
      attempt: typeof attempt === 'number' ? attempt : null,
      flags: typeof flags === 'string' ? flags : '',
      policies: spanPolicies(s),
      status: spanStatus(s),
      failed: spanFailed(s),
      depth,
    });
    for (const c of children.get(s.spanId) ?? []) visit(c, depth + 1);
  };
  for (const r of children.get(null) ?? []) visit(r, 0);
  return rows;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
A waterfall as a fixed-width text chart (for summary.md inside a code block, or a terminal): one
line per span with its offset, duration, a bar placed on a shared time axis, and what happened.
*/
export function waterfallText(rows: readonly WaterfallRow[], options: { barWidth?: number } = {}): string {
  if (rows.length === 0) return '(no spans)';
  const width = options.barWidth ?? 32;
  const total = Math.max(...rows.map((r) => r.startOffsetMs + r.durationMs), 0.001);
  const label = (r: WaterfallRow) => `${'  '.repeat(r.depth)}${r.name}${r.service && !r.name.includes(r.service) ? ` (${r.service})` : ''}`;
  const labelWidth = Math.min(48, Math.max(...rows.map((r) => label(r).length)));
  const lines = rows.map((r) => {
    const from = Math.min(width - 1, Math.floor((r.startOffsetMs / total) * width));
    const len = Math.max(1, Math.round((r.durationMs / total) * width));
    const bar = ' '.repeat(from) + (r.failed ? '▒' : '█').repeat(Math.min(len, width - from));
    const what = [r.status === null ? '' : String(r.status), r.flags, r.policies.join(',')].filter((x) => x !== '').join(' ');
    return `${label(r).slice(0, labelWidth).padEnd(labelWidth)} ${fmt(r.startOffsetMs).padStart(8)} ${fmt(r.durationMs).padStart(8)} |${bar.padEnd(width)}| ${what}`.trimEnd();
  });
  const head = `${'span'.padEnd(labelWidth)} ${'start ms'.padStart(8)} ${'dur ms'.padStart(8)}  ${'timeline'.padEnd(width)}  status flags policy`;
  return [head, ...lines].join('\n');
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
