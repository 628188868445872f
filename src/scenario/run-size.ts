import { formatDuration } from '../util/format.ts';
import { atMost, formatLimit, LIMITS } from './limits.ts';
import type { Scenario } from './scenario.ts';

/** What the size of a run depends on: its services, how many instances each has, whom each calls. */
export interface TopologySize {
  services: ReadonlyArray<{ name: string; replicas: number; calls: readonly string[] }>;
  loadTarget: string;
}

/** The series a run records every second, by kind (the timeline's keys: see src/observe/timeline.ts). */
export interface SeriesCount {
  total: number;
  instances: number;
  edges: number;
  pairs: number;
}

/**
The series a run can record: the client; each instance and the ingress; each edge between services
(the load's entry, client -> target, included); and each caller-to-instance pair along those edges.
An upper bound: a series nothing reaches is never recorded. Linear in services and calls.
*/
export function seriesCount(t: TopologySize): SeriesCount {
  const replicas = new Map(t.services.map((s) => [s.name, s.replicas]));
  const instances = t.services.reduce((a, s) => a + s.replicas, 0) + 1;
  let edges = 1;
  let pairs = replicas.get(t.loadTarget) ?? 0;
  for (const s of t.services) {
    for (const callee of new Set(s.calls)) {
      edges++;
      pairs += replicas.get(callee) ?? 0;
    }
  }
  return { total: 1 + instances + edges + pairs, instances, edges, pairs };
}

/**
Why a run of `durationMs` over this topology would keep more per-second figures than a run may
(LIMITS.seriesSeconds), with the longest run it allows; null when it fits.
*/
export function runTooLong(t: TopologySize, durationMs: number): string | null {
  const series = seriesCount(t);
  const seconds = Math.ceil(durationMs / 1000);
  const figures = series.total * seconds;
  if (figures <= LIMITS.seriesSeconds.max) return null;
  const seconds1 = Math.floor(LIMITS.seriesSeconds.max / series.total);
  const longest = (seconds1 >= 120 ? Math.floor(seconds1 / 60) * 60 : seconds1) * 1000;
  return (
    `a run of ${formatDuration(durationMs)} records ${series.total} series every second (the client, ${series.instances - 1} instances and the ingress, ` +
    `${series.edges} edges between services, ${series.pairs} caller-to-instance pairs): ${figures} per-second figures; ` +
    `${atMost(LIMITS.seriesSeconds)}. With this topology a run lasts at most ${formatDuration(longest)}`
  );
}

/**
Why compressing or stretching these scenarios to `durationMs` (`--duration`, the API's `duration`)
would take them past the limits a scenario file itself must keep: no longer than a run may last, no
more per-second figures than a run may keep. One message per problem (naming the file when it is one
scenario's); empty when every scenario fits.
*/
export function rescaleProblems(scenarios: readonly Scenario[], durationMs: number): string[] {
  if (durationMs > LIMITS.duration.max) return [`found ${formatDuration(durationMs)}; ${atMost(LIMITS.duration)}`];
  const problems: string[] = [];
  for (const s of scenarios) {
    const tooLong = runTooLong({ services: s.services, loadTarget: s.load.target }, durationMs);
    if (tooLong) problems.push(`${s.source.file}: ${tooLong}`);
  }
  return problems;
}

/**
How many calls one request of the load makes through the mesh, and which services receive them:
the target once, each service it calls once per call, and so on down the call graph (retries not
counted). The graph must be free of cycles. Linear in services and calls; counts stop growing past
the limit, so a graph that doubles at every level cannot overflow.
*/
export function callsPerRequest(t: TopologySize): { total: number; received: Map<string, number> } {
  const byName = new Map(t.services.map((s) => [s.name, s]));
  const cap = LIMITS.callsPerRequest.max + 1;
  // Reverse post-order from the target: every caller comes before the services it calls.
  const order: string[] = [];
  const seen = new Set<string>();
  const stack: Array<{ name: string; next: number }> = [{ name: t.loadTarget, next: 0 }];
  seen.add(t.loadTarget);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const calls = byName.get(top.name)?.calls ?? [];
    if (top.next < calls.length) {
      const callee = calls[top.next++];
      if (!seen.has(callee) && byName.has(callee)) {
        seen.add(callee);
        stack.push({ name: callee, next: 0 });
      }
    } else {
      order.push(top.name);
      stack.pop();
    }
  }
  order.reverse();
  const received = new Map<string, number>([[t.loadTarget, 1]]);
  for (const name of order) {
    const n = received.get(name) ?? 0;
    for (const callee of byName.get(name)?.calls ?? []) received.set(callee, Math.min(cap, (received.get(callee) ?? 0) + n));
  }
  let total = 0;
  for (const n of received.values()) total = Math.min(cap, total + n);
  return { total, received };
}

/** The message for a load whose requests make more calls than allowed, or null. */
export function tooManyCalls(t: TopologySize): string | null {
  const { total, received } = callsPerRequest(t);
  if (total <= LIMITS.callsPerRequest.max) return null;
  const most = [...received]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, n]) => `${name} ${n > LIMITS.callsPerRequest.max ? `over ${LIMITS.callsPerRequest.max}` : n}`);
  // Counts stop at the limit + 1, so past it the exact figure is not known (nor needed).
  return `one request to ${t.loadTarget} makes more than ${formatLimit(LIMITS.callsPerRequest)} through the mesh (most to ${most.join(', ')}); ${atMost(LIMITS.callsPerRequest)}`;
}
