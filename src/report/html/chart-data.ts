import { Histogram } from '../../contract/histogram.ts';
import { mergeBucket, emptyBucket } from '../../observe/timeline.ts';
import { type Bucket } from '../../contract/series.ts';
import { instanceNames } from '../../scenario/scenario.ts';
import { topologyEdges, topologyNodes } from '../../scenario/mesh-topology.ts';
import type { RunResult } from '../run-result.ts';

/** One second of one scope, as the charts draw it. */
export interface SecondFigures {
  /** Requests completed in the second (= rps). */
  requests: number;
  /** Retries issued in the second (edges only; 0 elsewhere). */
  retries: number;
  /** Requests that failed: 5xx, or no response at all. */
  errors: number;
  /** errors / requests; NaN when nothing completed. */
  errorRate: number;
  /** Latency percentiles, ms; NaN when nothing completed with a latency. */
  p50: number;
  p90: number;
  p99: number;
}

/** What one chart row is about: the client, an edge between services, or a service. */
export interface ScopeSeries {
  kind: 'client' | 'edge' | 'service';
  /** The timeline's series key (for a service: `service:<name>`, its instances merged). */
  key: string;
  title: string;
  /** Services whose instances' state changes matter here (the callee of an edge, the service itself; every service for the client). */
  services: string[];
  seconds: SecondFigures[];
  /** A service's instances one by one (so an ejected or killed one is seen dropping out); absent elsewhere. */
  instances?: { instance: string; seconds: SecondFigures[] }[];
}

/**
The per-second figures of every scope worth a chart, in reading order: the client, the edges in the
order calls flow (the ingress edge first, then each service's calls as the scenario lists them),
then each service (its instances' inbound series merged). Everything comes from result.json's
timeline, so a report re-rendered later draws the same charts.
*/
export function chartData(result: RunResult): ScopeSeries[] {
  const { timeline, scenario } = result;
  const n = timeline.seconds;
  const out: ScopeSeries[] = [];
  const allServices = scenario.services.map((s) => s.name);
  const client = timeline.series.client;
  if (client) out.push({ kind: 'client', key: 'client', title: 'client', services: allServices, seconds: client.map(figures) });

  const edges = topologyEdges(scenario).map((e): [string, string] => [e.from, e.to]);
  for (const [from, to] of edges) {
    const key = `edge:${from}->${to}`;
    const series = timeline.series[key];
    if (!series) continue;
    out.push({ kind: 'edge', key, title: `${from} → ${to}`, services: [to], seconds: series.map(figures) });
  }

  // Services and gateways: what their instances' proxies received (an external has no proxy).
  for (const s of topologyNodes(scenario).filter((n) => n.kind !== 'external')) {
    const names = instanceNames(s).filter((i) => timeline.series[`instance:${i}`]);
    const parts = names.map((i) => timeline.series[`instance:${i}`]);
    if (parts.length === 0) continue;
    const merged = Array.from({ length: n }, (_, sec) => parts.reduce((acc, p) => (p[sec] ? mergeBucket(acc, p[sec]) : acc), emptyBucket()));
    const count = instanceNames(s).length;
    const instances = names.map((instance, k) => ({ instance, seconds: parts[k].map(figures) }));
    out.push({ kind: 'service', key: `service:${s.name}`, title: `${s.name} (${count} instance${count === 1 ? '' : 's'}, at their inbound)`, services: [s.name], seconds: merged.map(figures), instances });
  }
  return out;
}

/** A bucket's figures. A request with no response (status `error`) counts as an error and has no latency. */
export function figures(b: Bucket | undefined): SecondFigures {
  if (!b || b.requests === 0) return { requests: 0, retries: b?.retries ?? 0, errors: 0, errorRate: NaN, p50: NaN, p90: NaN, p99: NaN };
  const h = Histogram.from(b.latency);
  const errors = b.requests - b.ok;
  return {
    requests: b.requests,
    retries: b.retries,
    errors,
    errorRate: errors / b.requests,
    p50: h.quantile(0.5),
    p90: h.quantile(0.9),
    p99: h.quantile(0.99),
  };
}
