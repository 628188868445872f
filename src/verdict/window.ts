import type { Scenario, Window } from '../scenario/scenario.ts';
import type { Timeline } from '../observe/timeline.ts';

/** A span of the run in ms from the start of the load; `toMs` is exclusive. */
export interface WindowMs {
  fromMs: number;
  toMs: number;
}

/**
Where a window lies in the run, in ms from the start of the load. Pure and separate from the
measuring so that fault-relative windows (`during p1-errors`, `within 2s after p0-crash.end`) only
add cases here: they will need the scenario's fault schedule, which is why the scenario is passed.
*/
export function resolveWindow(window: Window, scenario: Scenario): WindowMs {
  switch (window.kind) {
    case 'run':
      // The whole timeline, which is as long as the load (the load may be set shorter than the scenario).
      return { fromMs: 0, toMs: Math.max(scenario.durationMs, scenario.load.durationMs) };
    case 'between':
      return { fromMs: window.fromMs, toMs: window.toMs };
  }
}

/** The timeline's seconds a window covers: buckets `[first, end)`, clamped to the timeline. */
export interface BucketRange {
  first: number;
  end: number;
}

/**
The buckets `[floor(fromMs/1000), ceil(toMs/1000))` of a window, clamped to the seconds the timeline
has. A window that lies wholly outside the timeline (or is empty) gives `first === end`.
*/
export function bucketRange(window: WindowMs, timeline: Pick<Timeline, 'seconds'>): BucketRange {
  const first = Math.min(timeline.seconds, Math.max(0, Math.floor(window.fromMs / 1000)));
  const end = Math.max(first, Math.min(timeline.seconds, Math.ceil(window.toMs / 1000)));
  return { first, end };
}

/** The ms span a bucket range covers, which is the window actually evaluated. */
export function rangeWindow(range: BucketRange): WindowMs {
  return { fromMs: range.first * 1000, toMs: range.end * 1000 };
}
