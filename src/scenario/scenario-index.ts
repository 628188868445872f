import type { Fault, Scenario, ServiceSpec } from './scenario.ts';
import { gatewayAsService } from './scenario.ts';

/**
Lookups by name over a scenario's services and faults, and who calls each service, built once per
list so that explaining, planning and judging a scenario stay linear in its size: a search of the
list per lookup made `explain` quadratic in the instances (4000 replicas took 2.7 s).

A scenario is a value: nothing changes one after it is parsed (a rescaled scenario is a new one),
so an index can be kept with the list it was built from. It is held weakly, by that list.
*/
const services = new WeakMap<readonly ServiceSpec[], { byName: Map<string, ServiceSpec>; callers: Map<string, string[]> }>();
const faults = new WeakMap<readonly Fault[], Map<string, Fault>>();

function servicesIndex(list: readonly ServiceSpec[]) {
  let index = services.get(list);
  if (!index) {
    const byName = new Map<string, ServiceSpec>();
    const callers = new Map<string, string[]>();
    for (const s of list) byName.set(s.name, s);
    for (const s of list) {
      for (const callee of new Set(s.calls)) {
        const c = callers.get(callee);
        if (c) c.push(s.name);
        else callers.set(callee, [s.name]);
      }
    }
    index = { byName, callers };
    services.set(list, index);
  }
  return index;
}

/** The service of that name, if the scenario declares one. */
export function serviceNamed(scenario: Pick<Scenario, 'services'>, name: string): ServiceSpec | undefined {
  return servicesIndex(scenario.services).byName.get(name);
}

const gateways = new WeakMap<object, Map<string, ServiceSpec>>();

/**
The service of that name, or the gateway of that name as a service (its replicas, the destinations
it sends to): what has instances with a proxy whose inbound series a scope measures.
*/
export function podGroupNamed(scenario: Pick<Scenario, 'services' | 'gateways' | 'externals'>, name: string): ServiceSpec | undefined {
  const service = serviceNamed(scenario, name);
  if (service || !scenario.gateways) return service;
  let index = gateways.get(scenario.gateways);
  if (!index) {
    index = new Map(scenario.gateways.map((g) => [g.name, gatewayAsService(g, scenario)]));
    gateways.set(scenario.gateways, index);
  }
  return index.get(name);
}

/** The services that list this one in `calls`, in declaration order (the load generator not included). */
export function servicesCalling(scenario: Pick<Scenario, 'services'>, name: string): readonly string[] {
  return servicesIndex(scenario.services).callers.get(name) ?? [];
}

/** The fault of that name, if the scenario has one. */
export function faultNamed(scenario: Pick<Scenario, 'faults'>, name: string): Fault | undefined {
  const list = scenario.faults ?? [];
  let index = faults.get(list);
  if (!index) {
    index = new Map();
    for (const f of list) if (!index.has(f.name)) index.set(f.name, f);
    faults.set(list, index);
  }
  return index.get(name);
}
