import type { Clock } from '../../util/clock.ts';
import type { TokenBucket } from '../policy/token-bucket.ts';
import { RATE_LIMITED } from './exchange.ts';
import type { Filter } from './filter.ts';
import { Flag } from './flags.ts';
import type { ListenerStats } from './stats.ts';

export interface RateLimitFilterContext {
  readonly clock: Clock;
  readonly stats: ListenerStats;
  /** The inbound token bucket, or null when the pod has no rate limit. */
  bucket(): TokenBucket | null;
  /** A request was refused (for the coalesced `rate-limited` event). */
  onRateLimited(): void;
}

/**
Envoy's local rate limit filter at the inbound: a request that finds the token bucket empty gets
429 with `x-envoy-ratelimited: true` and flag RL, and never reaches the app (callers' sidecars never
retry such an answer). Active health checks pass without taking a token, so a rate limit cannot
make a healthy instance look dead to its callers.
*/
export function rateLimitFilter(ctx: RateLimitFilterContext): Filter {
  return (next) => (ex) => {
    const bucket = ctx.bucket();
    if (bucket === null || ex.healthCheck) return next(ex);
    if (bucket.tryTake(ctx.clock.now())) {
      ctx.stats.local_rate_limit_ok++;
      return next(ex);
    }
    ctx.stats.local_rate_limit_rate_limited++;
    ctx.onRateLimited();
    ex.sendLocalReply(429, Flag.RL, 'local_rate_limited', RATE_LIMITED);
  };
}
