import { BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER } from '../contract/gateway-route.ts';
import type { ExpectationTopology } from './expectation-parser.ts';
import { didYouMean } from './suggest.ts';

/** Which part of what was written a problem is about: the name, or an edge's caller or callee. */
export type NamePart = 'name' | 'from' | 'to';

/**
Resolves the names a scenario writes — a service, an instance (`store-1`), an edge (`front ->
store-1`, `client -> front`) — against its topology, for fault targets and expectation scopes
alike, so both say the same thing about the same mistake. Problems go to `report` with the part
they are about; what a name cannot be is the caller's to say (a fault cannot target client, a
scope can be client).
*/
export class NameResolver {
  readonly #services: NonNullable<ExpectationTopology['services']>;
  readonly #loadTarget: string | null;
  readonly #report: (part: NamePart, message: string) => void;

  constructor(topology: Pick<ExpectationTopology, 'services' | 'loadTarget'>, report: (part: NamePart, message: string) => void) {
    this.#services = topology.services ?? [];
    this.#loadTarget = topology.loadTarget;
    this.#report = report;
  }

  service(name: string): NonNullable<ExpectationTopology['services']>[number] | undefined {
    return this.#services.find((s) => s.name === name);
  }

  serviceNames(): string[] {
    return this.#services.map((s) => s.name);
  }

  instanceNames(): string[] {
    return this.#services.flatMap((s) => Array.from({ length: s.replicas ?? 0 }, (_, i) => `${s.name}-${i}`));
  }

  /**
  A service, or an instance of one (`store-1` of `store`, its index checked). undefined when the
  name is neither (not reported: the caller says what it expected), null when it is an instance of
  a known service with no such index (reported).
  */
  named(name: string, part: NamePart = 'name'): { service: string; instance?: string } | null | undefined {
    if (this.service(name)) return { service: name };
    const m = /^(.*)-(\d+)$/.exec(name);
    const owner = m ? this.service(m[1]) : undefined;
    if (!m || !owner) return undefined;
    const index = Number(m[2]);
    if (owner.replicas !== null && (index >= owner.replicas || String(index) !== m[2])) {
      const names = Array.from({ length: owner.replicas }, (_, i) => `${owner.name}-${i}`).join(', ');
      this.#report(part, `${owner.name} has ${owner.replicas} ${owner.replicas === 1 ? 'replica' : 'replicas'} (${names}); there is no ${name}`);
      return null;
    }
    return { service: owner.name, instance: name };
  }

  /**
  An edge, checked: it starts at client or a service, ends at a service or one of its instances,
  and the caller calls it (client calls only the load target). `callerWhy` says why an instance
  cannot be a caller, in the caller's terms ("all of store's sidecars count"). null when it is not
  an edge of this topology (every problem reported).
  */
  edge(from: string, to: string, callerWhy: (callerService: string) => string, options: { meshClusters?: boolean } = {}): { from: string; to: string; toInstance?: string } | null {
    // Istio's clusters for hosts the registry does not know: what a service's sidecar refused
    // (REGISTRY_ONLY) or passed through (ALLOW_ANY), measured as edges of their own.
    if (options.meshClusters && (to === BLACKHOLE_CLUSTER || to === PASSTHROUGH_CLUSTER)) {
      const caller = this.service(from);
      if (caller && caller.kind === undefined) return { from, to };
      this.#report('from', `${to} counts what a service's sidecar did with a host the mesh does not know; write <service> -> ${to} (services: ${this.#services.filter((s) => s.kind === undefined).map((s) => s.name).join(', ')})`);
      return null;
    }
    let fromOk = true;
    if (from !== 'client' && !this.service(from)) {
      fromOk = false;
      const inst = /^(.*)-(\d+)$/.exec(from);
      if (inst && this.service(inst[1])) {
        this.#report('from', `an edge starts at client or a service, not an instance: ${callerWhy(inst[1])}; write ${inst[1]} -> ${to}`);
      } else {
        this.#report('from', `unknown caller "${from}"${didYouMean(from, ['client', ...this.serviceNames()])} (valid: client, ${this.serviceNames().join(', ')})`);
      }
    }
    if (to === 'client') {
      this.#report('to', 'nothing calls client: it is the load generator; an edge ends at a service or an instance');
      return null;
    }
    const callee = this.named(to, 'to');
    if (callee === undefined) this.#report('to', `unknown service "${to}"${didYouMean(to, [...this.serviceNames(), ...this.instanceNames()])} (services: ${this.serviceNames().join(', ')})`);
    if (!callee || !fromOk) return null;
    if (from === 'client') {
      if (this.#loadTarget !== null && callee.service !== this.#loadTarget) {
        this.#report('to', `client only calls the load target ${this.#loadTarget}, not ${callee.service}; write client -> ${this.#loadTarget}`);
        return null;
      }
    } else {
      const own = this.service(from)?.calls;
      // A service whose calls to registered externals leave through the egress gateway dials it.
      const egress = own ? this.#services.filter((g) => g.kind === 'gateway' && g.name !== from && g.calls?.some((c) => own.includes(c) && this.service(c)?.kind === 'external')).map((g) => g.name) : [];
      const calls = own && [...own, ...egress];
      if (calls && !calls.includes(callee.service)) {
        this.#report('to', `${from} does not call ${callee.service}; ${calls.length ? `${from} calls: ${[...new Set(calls)].join(', ')}` : `${from} calls nothing`}`);
        return null;
      }
    }
    return callee.instance === undefined ? { from, to: callee.service } : { from, to: callee.service, toInstance: callee.instance };
  }
}
