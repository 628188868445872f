import { dialedService, podKind, type Plan } from '../../plan/plan-scenario.ts';
import type { FaultTarget } from '../../scenario/scenario.ts';

/**
A link: the path from one calling pod to one instance, through its own fault-engine proxy, so a wire
fault can hit exactly one instance, one edge, a whole service or the client's entry — and a partition
can cut exactly the links between two groups of instances.
*/
export interface Link {
  /** Proxy name in the fault engine. */
  name: string;
  fromInstance: string;
  fromService: string;
  toInstance: string;
  toService: string;
}

/**
Every link of the topology: from each pod with a proxy (and the ingress) to each instance it dials
for each destination — the destination's own instances, or the egress gateway's when calls to a
registered external leave through it — and to the instances of the unregistered externals it
passes requests through to. Pure.
*/
export function planLinks(plan: Plan): Link[] {
  const callers = [{ instance: plan.ingress.instance, service: plan.ingress.service }, ...plan.pods.filter((p) => podKind(p) !== 'external')];
  const podsOf = new Map<string, Plan['pods']>();
  for (const p of plan.pods) {
    const list = podsOf.get(p.service);
    if (list) list.push(p);
    else podsOf.set(p.service, [p]);
  }
  const links: Link[] = [];
  for (const from of callers) {
    const dialed = new Set([...(plan.routes[from.service] ?? []).map((d) => dialedService(plan, from.service, d)), ...(plan.passthrough?.[from.service] ?? [])]);
    for (const dest of dialed) {
      for (const to of podsOf.get(dest) ?? []) {
        links.push({ name: `${from.instance}__${to.instance}`, fromInstance: from.instance, fromService: from.service, toInstance: to.instance, toService: to.service });
      }
    }
  }
  return links;
}

/** The links a fault target covers: into an instance, into a service, along an edge (to a service or one instance). */
export function linksOf(links: readonly Link[], target: FaultTarget): Link[] {
  switch (target.kind) {
    case 'instance':
      return links.filter((l) => l.toInstance === target.instance);
    case 'service':
      return links.filter((l) => l.toService === target.service);
    case 'edge':
      return links.filter((l) => l.fromService === target.from && l.toService === target.to && (!target.toInstance || l.toInstance === target.toInstance));
    case 'mesh':
      return [...links];
  }
}

/** The links between two groups of instances, both ways. */
export function linksBetween(links: readonly Link[], a: ReadonlySet<string>, b: ReadonlySet<string>): Link[] {
  return links.filter((l) => (a.has(l.fromInstance) && b.has(l.toInstance)) || (b.has(l.fromInstance) && a.has(l.toInstance)));
}
