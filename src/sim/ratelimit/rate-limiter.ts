import type { DescriptorStatus, RateLimitRequest, RateLimitResponse, RateLimitUnit, RlsConfig } from '../../contract/rate-limit-service.ts';
import { seriesKey, type Recorder } from '../../contract/series.ts';
import { FixedWindowCounters } from './fixed-window-counters.ts';
import { RuleTree, type Rule } from './rule-tree.ts';

/** envoyproxy/ratelimit's per-rule statistics (`ratelimit.service.rate_limit.<rule key>.<stat>`). */
export interface RuleStats {
  total_hits: number;
  over_limit: number;
  /** Hits above NEAR_LIMIT_RATIO of the limit, and not over it. */
  near_limit: number;
  /** Hits over the limit that shadow mode let through. */
  shadow_mode: number;
}

/** envoyproxy/ratelimit's NEAR_LIMIT_RATIO default. */
export const NEAR_LIMIT_RATIO = 0.8;

/** What `limitRemaining` says for an unlimited rule (envoyproxy/ratelimit answers MaxUint32). */
const UNLIMITED_REMAINING = 4_294_967_295;

/**
The rate-limit service's decision: every descriptor of a request is matched to its rule and counted
in that rule's fixed window (a key without a value counting each value apart); the request is over
the limit when any descriptor is, unless that rule is in shadow mode. Pure but for its counters: time
is an argument-free `now` (epoch ms) it is given.
*/
export class RateLimiter {
  private readonly tree: RuleTree;
  private readonly counters = new FixedWindowCounters();
  private readonly ruleStats = new Map<string, RuleStats>();
  private readonly now: () => number;
  private readonly recorder: Recorder | null;

  constructor(options: { config: RlsConfig; now?: () => number; recorder?: Recorder | null }) {
    this.tree = new RuleTree(options.config);
    this.now = options.now ?? Date.now;
    this.recorder = options.recorder ?? null;
    for (const key of this.tree.rules.keys()) this.ruleStats.set(key, { total_hits: 0, over_limit: 0, near_limit: 0, shadow_mode: 0 });
  }

  get domain(): string {
    return this.tree.domain;
  }

  decide(request: RateLimitRequest): RateLimitResponse {
    const hits = request.hitsAddend && request.hitsAddend > 0 ? request.hitsAddend : 1;
    // Another domain's request has no rule here: not limited.
    const own = request.domain === this.tree.domain;
    const now = this.now();
    const statuses: DescriptorStatus[] = request.descriptors.map((d) => {
      const rule = own ? this.tree.match(d) : null;
      if (!rule) return { code: 'OK' };
      const cacheKey = `${this.tree.domain}_${d.entries.map((e) => `${e.key}_${e.value}`).join('_')}`;
      return this.count(rule, cacheKey, hits, now);
    });
    return { overallCode: statuses.some((s) => s.code === 'OVER_LIMIT') ? 'OVER_LIMIT' : 'OK', statuses };
  }

  private count(rule: Rule, cacheKey: string, hits: number, now: number): DescriptorStatus {
    const stats = this.ruleStats.get(rule.key)!;
    stats.total_hits += hits;
    const series = seriesKey.quota(rule.key);
    if (rule.limit === null) {
      this.recorder?.add(series, 200, NaN, null);
      return { code: 'OK', limitRemaining: UNLIMITED_REMAINING };
    }
    const { requests, unit } = rule.limit;
    const { count, resetsAt } = this.counters.hit(cacheKey, unit, hits, now);
    const over = count > requests;
    if (over) {
      // The part of these hits past the limit.
      const past = Math.min(hits, count - requests);
      stats.over_limit += past;
      if (rule.shadow) stats.shadow_mode += past;
    } else if (count > Math.floor(requests * NEAR_LIMIT_RATIO)) {
      stats.near_limit += hits;
    }
    const refused = over && !rule.shadow;
    this.recorder?.add(series, refused ? 429 : 200, NaN, refused ? RL : null);
    return {
      code: refused ? 'OVER_LIMIT' : 'OK',
      currentLimit: { requestsPerUnit: requests, unit: unit.toUpperCase() as Uppercase<RateLimitUnit> },
      limitRemaining: Math.max(0, requests - count),
      durationUntilReset: `${Math.max(0, (resetsAt - now) / 1000)}s`,
    };
  }

  /** The statistics of every rule with a limit, by rule key. */
  stats(): Record<string, RuleStats> {
    return Object.fromEntries([...this.ruleStats].map(([k, s]) => [k, { ...s }]));
  }
}

const RL: readonly string[] = Object.freeze(['RL']);
