import { OUTBOUND_TRAFFIC_POLICIES } from '../../contract/gateway-route.ts';
import { isObj, show, type Obj } from './config-value.ts';


const MATCH_KINDS: ReadonlySet<string> = new Set(['exact', 'prefix', 'regex']);

/**
The problems of a pushed config's edge parts, each prefixed with its path: the gateway (its routes,
whose destinations must be clusters of the config, and its TLS), the outbound traffic policy, the
passthrough hosts, and TLS toward a cluster. All may be absent (an app's sidecar under ALLOW_ANY).
*/
export function validateEdgeConfig(v: Obj): string[] {
  const p: string[] = [];
  const clusters = isObj(v.clusters) ? v.clusters : {};
  if (v.outboundTrafficPolicy !== undefined && !(OUTBOUND_TRAFFIC_POLICIES as readonly unknown[]).includes(v.outboundTrafficPolicy)) {
    p.push(`outboundTrafficPolicy: expected one of ${OUTBOUND_TRAFFIC_POLICIES.join(', ')}, got ${show(v.outboundTrafficPolicy)}`);
  }
  if (v.passthrough !== undefined) {
    if (!isObj(v.passthrough)) p.push(`passthrough: expected an object of host → endpoints, got ${show(v.passthrough)}`);
    else {
      for (const [host, eps] of Object.entries(v.passthrough)) {
        if (host in clusters) p.push(`passthrough.${host}: ${host} is a cluster of this config; a passthrough host is one the registry does not know`);
        if (!Array.isArray(eps) || eps.length === 0) p.push(`passthrough.${host}: expected a non-empty array of endpoints, got ${show(eps)}`);
        else
          eps.forEach((e: unknown, i: number) => {
            if (!isObj(e) || typeof e.instance !== 'string' || typeof e.host !== 'string' || !Number.isInteger(e.port)) p.push(`passthrough.${host}[${i}]: expected {instance, host, port, healthy}, got ${show(e)}`);
          });
      }
    }
  }
  for (const [name, c] of Object.entries(clusters)) {
    if (!isObj(c) || c.tls === undefined || c.tls === null) continue;
    const t = c.tls;
    if (!isObj(t) || typeof t.ca !== 'string' || !t.ca.includes('BEGIN CERTIFICATE') || typeof t.serverName !== 'string' || t.serverName === '') {
      p.push(`clusters.${name}.tls: expected {ca: a PEM certificate, serverName} or null, got ${show(t)}`);
    }
  }
  const g = v.gateway;
  if (g === undefined || g === null) return p;
  if (!isObj(g)) return [...p, `gateway: expected {kind, routes, tls} or null, got ${show(g)}`];
  if (g.kind !== 'ingress' && g.kind !== 'egress') p.push(`gateway.kind: expected ingress or egress, got ${show(g.kind)}`);
  if (v.app !== null) p.push(`app: a gateway has no app; expected null, got ${show(v.app)}`);
  if (g.tls !== null && (!isObj(g.tls) || typeof g.tls.certChain !== 'string' || typeof g.tls.key !== 'string')) {
    p.push(`gateway.tls: expected {certChain, key} (PEM) or null, got ${show(g.tls)}`);
  }
  if (!Array.isArray(g.routes)) return [...p, `gateway.routes: expected an array, got ${show(g.routes)}`];
  g.routes.forEach((r: unknown, i: number) => {
    const at = `gateway.routes[${i}]`;
    if (!isObj(r)) return void p.push(`${at}: expected {hosts, match, to}, got ${show(r)}`);
    if (!Array.isArray(r.hosts) || r.hosts.length === 0 || r.hosts.some((h) => typeof h !== 'string' || h === '')) p.push(`${at}.hosts: expected a non-empty array of hosts, got ${show(r.hosts)}`);
    if (!Array.isArray(r.match)) p.push(`${at}.match: expected an array of match blocks, got ${show(r.match)}`);
    else
      r.match.forEach((m: unknown, j: number) => {
        const mp = `${at}.match[${j}]`;
        if (!isObj(m)) return void p.push(`${mp}: expected {path, headers}, got ${show(m)}`);
        if (m.path !== null) stringMatch(`${mp}.path`, m.path, p);
        if (!Array.isArray(m.headers)) p.push(`${mp}.headers: expected an array, got ${show(m.headers)}`);
        else
          m.headers.forEach((h: unknown, k: number) => {
            if (!isObj(h) || typeof h.name !== 'string' || h.name === '') return void p.push(`${mp}.headers[${k}]: expected {name, match}, got ${show(h)}`);
            stringMatch(`${mp}.headers[${k}].match`, h.match, p);
          });
      });
    if (!Array.isArray(r.to) || r.to.length === 0) return void p.push(`${at}.to: expected a non-empty array of {service, weight}, got ${show(r.to)}`);
    let sum = 0;
    r.to.forEach((d: unknown, j: number) => {
      if (!isObj(d) || typeof d.service !== 'string' || typeof d.weight !== 'number' || !(d.weight >= 0)) return void p.push(`${at}.to[${j}]: expected {service, weight >= 0}, got ${show(d)}`);
      sum += d.weight;
      if (!(d.service in clusters)) p.push(`${at}.to[${j}].service: ${d.service} is not a cluster of this config (clusters: ${Object.keys(clusters).join(', ') || 'none'})`);
    });
    if (!(sum > 0)) p.push(`${at}.to: the weights add up to 0; some destination must have a weight`);
  });
  return p;
}

function stringMatch(at: string, m: unknown, p: string[]): void {
  if (!isObj(m) || typeof m.kind !== 'string' || !MATCH_KINDS.has(m.kind) || typeof m.value !== 'string') {
    return void p.push(`${at}: expected {kind: exact, prefix or regex, value}, got ${show(m)}`);
  }
  if (m.kind === 'regex') {
    try {
      new RegExp(m.value);
    } catch (err) {
      p.push(`${at}.value: not a valid regular expression: ${(err as Error).message}`);
    }
  }
}
