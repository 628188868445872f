import { podKind, type Plan } from '../../plan/plan-scenario.ts';
import { HOST_PODS_SUGGESTED_FROM } from '../../contract/defaults.ts';
import { runsOwnProgram, type Scenario } from '../../scenario/scenario.ts';

/** Which pods of a plan run in pod hosts, and in which: `hostOf` maps each hosted instance to its host's index. */
export interface PodHosting {
  hosts: number;
  hostOf: ReadonlyMap<string, number>;
  /** Instances a process fault targets: they keep processes of their own. */
  ownProcess: ReadonlySet<string>;
}

/**
Plans pod hosting: every pod of a service whose app is the built-in one and that no process fault
(kill, pause, restart) targets is hosted, spread over `hosts` hosts in plan order (round robin, so
a service's replicas land on different hosts). A process fault signals a process, so its target
keeps one of its own, as do users' programs (never hosted), gateways (their proxy is the pod's
workload, which faults hit) and externals. The ingress's sidecar, through which the whole load
passes, is not a pod and is never hosted. Pure: the plan knows the fault schedule before anything starts.
*/
export function planPodHosting(plan: Plan, hosts: number): PodHosting {
  if (!Number.isInteger(hosts) || hosts < 1) throw new RangeError(`pod hosting needs a whole number of hosts ≥ 1, got ${hosts}`);
  const ownProcess = new Set<string>();
  for (const f of plan.scenario.faults) {
    if (f.action.kind !== 'process') continue;
    if (f.target.kind === 'instance') ownProcess.add(f.target.instance);
    else if (f.target.kind === 'service') {
      const service = f.target.service;
      for (const p of plan.pods) if (p.service === service) ownProcess.add(p.instance);
    }
  }
  const candidates = plan.pods.filter((p) => podKind(p) === 'service' && !runsOwnProgram(p.spec) && !ownProcess.has(p.instance));
  const count = Math.min(hosts, candidates.length);
  const hostOf = new Map<string, number>();
  candidates.forEach((p, i) => hostOf.set(p.instance, i % count));
  return { hosts: count, hostOf, ownProcess };
}

/**
What a large local run that did not choose says about pod hosting: a topology of
HOST_PODS_SUGGESTED_FROM pods or more pays two Node processes a pod. Null when the run chose
(`hostPods` true or false) or is smaller.
*/
export function podHostingSuggestion(scenario: Pick<Scenario, 'name' | 'services'>, hostPods: boolean | undefined): string | null {
  if (hostPods !== undefined) return null;
  const pods = scenario.services.reduce((n, s) => n + s.replicas, 0);
  if (pods < HOST_PODS_SUGGESTED_FROM) return null;
  return `${scenario.name}: ${pods} pods start as ${2 * pods} Node processes (a sidecar and an app each); --host-pods (API: hostPods: true) runs the pods no process fault targets in a few processes, in a fraction of the start-up time and memory (docs/architecture.md, pod hosting)`;
}
