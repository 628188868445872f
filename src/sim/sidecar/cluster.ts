import { Agent } from 'node:http';
import type { DestinationPolicy } from '../../scenario/scenario.ts';
import type { Random } from '../../util/random.ts';
import { seriesKey } from '../../observe/timeline.ts';
import type { ClusterConfig, Endpoint } from '../sidecar-config.ts';
import { createLoadBalancer, type LbHost, type LoadBalancer } from '../policy/load-balancer.ts';
import { RetryBudget } from '../policy/retry-budget.ts';
import { compileRetryOn, type RetryConditions } from '../policy/retry-policy.ts';
import type { ClusterStats } from './stats.ts';

/**
One upstream host of a cluster: where to dial, whether it may be picked, how many tries it has in
flight (for least_request), and its own keep-alive connection pool.
*/
export class EndpointState implements LbHost {
  readonly instance: string;
  readonly host: string;
  readonly port: number;
  /** `host:port`, for messages and the access log. */
  readonly address: string;
  /** Timeline series of the tries sent to this instance. */
  readonly upstreamKey: string;
  readonly agent: Agent;
  healthy: boolean;
  active = 0;
  private retired = false;

  constructor(ep: Endpoint, fromService: string, onNewConnection: () => void) {
    this.instance = ep.instance;
    this.host = ep.host;
    this.port = ep.port;
    this.healthy = ep.healthy;
    this.address = `${ep.host}:${ep.port}`;
    this.upstreamKey = seriesKey.upstream(fromService, ep.instance);
    this.agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
    // Counting connections where they are made keeps the per-request path free of it.
    const create = this.agent.createConnection.bind(this.agent);
    this.agent.createConnection = (options, callback) => {
      onNewConnection();
      return create(options, callback);
    };
  }

  acquire(): void {
    this.active++;
  }

  release(): void {
    this.active--;
    if (this.retired && this.active === 0) this.agent.destroy();
  }

  /** The endpoint left the config: its pool closes once its last try has finished, not before. */
  retire(): void {
    this.retired = true;
    if (this.active === 0) this.agent.destroy();
  }
}

/** What changed in one cluster at a config push, for the event log. */
export interface ClusterChanges {
  added: EndpointState[];
  removed: EndpointState[];
  moved: { from: EndpointState; to: EndpointState }[];
  health: EndpointState[];
  policyChanged: boolean;
}

/**
A destination service as this sidecar routes to it: its endpoints, its policy compiled for the
request path (load balancer, retry conditions, budget) and its counters. Updated in place by a
config push, so requests in flight keep going and see the new endpoints at their next try.
*/
export class ClusterState {
  readonly name: string;
  readonly stats: ClusterStats;
  /** Timeline series of what the app saw calling this destination. */
  readonly edgeKey: string;
  policy!: DestinationPolicy;
  lb!: LoadBalancer;
  retryConditions: RetryConditions | null = null;
  budget: RetryBudget | null = null;
  endpoints: EndpointState[] = [];
  /** The endpoints that may be picked, kept ready so a pick allocates nothing. */
  healthy: EndpointState[] = [];
  private readonly fromService: string;
  private readonly random: Random;

  constructor(options: { name: string; fromService: string; stats: ClusterStats; random: Random; config: ClusterConfig }) {
    this.name = options.name;
    this.fromService = options.fromService;
    this.stats = options.stats;
    this.random = options.random;
    this.edgeKey = seriesKey.edge(options.fromService, options.name);
    this.update(options.config);
  }

  pick(): EndpointState | undefined {
    return this.lb.pick(this.healthy);
  }

  update(config: ClusterConfig): ClusterChanges {
    const changes: ClusterChanges = { added: [], removed: [], moved: [], health: [], policyChanged: false };
    const policy = config.policy;
    if (!this.policy || JSON.stringify(this.policy) !== JSON.stringify(policy)) {
      changes.policyChanged = this.policy !== undefined;
      if (!this.lb || this.lb.kind !== policy.loadBalancer) this.lb = createLoadBalancer(policy.loadBalancer, this.random);
      this.retryConditions = policy.retries ? compileRetryOn(policy.retries) : null;
      this.budget = policy.retries?.budget ? new RetryBudget(policy.retries.budget) : null;
      this.policy = policy;
    }

    const previous = new Map(this.endpoints.map((e) => [e.instance, e]));
    const next: EndpointState[] = [];
    const onNewConnection = () => void this.stats.upstream_cx_total++;
    for (const ep of config.endpoints) {
      const old = previous.get(ep.instance);
      previous.delete(ep.instance);
      if (!old) {
        const e = new EndpointState(ep, this.fromService, onNewConnection);
        changes.added.push(e);
        next.push(e);
      } else if (old.host !== ep.host || old.port !== ep.port) {
        const e = new EndpointState(ep, this.fromService, onNewConnection);
        old.retire();
        changes.moved.push({ from: old, to: e });
        next.push(e);
      } else {
        if (old.healthy !== ep.healthy) {
          old.healthy = ep.healthy;
          changes.health.push(old);
        }
        next.push(old);
      }
    }
    for (const gone of previous.values()) {
      gone.retire();
      changes.removed.push(gone);
    }
    this.endpoints = next;
    this.healthy = next.filter((e) => e.healthy);
    return changes;
  }

  /** The cluster left the config: every pool closes once idle. */
  retire(): void {
    for (const e of this.endpoints) e.retire();
  }
}
