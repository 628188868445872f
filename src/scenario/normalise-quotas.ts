import { RATE_LIMIT_SERVICE_DEFAULTS } from '../contract/defaults.ts';
import { RATE_LIMIT_SERVICE_INSTANCE, type RateLimitUnit } from '../contract/rate-limit-service.ts';
import { parseDuration } from './duration.ts';
import type { RuleContext } from './rule-context.ts';
import type { Quota, RateLimitServiceSpec, ServiceSpec } from './scenario.ts';
import { QUOTA_LIMIT_PATTERN } from './shape.ts';
import { childPath, indexPath } from './source-file.ts';

/** A quota as check-shape produced it: every field may be missing (invalid, already reported). */
export interface CheckedQuota {
  limit?: string | number;
  by?: Quota['by'];
  header?: string;
  value?: string;
  shadow?: boolean;
}

export interface CheckedRateLimitService {
  domain?: string;
  failureMode?: RateLimitServiceSpec['failureMode'];
  timeout?: number;
}

const UNITS: Readonly<Record<string, RateLimitUnit>> = { s: 'second', sec: 'second', second: 'second', m: 'minute', min: 'minute', minute: 'minute', h: 'hour', hour: 'hour', d: 'day', day: 'day' };

/**
The services' quotas and the rate-limit service that holds them: each quota checked against the
others of its service (what it counts by, one counter per value or one value, no two the same), and
the service filled with its defaults when any quota exists. Sets `spec.quotas` on each service.
*/
export function normaliseQuotas(
  ctx: RuleContext,
  checked: ReadonlyMap<string, { quotas?: Array<CheckedQuota | undefined> } | undefined>,
  services: ServiceSpec[],
  rls: CheckedRateLimitService | null | undefined,
  scenarioName: string | undefined,
): RateLimitServiceSpec | null {
  let any = false;
  for (const spec of services) {
    const path = childPath(childPath('services', spec.name), 'quotas');
    const seen = new Map<string, string>();
    const quotas: Quota[] = [];
    (checked.get(spec.name)?.quotas ?? []).forEach((q, i) => {
      const at = indexPath(path, i);
      const quota = q && quotaOf(ctx, spec.name, q, at);
      if (!quota) return;
      const earlier = seen.get(quota.name);
      if (earlier !== undefined) {
        ctx.error(at, `${earlier} already counts ${describeCounter(quota)}; two quotas on one counter would contradict each other (merge them, or give one a value)`);
        return;
      }
      seen.set(quota.name, at);
      quotas.push(quota);
    });
    spec.quotas = quotas;
    if (quotas.length > 0) any = true;
  }
  const taken = services.find((s) => s.name === RATE_LIMIT_SERVICE_INSTANCE);
  if (any && taken) {
    ctx.error(childPath('services', taken.name), `"${RATE_LIMIT_SERVICE_INSTANCE}" names the rate-limit service this scenario starts for its quotas (the target of process faults on it); rename this service`, true);
  }
  if (!any) {
    if (rls !== undefined && ctx.given('rateLimitService')) ctx.warn('rateLimitService', 'no service has quotas, so no rate-limit service is started; add quotas to a service (services.<name>.quotas) or remove rateLimitService', true);
    return null;
  }
  return {
    domain: rls?.domain ?? scenarioName ?? 'meshproof',
    failureMode: rls?.failureMode ?? RATE_LIMIT_SERVICE_DEFAULTS.failureMode,
    timeoutMs: rls?.timeout ?? parseDuration(RATE_LIMIT_SERVICE_DEFAULTS.timeout),
  };
}

function quotaOf(ctx: RuleContext, service: string, q: CheckedQuota, at: string): Quota | null {
  const by = q.by ?? 'service';
  let ok = true;
  if (by === 'header' && q.header === undefined && !ctx.given(childPath(at, 'header'))) {
    ctx.error(at, 'by: header counts by the value of a request header: name it, e.g. header: x-user-id');
    ok = false;
  }
  if (by !== 'header' && q.header !== undefined) {
    ctx.error(childPath(at, 'header'), `header goes with by: header (this quota counts by ${by}); write by: header, or remove header`, true);
    ok = false;
  }
  if (by === 'service' && q.value !== undefined) {
    ctx.error(childPath(at, 'value'), 'by: service has one counter for every request to the service, so it takes no value; to limit one caller, path or header value, write by: caller (or path, or header) with value', true);
    ok = false;
  }
  if (by === 'path' && q.value !== undefined && !q.value.startsWith('/')) {
    ctx.error(childPath(at, 'value'), `found "${q.value}"; a path starts with /, as requests send it (query included), such as /export`);
    ok = false;
  }
  if (typeof q.limit === 'number') {
    ctx.error(childPath(at, 'limit'), `found ${q.limit}; a quota counts requests in a window of a second, minute, hour or day: write ${q.limit}/s (or ${q.limit}/m, ${q.limit}/h, ${q.limit}/d)`);
    return null;
  }
  const m = q.limit === undefined ? null : new RegExp(QUOTA_LIMIT_PATTERN).exec(q.limit);
  if (!m || !ok) return null;
  const header = by === 'header' ? q.header!.toLowerCase() : null;
  const value = q.value ?? null;
  const what = by === 'service' ? '' : by === 'header' ? `/header:${header}` : `/${by}`;
  return {
    by,
    header,
    value,
    limit: { requests: Number(m[1]), unit: UNITS[m[2]] },
    shadow: q.shadow ?? false,
    name: `${service}${what}${value === null ? '' : `=${value}`}`,
  };
}

function describeCounter(q: Quota): string {
  if (q.by === 'service') return 'every request to the service';
  const what = q.by === 'header' ? `header ${q.header}` : q.by;
  return q.value === null ? `each ${what}` : `${what} ${q.value}`;
}
