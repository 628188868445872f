import type { Scenario, Window } from '../scenario/scenario.ts';
import type { Timeline } from '../observe/timeline.ts';
import { formatDuration } from '../util/format.ts';
import { endMissing, faultSpan, isMissing, noFacts } from './fault-times.ts';
import type { RunFacts } from './verdict.ts';

/** A span of the run in ms from the start of the load; `toMs` is exclusive. */
export interface WindowMs {
  fromMs: number;
  toMs: number;
}

/**
A window placed on the run. `missing` says why it could not be (a fault that never started, an end
that never came): the expectation is then `no_data`. `label` names a fault window in words
("during p1-errors from +3s").
*/
export type ResolvedWindow = WindowMs & { missing?: string; label?: string };

/**
Where a window lies in the run, in ms from the start of the load. Fault-relative windows use the
times the run recorded in `facts.faults` (when each fault really took effect and ended), and the
schedule for a fault the run has no record of.
*/
export function resolveWindow(window: Window, scenario: Scenario, facts: RunFacts = noFacts(0)): ResolvedWindow {
  // The whole timeline, which is as long as the load (the load may be set shorter than the scenario).
  const runEnd = Math.max(scenario.durationMs, scenario.load.durationMs);
  switch (window.kind) {
    case 'run':
      return { fromMs: 0, toMs: runEnd };
    case 'between':
      return { fromMs: window.fromMs, toMs: window.toMs };
    case 'during': {
      const offset = window.fromOffsetMs ? ` from +${formatDuration(window.fromOffsetMs)}` : '';
      const label = `during ${window.fault}${offset}`;
      const span = faultSpan(window.fault, scenario, facts);
      if (isMissing(span)) return { fromMs: 0, toMs: 0, missing: span.missing, label };
      const fromMs = span.startMs + window.fromOffsetMs;
      const toMs = span.endMs ?? runEnd;
      if (toMs <= fromMs) {
        const lasted = toMs - span.startMs;
        const why = lasted <= 0 ? `${window.fault} was instant` : `${window.fault} lasted ${formatDuration(lasted)}, no longer than the +${formatDuration(window.fromOffsetMs)} offset`;
        return { fromMs, toMs: fromMs, missing: `the window is empty: ${why}`, label };
      }
      return { fromMs, toMs, label };
    }
    case 'before': {
      const label = `before ${window.fault}`;
      const span = faultSpan(window.fault, scenario, facts);
      if (isMissing(span)) return { fromMs: 0, toMs: 0, missing: span.missing, label };
      return { fromMs: 0, toMs: span.startMs, label };
    }
    case 'after': {
      const offset = window.offsetMs ? ` from +${formatDuration(window.offsetMs)}` : '';
      const label = `after ${window.fault}.${window.edge}${offset}`;
      const span = faultSpan(window.fault, scenario, facts);
      if (isMissing(span)) return { fromMs: 0, toMs: 0, missing: span.missing, label };
      const base = window.edge === 'start' ? span.startMs : span.endMs;
      if (base === null) return { fromMs: runEnd, toMs: runEnd, missing: endMissing(span), label };
      return { fromMs: base + window.offsetMs, toMs: runEnd, label };
    }
  }
}

/** The timeline's seconds a window covers: buckets `[first, end)`, clamped to the timeline. */
export interface BucketRange {
  first: number;
  end: number;
  /**
  Set when the window lies within the timeline but no second is at least half inside it (a fault
  shorter than a second, or one across the boundary of two): too short to judge on per-second results.
  */
  tooShort?: true;
}

/**
How a window's edges fall on whole seconds. `cover`: every second the window touches
(`[floor(from), ceil(to))`), as `between` windows are read. `half`: the seconds at least half inside
the window, as fault windows are read: a fault that took effect at 5.004s covers second 5, not
second 4, a window from 8.6s does not count the 0.6s of second 8 before it, and a 1 ms fault at
9.999s covers no second at all, rather than the whole of second 9.
*/
export type Rounding = 'cover' | 'half';

/**
The buckets of a window, clamped to the seconds the timeline has. A window that lies wholly outside
the timeline (or is empty, or with `half` too short) gives `first === end`.
*/
export function bucketRange(window: WindowMs, timeline: Pick<Timeline, 'seconds'>, rounding: Rounding = 'cover'): BucketRange {
  const clamp = (first: number, end: number): BucketRange => {
    const f = Math.min(timeline.seconds, Math.max(0, first));
    return { first: f, end: Math.max(f, Math.min(timeline.seconds, end)) };
  };
  if (rounding === 'cover' || window.toMs <= window.fromMs) return clamp(Math.floor(window.fromMs / 1000), Math.ceil(window.toMs / 1000));
  const { first, end } = halfInside(window);
  if (end > first) return clamp(first, end);
  const touched = clamp(Math.floor(window.fromMs / 1000), Math.ceil(window.toMs / 1000));
  // Inside the timeline but under half of every second it touches; outside it, the window is simply not in the run.
  return touched.end > touched.first ? { first: touched.first, end: touched.first, tooShort: true } : touched;
}

/**
The seconds `[first, end)` that at least half of lies inside the window (unclamped). Computed on ms,
so an edge exactly at a half second counts that second (it is half inside).
*/
function halfInside(w: WindowMs): { first: number; end: number } {
  const startSecond = Math.floor(w.fromMs / 1000);
  const first = Math.min(w.toMs, (startSecond + 1) * 1000) - w.fromMs >= 500 ? startSecond : startSecond + 1;
  const endSecond = Math.ceil(w.toMs / 1000) - 1;
  const end = w.toMs - Math.max(w.fromMs, endSecond * 1000) >= 500 ? endSecond + 1 : endSecond;
  return { first, end };
}

/** The ms span a bucket range covers, which is the window actually evaluated. */
export function rangeWindow(range: BucketRange): WindowMs {
  return { fromMs: range.first * 1000, toMs: range.end * 1000 };
}
