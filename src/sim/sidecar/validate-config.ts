import { DEADLINE_MODES as DEADLINE_NAMES, LOAD_BALANCERS as LB_NAMES, RETRY_ON as RETRY_ON_NAMES } from '../../contract/mesh-policy.ts';
import { validateSecurity, validateUpstreamTls } from './validate-security.ts';
import { validateEdgeConfig } from './validate-edge.ts';
import { isObj, show, type Obj } from './config-value.ts';

const DEADLINE_MODES: ReadonlySet<string> = new Set(DEADLINE_NAMES);

const RETRY_ON: ReadonlySet<string> = new Set(RETRY_ON_NAMES);
const LOAD_BALANCERS: ReadonlySet<string> = new Set(LB_NAMES);


/**
Every problem with a pushed config, each prefixed with its path (`clusters.payments.endpoints[0].port: …`);
empty when it can be applied. Unknown fields are allowed, so a control plane that knows more policy
than this sidecar can still push to it. The policies of issue 3 (zone, subset, inbound, cluster
fault and bulkhead, endpoint zone and version, and the policy's connectionPool, outlierDetection,
panicThreshold, healthCheck, fault, locality, split) may be absent, which means off
(`withDefaults`); when present they must make sense.
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
  const rateLimit = (path: string, r: unknown) => {
    if (r === undefined || r === null) return;
    if (!isObj(r)) return void p.push(`${path}: expected {requestsPerSecond, burst} or null, got ${show(r)}`);
    num(`${path}.requestsPerSecond`, r.requestsPerSecond, { min: Number.MIN_VALUE });
    if (r.burst !== undefined) num(`${path}.burst`, r.burst, { min: 1 });
  };
  const fraction = (path: string, x: unknown) => num(path, x, { min: 0, max: 1 });
  const globalRateLimit = (path: string, g: unknown) => {
    if (g === undefined || g === null) return;
    if (!isObj(g)) return void p.push(`${path}: expected {address, domain, timeoutMs, failureMode, descriptors} or null, got ${show(g)}`);
    if (!isObj(g.address)) p.push(`${path}.address: expected {host, port}, got ${show(g.address)}`);
    else {
      str(`${path}.address.host`, g.address.host);
      num(`${path}.address.port`, g.address.port, { int: true, min: 1, max: 65535 });
      if (g.address.authority !== undefined) str(`${path}.address.authority`, g.address.authority);
    }
    str(`${path}.domain`, g.domain);
    num(`${path}.timeoutMs`, g.timeoutMs, { min: 1 });
    if (g.failureMode !== 'allow' && g.failureMode !== 'deny') p.push(`${path}.failureMode: expected allow or deny, got ${show(g.failureMode)}`);
    if (!Array.isArray(g.descriptors)) return void p.push(`${path}.descriptors: expected a list of action lists, got ${show(g.descriptors)}`);
    g.descriptors.forEach((list: unknown, i: number) => {
      if (!Array.isArray(list) || list.length === 0) return void p.push(`${path}.descriptors[${i}]: expected a non-empty list of actions, got ${show(list)}`);
      list.forEach((a: unknown, j: number) => {
        const at = `${path}.descriptors[${i}][${j}]`;
        if (!isObj(a)) return void p.push(`${at}: expected an action, got ${show(a)}`);
        str(`${at}.key`, a.key);
        if (a.kind === 'fixed') str(`${at}.value`, a.value);
        else if (a.kind === 'header') str(`${at}.header`, a.header);
        else if (a.kind !== 'path') p.push(`${at}.kind: expected fixed, header or path, got ${show(a.kind)}`);
      });
    });
  };
  const deadlines = (path: string, x: unknown) => {
    if (x !== undefined && (typeof x !== 'string' || !DEADLINE_MODES.has(x))) p.push(`${path}: expected one of ${DEADLINE_NAMES.join(', ')}, got ${show(x)}`);
  };
  const fault = (path: string, f: unknown) => {
    if (f === undefined || f === null) return;
    if (!isObj(f)) return void p.push(`${path}: expected {delay, abort} or null, got ${show(f)}`);
    if (f.delay !== null) {
      if (!isObj(f.delay)) p.push(`${path}.delay: expected {ms, percent} or null, got ${show(f.delay)}`);
      else {
        num(`${path}.delay.ms`, f.delay.ms, { min: 0 });
        fraction(`${path}.delay.percent`, f.delay.percent);
      }
    }
    if (f.abort !== null) {
      if (!isObj(f.abort)) p.push(`${path}.abort: expected {status, percent} or null, got ${show(f.abort)}`);
      else {
        num(`${path}.abort.status`, f.abort.status, { int: true, min: 200, max: 599 });
        fraction(`${path}.abort.percent`, f.abort.percent);
      }
    }
  };
  const policyExtras = (at: string, pol: Obj) => {
    const cp = pol.connectionPool;
    if (cp !== undefined) {
      if (!isObj(cp)) p.push(`${at}.connectionPool: expected {maxConnections, maxPendingRequests, maxRequests, maxRetries}, got ${show(cp)}`);
      else for (const k of ['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRetries']) if (cp[k] !== undefined) num(`${at}.connectionPool.${k}`, cp[k], { int: true, min: 0, nullable: true });
    }
    const od = pol.outlierDetection;
    if (od !== undefined && od !== null) {
      const o = `${at}.outlierDetection`;
      if (!isObj(od)) p.push(`${o}: expected an outlier detection policy or null, got ${show(od)}`);
      else {
        num(`${o}.consecutive5xx`, od.consecutive5xx, { int: true, min: 1, nullable: true });
        num(`${o}.consecutiveGatewayErrors`, od.consecutiveGatewayErrors, { int: true, min: 1, nullable: true });
        num(`${o}.intervalMs`, od.intervalMs, { min: 1 });
        num(`${o}.baseEjectionTimeMs`, od.baseEjectionTimeMs, { min: 0 });
        num(`${o}.maxEjectionTimeMs`, od.maxEjectionTimeMs, { min: 0 });
        fraction(`${o}.maxEjectionPercent`, od.maxEjectionPercent);
        // Envoy refuses this too: "max_ejection_time cannot be smaller than base_ejection_time".
        if (typeof od.baseEjectionTimeMs === 'number' && typeof od.maxEjectionTimeMs === 'number' && od.maxEjectionTimeMs < od.baseEjectionTimeMs) {
          p.push(`${o}.maxEjectionTimeMs: must be >= baseEjectionTimeMs (${od.baseEjectionTimeMs}), got ${od.maxEjectionTimeMs}`);
        }
      }
    }
    if (pol.panicThreshold !== undefined) fraction(`${at}.panicThreshold`, pol.panicThreshold);
    const hc = pol.healthCheck;
    if (hc !== undefined && hc !== null) {
      const h = `${at}.healthCheck`;
      if (!isObj(hc)) p.push(`${h}: expected a health check policy or null, got ${show(hc)}`);
      else {
        num(`${h}.intervalMs`, hc.intervalMs, { min: 1 });
        num(`${h}.timeoutMs`, hc.timeoutMs, { min: 1 });
        num(`${h}.unhealthyThreshold`, hc.unhealthyThreshold, { int: true, min: 1 });
        num(`${h}.healthyThreshold`, hc.healthyThreshold, { int: true, min: 1 });
        if (hc.path !== undefined && (typeof hc.path !== 'string' || !hc.path.startsWith('/'))) p.push(`${h}.path: expected a path starting with /, got ${show(hc.path)}`);
      }
    }
    fault(`${at}.fault`, pol.fault);
    deadlines(`${at}.deadlines`, pol.deadlines);
    const loc = pol.locality;
    if (loc !== undefined) {
      if (!isObj(loc)) p.push(`${at}.locality: expected {enabled, overprovisioningFactor}, got ${show(loc)}`);
      else {
        if (typeof loc.enabled !== 'boolean') p.push(`${at}.locality.enabled: expected true or false, got ${show(loc.enabled)}`);
        num(`${at}.locality.overprovisioningFactor`, loc.overprovisioningFactor, { min: Number.MIN_VALUE });
      }
    }
    const sp = pol.split;
    if (sp !== undefined && sp !== null) {
      const at2 = `${at}.split`;
      if (!isObj(sp)) p.push(`${at2}: expected {weights, routes} or null, got ${show(sp)}`);
      else {
        if (!isObj(sp.weights)) p.push(`${at2}.weights: expected an object of version → share, got ${show(sp.weights)}`);
        else {
          let sum = 0;
          for (const [ver, w] of Object.entries(sp.weights)) {
            fraction(`${at2}.weights.${ver}`, w);
            if (typeof w === 'number') sum += w;
          }
          if (Object.keys(sp.weights).length > 0 && Math.abs(sum - 1) > 0.001) p.push(`${at2}.weights: shares must add up to 1 (100%), they add up to ${Math.round(sum * 1000) / 1000}`);
          if (Object.keys(sp.weights).length === 0 && (!Array.isArray(sp.routes) || sp.routes.length === 0)) p.push(`${at2}: needs weights or routes`);
        }
        if (!Array.isArray(sp.routes)) p.push(`${at2}.routes: expected an array, got ${show(sp.routes)}`);
        else
          sp.routes.forEach((r: unknown, i: number) => {
            const rp = `${at2}.routes[${i}]`;
            if (!isObj(r)) return void p.push(`${rp}: expected {headers, version}, got ${show(r)}`);
            if (!isObj(r.headers) || Object.keys(r.headers).length === 0) p.push(`${rp}.headers: expected a non-empty object of header → value, got ${show(r.headers)}`);
            else for (const [hn, hv] of Object.entries(r.headers)) if (typeof hv !== 'string') p.push(`${rp}.headers.${hn}: expected a string, got ${show(hv)}`);
            str(`${rp}.version`, r.version);
          });
      }
    }
  };
  num('version', v.version, { min: 0 });
  str('service', v.service);
  str('instance', v.instance);
  if (v.app !== null) {
    if (!isObj(v.app)) p.push(`app: expected {host, port} or null, got ${show(v.app)}`);
    else {
      str('app.host', v.app.host);
      num('app.port', v.app.port, { int: true, min: 1, max: 65535 });
      if (v.app.work !== undefined && typeof v.app.work !== 'boolean') p.push(`app.work: expected true or false, got ${show(v.app.work)}`);
    }
  }
  num('t0', v.t0, { min: 0 });
  num('seed', v.seed);
  if (v.zone !== undefined && v.zone !== null) str('zone', v.zone);
  if (v.subset !== undefined) str('subset', v.subset);
  if (v.inbound !== undefined) {
    if (!isObj(v.inbound)) p.push(`inbound: expected {rateLimit, fault}, got ${show(v.inbound)}`);
    else {
      rateLimit('inbound.rateLimit', v.inbound.rateLimit);
      fault('inbound.fault', v.inbound.fault);
      deadlines('inbound.deadlines', v.inbound.deadlines);
      globalRateLimit('inbound.globalRateLimit', v.inbound.globalRateLimit);
    }
  }
  p.push(...validateSecurity(v.security));
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
          if (e.zone !== undefined && e.zone !== null) str(`${ep}.zone`, e.zone);
          if (e.version !== undefined) str(`${ep}.version`, e.version);
        });
      }
      fault(`${at}.fault`, c.fault);
      p.push(...validateUpstreamTls(`${at}.mtls`, c.mtls));
      if (c.bulkhead !== undefined) num(`${at}.bulkhead`, c.bulkhead, { int: true, min: 0, nullable: true });
      const pol = c.policy;
      if (!isObj(pol)) {
        p.push(`${at}.policy: expected {timeoutMs, retries, loadBalancer}, got ${show(pol)}`);
        continue;
      }
      num(`${at}.policy.timeoutMs`, pol.timeoutMs, { min: 0, nullable: true });
      policyExtras(`${at}.policy`, pol);
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
  p.push(...validateEdgeConfig(v));
  return p;
}
