import { formatDuration, formatPercent } from '../util/format.ts';
import { DEFAULT_PROFILE, PROFILES, type ProfileDefaults } from '../contract/defaults.ts';

/** Keys of `mesh` that are settings of the mesh itself, not destinations. */
export const MESH_SETTINGS: ReadonlySet<string> = new Set(['profile', 'from', 'deadlines', 'outboundTrafficPolicy']);
import type { RuleContext } from './rule-context.ts';
import { instanceNames, instanceSpec, type MeshProfile, type ServiceSpec } from './scenario.ts';
import { DEADLINE_MODES, type ConnectionPool, type DeadlineMode, type DestinationPolicy, type HealthCheck, type HttpFault, type LoadBalancer, type OutlierDetection, type RetryOn, type RetryPolicy, type TrafficSplit } from '../contract/mesh-policy.ts';
import { childPath, indexPath } from './source-file.ts';
import { didYouMean } from './suggest.ts';

// What check-shape produced for one `mesh.<destination>`. Every field may be missing: invalid (an
// issue says why) or not written (the profile fills it).

export interface CheckedRetries {
  attempts?: number;
  perTryTimeout?: number | null;
  retryOn?: Array<RetryOn | undefined>;
  retriableStatusCodes?: Array<number | undefined>;
  backoff?: { base?: number; max?: number };
  budget?: { percent?: number; minRetryConcurrency?: number } | null;
}

interface CheckedOutlier {
  consecutive5xx?: number | null;
  consecutiveGatewayErrors?: number | null;
  interval?: number;
  baseEjectionTime?: number;
  maxEjectionTime?: number;
  maxEjectionPercent?: number;
}

interface CheckedHealthCheck {
  interval?: number;
  timeout?: number;
  unhealthyThreshold?: number;
  healthyThreshold?: number;
  path?: string;
}

interface CheckedStandingFault {
  delay?: { fixed?: number; percent?: number };
  abort?: { status?: number; percent?: number };
}

interface CheckedRoute {
  match?: { headers?: Map<string, string | { exact?: string } | undefined> };
  version?: string;
}

export interface CheckedDestination {
  timeout?: number | null;
  retries?: CheckedRetries | null;
  loadBalancer?: LoadBalancer;
  connectionPool?: { maxConnections?: number | null; maxPendingRequests?: number | null; maxRequests?: number | null; maxRetries?: number | null };
  outlierDetection?: CheckedOutlier | null;
  panicThreshold?: number;
  healthCheck?: CheckedHealthCheck | null;
  fault?: CheckedStandingFault | null;
  locality?: boolean | { enabled?: boolean; overprovisioningFactor?: number };
  split?: Map<string, number | undefined>;
  routes?: Array<CheckedRoute | undefined>;
  deadlines?: DeadlineMode;
}

/** `mesh` as check-shape produced it: destinations by name, and `profile`, `from` and `deadlines` under their own keys. */
export type CheckedMesh = Map<string, CheckedDestination | string | string[] | undefined>;

/** The profile named in `mesh.profile` (envoy when absent or invalid). */
export function profileOf(mesh: CheckedMesh | undefined): MeshProfile {
  const p = mesh?.get('profile');
  return typeof p === 'string' && Object.hasOwn(PROFILES, p) ? (p as MeshProfile) : DEFAULT_PROFILE;
}

/**
The effective policy toward every service: what `mesh.<service>` says, and the profile's documented
default for everything it does not say. Destinations that are not services are errors.
*/
export function normaliseMesh(
  ctx: RuleContext,
  mesh: CheckedMesh,
  names: string[],
  services: ServiceSpec[],
): { profile: MeshProfile; policies: Record<string, DestinationPolicy> } {
  const profile = profileOf(mesh);
  const meshDeadlines = mesh.get('deadlines');
  // mesh.deadlines is the mesh-wide value: it takes the profile's place for every destination.
  const defaults: ProfileDefaults =
    typeof meshDeadlines === 'string' && (DEADLINE_MODES as readonly string[]).includes(meshDeadlines) ? { ...PROFILES[profile], deadlines: meshDeadlines as DeadlineMode } : PROFILES[profile];
  const written = new Map<string, CheckedDestination | undefined>();
  for (const [name, d] of mesh) {
    // Settings of mesh itself: the profile, mesh.from (merged in before the shape check, mesh-from.ts) and the mesh-wide deadlines.
    if (MESH_SETTINGS.has(name)) continue;
    const path = childPath('mesh', name);
    // Without a valid services block every name would be "unknown"; that block's issue says enough.
    if (!names.includes(name) && names.length > 0) {
      ctx.error(path, `unknown service "${name}"${didYouMean(name, names)} (mesh is keyed by destination service; services: ${names.join(', ')})`, true);
      continue;
    }
    written.set(name, d as CheckedDestination | undefined);
  }
  const policies: Record<string, DestinationPolicy> = {};
  for (const name of names) {
    const spec = services.find((s) => s.name === name);
    policies[name] = new DestinationRules(ctx, childPath('mesh', name), defaults, profile, spec).policy(written.get(name) ?? {});
  }
  return { profile, policies };
}

/**
The locality a destination gets when `locality` is not written: off, or (Istio) on as soon as outlier
detection is, with the profile's overprovisioning factor.
*/
export function defaultLocality(p: ProfileDefaults, outlier: OutlierDetection | null): DestinationPolicy['locality'] {
  return { enabled: p.locality === 'with-outlier-detection' && outlier !== null, overprovisioningFactor: p.overprovisioningFactor };
}

class DestinationRules {
  readonly #ctx: RuleContext;
  readonly #path: string;
  readonly #p: ProfileDefaults;
  readonly #profile: MeshProfile;
  readonly #spec: ServiceSpec | undefined;

  constructor(ctx: RuleContext, path: string, defaults: ProfileDefaults, profile: MeshProfile, spec: ServiceSpec | undefined) {
    this.#ctx = ctx;
    this.#path = path;
    this.#p = defaults;
    this.#profile = profile;
    this.#spec = spec;
  }

  #at(key: string): string {
    return childPath(this.#path, key);
  }

  policy(d: CheckedDestination): DestinationPolicy {
    const p = this.#p;
    const timeoutMs = d.timeout !== undefined ? d.timeout : p.timeoutMs;
    const outlierDetection = this.#outlier(d.outlierDetection);
    return {
      timeoutMs,
      retries: d.retries === undefined ? structuredClone(p.retries) : d.retries === null ? null : this.#retries(d.retries, timeoutMs),
      loadBalancer: d.loadBalancer ?? p.loadBalancer,
      connectionPool: this.#connectionPool(d.connectionPool),
      outlierDetection,
      panicThreshold: d.panicThreshold ?? p.panicThreshold,
      healthCheck: this.#healthCheck(d.healthCheck),
      fault: this.#fault(d.fault),
      locality: this.#locality(d.locality, outlierDetection),
      split: this.#split(d.split, d.routes),
      deadlines: d.deadlines ?? p.deadlines,
    };
  }

  #retries(r: CheckedRetries, timeoutMs: number | null): RetryPolicy | null {
    const path = this.#at('retries');
    const block = this.#p.retriesBlock;
    const retryOn = [...new Set((r.retryOn ?? block.retryOn).filter((x): x is RetryOn => x !== undefined))];
    const written = r.retriableStatusCodes;
    // The profile's codes only go with its own conditions: retryOn [5xx] written under istio retries no 503 list.
    const defaultCodes = retryOn.includes('retriable-status-codes') ? block.retriableStatusCodes : [];
    const codes = (written ?? defaultCodes).filter((x): x is number => x !== undefined);
    const codesPath = childPath(path, 'retriableStatusCodes');
    if (retryOn.includes('retriable-status-codes') && (written ?? defaultCodes).length === 0) {
      const where = this.#ctx.given(codesPath) ? codesPath : childPath(path, 'retryOn');
      this.#ctx.error(where, 'retryOn includes retriable-status-codes but retriableStatusCodes lists none; add the statuses to retry, e.g. retriableStatusCodes: [503]');
    } else if (written !== undefined && codes.length > 0 && !retryOn.includes('retriable-status-codes') && r.retryOn !== undefined) {
      this.#ctx.warn(codesPath, 'retriableStatusCodes is ignored: retryOn does not include retriable-status-codes', true);
    }
    const base = r.backoff?.base ?? block.backoff.baseMs;
    const max = r.backoff?.max ?? base * block.backoff.maxTimesBase;
    if (r.backoff?.max !== undefined && r.backoff.base !== undefined && max < base) {
      this.#ctx.error(childPath(childPath(path, 'backoff'), 'max'), `backoff max (${formatDuration(max)}) is below base (${formatDuration(base)}); max must be >= base`);
    }
    const perTryTimeoutMs = r.perTryTimeout ?? null;
    if (perTryTimeoutMs !== null && timeoutMs !== null && perTryTimeoutMs >= timeoutMs) {
      const whose = this.#ctx.given(this.#at('timeout')) ? '' : `, the ${this.#profile} default`;
      this.#ctx.warn(
        childPath(path, 'perTryTimeout'),
        `perTryTimeout (${formatDuration(perTryTimeoutMs)}) is not shorter than the whole-request timeout (${formatDuration(timeoutMs)}${whose}), so no try can be retried after timing out`,
      );
    }
    const attempts = r.attempts ?? block.attempts;
    if (attempts === 0) return null;
    return {
      attempts,
      perTryTimeoutMs,
      retryOn,
      retriableStatusCodes: codes,
      backoff: { baseMs: base, maxMs: max },
      budget: r.budget ? { percent: r.budget.percent ?? block.budget.percent, minRetryConcurrency: r.budget.minRetryConcurrency ?? block.budget.minRetryConcurrency } : null,
    };
  }

  #connectionPool(c: CheckedDestination['connectionPool']): ConnectionPool {
    const p = this.#p.connectionPool;
    const pick = (k: keyof ConnectionPool) => (c?.[k] !== undefined ? c[k]! : p[k]);
    return { maxConnections: pick('maxConnections'), maxPendingRequests: pick('maxPendingRequests'), maxRequests: pick('maxRequests'), maxRetries: pick('maxRetries') };
  }

  #outlier(o: CheckedOutlier | null | undefined): OutlierDetection | null {
    if (!o) return null;
    const p = this.#p.outlierDetection;
    const path = this.#at('outlierDetection');
    const out: OutlierDetection = {
      consecutive5xx: o.consecutive5xx !== undefined ? o.consecutive5xx : p.consecutive5xx,
      consecutiveGatewayErrors: o.consecutiveGatewayErrors !== undefined ? o.consecutiveGatewayErrors : p.consecutiveGatewayErrors,
      intervalMs: o.interval ?? p.intervalMs,
      baseEjectionTimeMs: o.baseEjectionTime ?? p.baseEjectionTimeMs,
      maxEjectionTimeMs: o.maxEjectionTime ?? p.maxEjectionTimeMs,
      maxEjectionPercent: o.maxEjectionPercent ?? p.maxEjectionPercent,
    };
    if (out.maxEjectionTimeMs < out.baseEjectionTimeMs && (o.maxEjectionTime !== undefined || o.baseEjectionTime !== undefined)) {
      const maxWhose = o.maxEjectionTime !== undefined ? '' : `, the ${this.#profile} default`;
      const where = o.maxEjectionTime !== undefined ? 'maxEjectionTime' : 'baseEjectionTime';
      this.#ctx.error(
        childPath(path, where),
        `maxEjectionTime (${formatDuration(out.maxEjectionTimeMs)}${maxWhose}) is below baseEjectionTime (${formatDuration(out.baseEjectionTimeMs)}); maxEjectionTime must be >= baseEjectionTime`,
      );
    }
    if (out.consecutive5xx === null && out.consecutiveGatewayErrors === null) {
      this.#ctx.warn(path, 'outlier detection checks nothing: consecutive5xx and consecutiveGatewayErrors are both none, so no endpoint is ever ejected', true);
    }
    const replicas = this.#spec?.replicas;
    if (replicas !== undefined && out.maxEjectionPercent > 0 && Math.floor(replicas * out.maxEjectionPercent) === 0 && o.maxEjectionPercent === undefined) {
      // The surprise of envoy#3263 and #26877, stated up front: 10% of a few hosts is no host.
      this.#ctx.warn(
        path,
        `with ${replicas} ${replicas === 1 ? 'instance' : 'instances'} and maxEjectionPercent ${formatPercent(out.maxEjectionPercent)} (the ${this.#profile} default), no endpoint can be ejected; set maxEjectionPercent, e.g. 50%`,
        true,
      );
    }
    return out;
  }

  #healthCheck(h: CheckedHealthCheck | null | undefined): HealthCheck | null {
    if (!h) return null;
    const p = this.#p.healthCheck;
    const out: HealthCheck = {
      intervalMs: h.interval ?? p.intervalMs,
      timeoutMs: h.timeout ?? p.timeoutMs,
      unhealthyThreshold: h.unhealthyThreshold ?? p.unhealthyThreshold,
      healthyThreshold: h.healthyThreshold ?? p.healthyThreshold,
      path: h.path ?? p.path,
    };
    if (out.timeoutMs >= out.intervalMs) {
      this.#ctx.warn(
        childPath(this.#at('healthCheck'), 'timeout'),
        `health check timeout (${formatDuration(out.timeoutMs)}) is not shorter than its interval (${formatDuration(out.intervalMs)}), so probes overlap`,
      );
    }
    return out;
  }

  #fault(f: CheckedStandingFault | null | undefined): HttpFault | null {
    if (!f) return null;
    const delay = f.delay?.fixed !== undefined && f.delay.percent !== undefined ? { ms: f.delay.fixed, percent: f.delay.percent } : null;
    const abort = f.abort?.status !== undefined && f.abort.percent !== undefined ? { status: f.abort.status, percent: f.abort.percent } : null;
    return { delay, abort };
  }

  #locality(l: CheckedDestination['locality'], outlier: OutlierDetection | null): DestinationPolicy['locality'] {
    const factor = this.#p.overprovisioningFactor;
    let enabled: boolean;
    let overprovisioningFactor = factor;
    if (l === undefined) enabled = defaultLocality(this.#p, outlier).enabled;
    else if (typeof l === 'boolean') enabled = l;
    else {
      enabled = l.enabled ?? true;
      overprovisioningFactor = l.overprovisioningFactor ?? factor;
    }
    if (l !== undefined && enabled && this.#spec && !instanceNames(this.#spec).some((i) => instanceSpec(this.#spec!, i).zone !== null)) {
      this.#ctx.warn(this.#at('locality'), `locality has no effect: no instance of ${this.#spec.name} has a zone (set services.${this.#spec.name}.zone or zones)`, true);
    }
    return { enabled, overprovisioningFactor };
  }

  #split(split: CheckedDestination['split'], routes: CheckedDestination['routes']): TrafficSplit | null {
    const spec = this.#spec;
    const versions = spec ? [...new Set(instanceNames(spec).map((i) => instanceSpec(spec, i).version))] : null;
    const known = (v: string, path: string): boolean => {
      if (versions === null || versions.includes(v)) return true;
      const list = versions.join(', ');
      this.#ctx.error(path, `${spec!.name} has no version "${v}"${didYouMean(v, versions)} (its instances are ${list}; set services.${spec!.name}.version or instances.<instance>.version)`, true);
      return false;
    };
    const weights: Record<string, number> = {};
    let ok = true;
    if (split) {
      let sum = 0;
      for (const [version, share] of split) {
        if (!known(version, childPath(this.#at('split'), version))) ok = false;
        if (share === undefined) {
          ok = false;
          continue;
        }
        weights[version] = share;
        sum += share;
      }
      if (ok && Math.abs(sum - 1) > 1e-9) {
        const parts = [...split].map(([v, s]) => `${v} ${formatPercent(s ?? 0)}`).join(' + ');
        this.#ctx.error(this.#at('split'), `the split adds up to ${formatPercent(sum)} (${parts}); the weights must add up to 100%`);
      }
    }
    const out: TrafficSplit['routes'] = [];
    (routes ?? []).forEach((r, i) => {
      const path = indexPath(this.#at('routes'), i);
      if (!r || r.version === undefined || !r.match?.headers) return;
      if (!known(r.version, childPath(path, 'version'))) return;
      const headers: Record<string, string> = {};
      for (const [name, v] of r.match.headers) {
        const value = typeof v === 'string' ? v : v?.exact;
        if (value !== undefined) headers[name.toLowerCase()] = value;
      }
      out.push({ headers, version: r.version });
    });
    if (!split && out.length === 0) return null;
    if (!split && spec) {
      // Requests no route matches are spread over every instance alike, as without a split.
      const all = instanceNames(spec).map((i) => instanceSpec(spec, i).version);
      for (const v of all) weights[v] = (weights[v] ?? 0) + 1 / all.length;
    }
    return { weights, routes: out };
  }
}
