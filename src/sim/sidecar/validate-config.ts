import type { SidecarConfig } from '../sidecar-config.ts';

const RETRY_ON = new Set(['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-status-codes']);
const LOAD_BALANCERS = new Set(['round_robin', 'least_request', 'random']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/**
Every problem with a pushed config, each prefixed with its path (`clusters.payments.endpoints[0].port: …`);
empty when it can be applied. Unknown fields are allowed, so a control plane that knows more policy
than this sidecar can still push to it.
*/
export function validateSidecarConfig(v: unknown): string[] {
  const p: string[] = [];
  if (!isObj(v)) return [`config: expected a JSON object, got ${show(v)}`];
  const num = (path: string, x: unknown, opts: { int?: boolean; min?: number; max?: number; nullable?: boolean } = {}) => {
    if (x === null && opts.nullable) return;
    if (typeof x !== 'number' || !Number.isFinite(x)) return void p.push(`${path}: expected a number${opts.nullable ? ' or null' : ''}, got ${show(x)}`);
    if (opts.int && !Number.isInteger(x)) return void p.push(`${path}: expected an integer, got ${x}`);
    if (opts.min !== undefined && x < opts.min) return void p.push(`${path}: must be >= ${opts.min}, got ${x}`);
    if (opts.max !== undefined && x > opts.max) return void p.push(`${path}: must be <= ${opts.max}, got ${x}`);
  };
  const str = (path: string, x: unknown) => {
    if (typeof x !== 'string' || x === '') p.push(`${path}: expected a non-empty string, got ${show(x)}`);
  };
  num('version', v.version, { min: 0 });
  str('service', v.service);
  str('instance', v.instance);
  if (v.app !== null) {
    if (!isObj(v.app)) p.push(`app: expected {host, port} or null, got ${show(v.app)}`);
    else {
      str('app.host', v.app.host);
      num('app.port', v.app.port, { int: true, min: 1, max: 65535 });
    }
  }
  num('t0', v.t0, { min: 0 });
  num('seed', v.seed);
  if (!isObj(v.clusters)) p.push(`clusters: expected an object of destination name → cluster, got ${show(v.clusters)}`);
  else {
    for (const [name, c] of Object.entries(v.clusters)) {
      const at = `clusters.${name}`;
      if (!isObj(c)) {
        p.push(`${at}: expected {policy, endpoints}, got ${show(c)}`);
        continue;
      }
      if (!Array.isArray(c.endpoints)) p.push(`${at}.endpoints: expected an array, got ${show(c.endpoints)}`);
      else {
        const seen = new Set<string>();
        c.endpoints.forEach((e: unknown, i: number) => {
          const ep = `${at}.endpoints[${i}]`;
          if (!isObj(e)) return void p.push(`${ep}: expected {instance, host, port, healthy}, got ${show(e)}`);
          str(`${ep}.instance`, e.instance);
          if (typeof e.instance === 'string') {
            if (seen.has(e.instance)) p.push(`${ep}.instance: ${e.instance} is listed twice`);
            seen.add(e.instance);
          }
          str(`${ep}.host`, e.host);
          num(`${ep}.port`, e.port, { int: true, min: 1, max: 65535 });
          if (typeof e.healthy !== 'boolean') p.push(`${ep}.healthy: expected true or false, got ${show(e.healthy)}`);
        });
      }
      const pol = c.policy;
      if (!isObj(pol)) {
        p.push(`${at}.policy: expected {timeoutMs, retries, loadBalancer}, got ${show(pol)}`);
        continue;
      }
      num(`${at}.policy.timeoutMs`, pol.timeoutMs, { min: 0, nullable: true });
      if (typeof pol.loadBalancer !== 'string' || !LOAD_BALANCERS.has(pol.loadBalancer)) {
        p.push(`${at}.policy.loadBalancer: expected one of ${[...LOAD_BALANCERS].join(', ')}, got ${show(pol.loadBalancer)}`);
      }
      const r = pol.retries;
      if (r === null) continue;
      const rp = `${at}.policy.retries`;
      if (!isObj(r)) {
        p.push(`${rp}: expected a retry policy or null, got ${show(r)}`);
        continue;
      }
      num(`${rp}.attempts`, r.attempts, { int: true, min: 0 });
      num(`${rp}.perTryTimeoutMs`, r.perTryTimeoutMs, { min: 0, nullable: true });
      if (!Array.isArray(r.retryOn)) p.push(`${rp}.retryOn: expected an array, got ${show(r.retryOn)}`);
      else
        r.retryOn.forEach((on: unknown, i: number) => {
          if (typeof on !== 'string' || !RETRY_ON.has(on)) p.push(`${rp}.retryOn[${i}]: expected one of ${[...RETRY_ON].join(', ')}, got ${show(on)}`);
        });
      if (!Array.isArray(r.retriableStatusCodes)) p.push(`${rp}.retriableStatusCodes: expected an array of status codes, got ${show(r.retriableStatusCodes)}`);
      else r.retriableStatusCodes.forEach((s: unknown, i: number) => num(`${rp}.retriableStatusCodes[${i}]`, s, { int: true, min: 100, max: 599 }));
      if (!isObj(r.backoff)) p.push(`${rp}.backoff: expected {baseMs, maxMs}, got ${show(r.backoff)}`);
      else {
        num(`${rp}.backoff.baseMs`, r.backoff.baseMs, { min: 0 });
        num(`${rp}.backoff.maxMs`, r.backoff.maxMs, { min: 0 });
        if (typeof r.backoff.baseMs === 'number' && typeof r.backoff.maxMs === 'number' && r.backoff.maxMs < r.backoff.baseMs) {
          p.push(`${rp}.backoff.maxMs: must be >= baseMs (${r.backoff.baseMs}), got ${r.backoff.maxMs}`);
        }
      }
      if (r.budget !== null) {
        if (!isObj(r.budget)) p.push(`${rp}.budget: expected {percent, minRetryConcurrency} or null, got ${show(r.budget)}`);
        else {
          num(`${rp}.budget.percent`, r.budget.percent, { min: 0, max: 1 });
          num(`${rp}.budget.minRetryConcurrency`, r.budget.minRetryConcurrency, { int: true, min: 0 });
        }
      }
    }
  }
  return p;
}

/** Narrows after validation. */
export function isValidSidecarConfig(v: unknown): v is SidecarConfig {
  return validateSidecarConfig(v).length === 0;
}
