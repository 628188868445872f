import type { Scenario } from '../scenario/scenario.ts';
import type { Timeline } from '../observe/timeline.ts';
import { aggregate, rateLimited } from '../verdict/measure.ts';
import { seriesKeysFor } from '../verdict/scope.ts';

/** What the callers' sidecars saw on one edge over the whole run, after retries. */
export interface EdgeStats {
  from: string;
  to: string;
  requests: number;
  /** Refused by a rate limit or a global quota of the callee (429, flag RL at the callee). */
  limited: number;
  /** Ended because the deadline the request carried ran out (flag DE). */
  deadlineExceeded: number;
}

/**
Every edge of the mesh (the client's into the load target, then each service's calls, in
declaration order) with what its budgets refused: the per-edge quota and deadline counts of the
report. Edges nothing went through are left out.
*/
export function edgeStats(scenario: Scenario, timeline: Timeline): EdgeStats[] {
  const range = { first: 0, end: timeline.seconds };
  const edges: [string, string][] = [['client', scenario.load.target], ...scenario.services.flatMap((s) => (s.calls ?? []).map((to): [string, string] => [s.name, to]))];
  return edges.flatMap(([from, to]) => {
    const agg = aggregate(timeline, seriesKeysFor({ kind: 'edge', from, to }, scenario), range);
    if (agg.requests === 0) return [];
    return [{ from, to, requests: agg.requests, limited: rateLimited(agg), deadlineExceeded: agg.flags.DE ?? 0 }];
  });
}

/** Whether any edge had a budget refusal worth a table of its own. */
export function anyBudgetRefusal(stats: readonly EdgeStats[]): boolean {
  return stats.some((e) => e.limited > 0 || e.deadlineExceeded > 0);
}
