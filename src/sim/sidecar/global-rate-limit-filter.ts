import type { DescriptorAction, GlobalRateLimit, RequestDescriptor } from '../../contract/rate-limit-service.ts';
import { RATE_LIMITED, type Exchange } from './exchange.ts';
import type { Filter } from './filter.ts';
import { Flag } from './flags.ts';
import type { RlsClient } from './rls-client.ts';
import type { ListenerStats } from './stats.ts';

export interface GlobalRateLimitFilterContext {
  readonly stats: ListenerStats;
  readonly client: RlsClient;
  /** The pod's global rate limit, or null when its service has no quotas. */
  config(): GlobalRateLimit | null;
  /** A request was refused over a quota (for the coalesced `quota-limited` event). */
  onOverLimit(): void;
  /** The service could not answer; `allowed` says the failure mode let the request through. */
  onServiceError(why: string, allowed: boolean): void;
}

function noop(): void {}

/**
Envoy's global rate limit filter (`envoy.filters.http.ratelimit`) at the inbound, after the local
rate limit (Istio's advice: local in front of global, so a flood is shed before it costs a call):
the request's descriptors, built from the pod's actions, go to the rate-limit service; OVER_LIMIT
answers 429 with `x-envoy-ratelimited` and flag RL, as the local limit does. When the service
cannot answer within the timeout, `failureMode: allow` lets the request through (counted as
`failure_mode_allowed`) and `deny` answers 500 with flag RLSE. A request for which no descriptor can
be built (its header is absent) is not sent to the service at all, as Envoy skips it. Health checks
pass without asking.
*/
export function globalRateLimitFilter(ctx: GlobalRateLimitFilterContext): Filter {
  return (next) => (ex) => {
    const cfg = ctx.config();
    if (cfg === null || ex.healthCheck) return next(ex);
    const descriptors = buildDescriptors(cfg.descriptors, ex);
    if (descriptors.length === 0) return next(ex);
    let gone = false;
    ex.onDownstreamAbort(() => (gone = true));
    ctx.client.check(cfg.address, { domain: cfg.domain, descriptors }, cfg.timeoutMs).then((answer) => {
      ex.onDownstreamAbort(noop);
      if (gone || ex.res.destroyed) return;
      switch (answer.kind) {
        case 'ok':
          ctx.stats.ratelimit_ok++;
          return next(ex);
        case 'over-limit':
          ctx.stats.ratelimit_over_limit++;
          ctx.onOverLimit();
          return ex.sendLocalReply(429, Flag.RL, `rate limited: a quota of ${cfg.domain} is used up for this request (the rate-limit service said OVER_LIMIT)`, RATE_LIMITED);
        case 'error':
          ctx.stats.ratelimit_error++;
          if (cfg.failureMode === 'allow') {
            ctx.stats.ratelimit_failure_mode_allowed++;
            ctx.onServiceError(answer.why, true);
            return next(ex);
          }
          ctx.onServiceError(answer.why, false);
          return ex.sendLocalReply(500, Flag.RLSE, `rate limit service error (${answer.why}): failureMode deny refuses the request`);
      }
    });
  };
}

/** Envoy's actions: one descriptor per list, skipped whole when one of its entries has no value. */
export function buildDescriptors(lists: readonly DescriptorAction[][], ex: Exchange): RequestDescriptor[] {
  const out: RequestDescriptor[] = [];
  for (const actions of lists) {
    const entries: RequestDescriptor['entries'] = [];
    for (const a of actions) {
      const value = a.kind === 'fixed' ? a.value : a.kind === 'path' ? ex.path : headerValue(ex, a.header);
      if (value === undefined || value === '') break;
      entries.push({ key: a.key, value });
    }
    if (entries.length === actions.length) out.push({ entries });
  }
  return out;
}

function headerValue(ex: Exchange, name: string): string | undefined {
  const v = ex.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
