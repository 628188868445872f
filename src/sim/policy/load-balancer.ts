import type { LoadBalancer as LoadBalancerKind } from '../../contract/mesh-policy.ts';
import type { Random } from '../../util/random.ts';

/** What a load balancer needs to know about a host: how many requests it has in flight. */
export interface LbHost {
  readonly active: number;
}

/**
Picks one host among the healthy ones (Envoy's load balancers for equal weights). All randomness
comes from the injected `Random`, so a seeded run picks the same hosts again.
*/
export interface LoadBalancer {
  readonly kind: LoadBalancerKind;
  /** A host, or undefined when `hosts` is empty. */
  pick<H extends LbHost>(hosts: readonly H[]): H | undefined;
}

/**
Round robin. Like Envoy, the rotation starts at a random offset, so sidecars that got the same
endpoint list at the same moment do not all send their first request to the same host. When the
list changes, the rotation carries on over the new list.
*/
export class RoundRobinLoadBalancer implements LoadBalancer {
  readonly kind = 'round_robin' as const;
  private next: number;

  constructor(random: Random) {
    this.next = Math.floor(random() * 0x10000);
  }

  pick<H extends LbHost>(hosts: readonly H[]): H | undefined {
    const n = hosts.length;
    if (n === 0) return undefined;
    const h = hosts[this.next % n];
    this.next = (this.next + 1) % 0x40000000;
    return h;
  }
}

/**
Least request, as Envoy does it for equal weights: power of two choices (P2C). Two distinct hosts
are drawn at random and the one with fewer active requests wins; on a tie the first drawn wins,
which is itself a random one of the two.
*/
export class LeastRequestLoadBalancer implements LoadBalancer {
  readonly kind = 'least_request' as const;
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  pick<H extends LbHost>(hosts: readonly H[]): H | undefined {
    const n = hosts.length;
    if (n <= 1) return hosts[0];
    const i = Math.floor(this.random() * n);
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j++;
    const a = hosts[i];
    const b = hosts[j];
    return b.active < a.active ? b : a;
  }
}

/** Uniformly random. */
export class RandomLoadBalancer implements LoadBalancer {
  readonly kind = 'random' as const;
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  pick<H extends LbHost>(hosts: readonly H[]): H | undefined {
    const n = hosts.length;
    if (n === 0) return undefined;
    return hosts[Math.floor(this.random() * n)];
  }
}

export function createLoadBalancer(kind: LoadBalancerKind, random: Random): LoadBalancer {
  switch (kind) {
    case 'round_robin':
      return new RoundRobinLoadBalancer(random);
    case 'least_request':
      return new LeastRequestLoadBalancer(random);
    case 'random':
      return new RandomLoadBalancer(random);
    default:
      throw new Error(`unknown load balancer ${JSON.stringify(kind)}; expected round_robin, least_request or random`);
  }
}
