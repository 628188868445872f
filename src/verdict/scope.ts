import { egressGatewayOf, externalsOf, gatewaysOf, instanceNames, instanceSpec, type FaultTarget, type MetricName, type Scenario, type Scope } from '../scenario/scenario.ts';
import { seriesKey, type SeriesKey } from '../contract/series.ts';
import { podGroupNamed, serviceNamed, servicesCalling } from '../scenario/scenario-index.ts';

/**
The timeline series a scope is measured on (see the series keys in `observe/timeline.ts`):
- client → `client`;
- service → every `instance:<service>-<i>` of its replicas, merged;
- instance → `instance:<instance>`;
- edge to a service → `edge:<from>-><to>` (what the caller saw, after retries); to the egress
  gateway from a service, its edges to the registered externals it calls (they leave through it);
- edge to an instance → `upstream:<from>-><instance>` (the tries sent to that instance);
- version → every `instance:<service>-<i>` whose version it is, merged.
A service the scenario does not declare has no series.
*/
export function seriesKeysFor(scope: Scope, scenario: Scenario): SeriesKey[] {
  switch (scope.kind) {
    case 'client':
      return [seriesKey.client()];
    case 'service': {
      const spec = podGroupNamed(scenario, scope.service);
      return spec ? instanceNames(spec).map(seriesKey.instance) : [];
    }
    case 'instance':
      return [seriesKey.instance(scope.instance)];
    case 'edge': {
      if (scope.toInstance !== undefined) return [seriesKey.upstream(scope.from, scope.toInstance)];
      // A service's calls through the egress gateway are recorded by external, as the caller named them.
      const egress = egressGatewayOf(scenario);
      if (egress && scope.to === egress.name && scope.from !== 'client') {
        const through = externalsOf(scenario).filter((e) => e.registered && serviceNamed(scenario, scope.from)?.calls.includes(e.name));
        if (through.length > 0) return through.map((e) => seriesKey.edge(scope.from, e.name));
      }
      return [seriesKey.edge(scope.from, scope.to)];
    }
    case 'version':
      return instancesOfVersion(scope.service, scope.version, scenario).map(seriesKey.instance);
  }
}

/**
The series a metric is measured on over a scope. As `seriesKeysFor`, except `overflow` on a
service: a breaker refuses at the caller's sidecar, before any instance is reached, so it is
counted on the edges into the service from each of its callers; and the work metrics (`wasted`,
`wasted_time`, `saved`), read from each instance's `wasted:` or `saved:` series.
*/
export function metricSeriesKeys(metric: MetricName, scope: Scope, scenario: Scenario): SeriesKey[] {
  if (metric === 'overflow' && scope.kind === 'service') return callersOf(scope.service, scenario).map((c) => seriesKey.edge(c, scope.service));
  const work = WORK_SERIES[metric];
  if (work) return seriesKeysFor(scope, scenario).flatMap((k) => (k.startsWith('instance:') ? [work(k.slice('instance:'.length))] : []));
  return seriesKeysFor(scope, scenario);
}

/** The work metrics read the built-in service's own series, per instance of the scope (never an edge's or the client's). */
const WORK_SERIES: Partial<Record<MetricName, (instance: string) => SeriesKey>> = {
  wasted: seriesKey.wasted,
  wasted_time: seriesKey.wasted,
  saved: seriesKey.saved,
};

/** The instances of a service that carry a version label. */
export function instancesOfVersion(service: string, version: string, scenario: Scenario): string[] {
  const spec = podGroupNamed(scenario, service);
  return spec ? instanceNames(spec).filter((i) => instanceSpec(spec, i).version === version) : [];
}

/** How a scope is written in an expectation, or a fault's target (a scope without `client` and versions): `client`, `payments`, `payments-1`, `checkout -> payments`. */
export function scopeLabel(scope: Scope | FaultTarget): string {
  switch (scope.kind) {
    case 'client':
      return 'client';
    case 'service':
      return scope.service;
    case 'instance':
      return scope.instance;
    case 'edge':
      return `${scope.from} -> ${scope.toInstance ?? scope.to}`;
    case 'version':
      return `${scope.service} ${scope.version}`;
    case 'mesh':
      return 'the mesh';
  }
}

/**
Who sends requests to a service: the services that list it in `calls`, the gateways that send to it
(an ingress gateway's routes; the egress gateway, for a registered external), and `client` when the
load targets it.
*/
export function callersOf(service: string, scenario: Scenario): string[] {
  const callers = [...servicesCalling(scenario, service)];
  for (const g of gatewaysOf(scenario)) if (podGroupNamed(scenario, g.name)?.calls.includes(service)) callers.push(g.name);
  return scenario.load.target === service ? ['client', ...callers] : callers;
}
