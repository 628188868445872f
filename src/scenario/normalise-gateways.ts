import type { GatewayRoute, RouteMatch, StringMatch, WeightedDestination } from '../contract/gateway-route.ts';
import { GATEWAY_REPLICAS_DEFAULT } from '../contract/defaults.ts';
import { formatPercent } from '../util/format.ts';
import type { RuleContext } from './rule-context.ts';
import type { GatewaySpec, GatewayTls } from './scenario.ts';
import type { RateLimit } from '../contract/mesh-policy.ts';
import { childPath, indexPath } from './source-file.ts';
import { didYouMean } from './suggest.ts';

// What check-shape produced for `gateways`; every field may be missing (invalid, or not written).

type CheckedStringMatch = { exact?: string; prefix?: string; regex?: string };

interface CheckedMatch {
  path?: CheckedStringMatch;
  headers?: Map<string, string | CheckedStringMatch | undefined>;
}

interface CheckedRoute {
  host?: string | Array<string | undefined>;
  match?: CheckedMatch | Array<CheckedMatch | undefined> | null;
  to?: string | Map<string, number | undefined>;
}

export interface CheckedGateway {
  kind?: 'ingress' | 'egress';
  replicas?: number;
  routes?: Array<CheckedRoute | undefined>;
  tls?: boolean | { mode?: 'SIMPLE' };
  rateLimit?: { requestsPerSecond?: number; burst?: number } | number | null;
}

/** What a gateway may send to: the services, and the externals (a gateway is a caller like any sidecar). */
export interface GatewayDestinations {
  services: readonly string[];
  externals: readonly string[];
}

/**
Checks `gateways` and builds `GatewaySpec`s: an ingress gateway has routes to services the scenario
declares, weights that add up to 100%, regular expressions that compile; an egress gateway has
neither routes nor TLS, and there is at most one.
*/
export function normaliseGateways(
  ctx: RuleContext,
  checked: Map<string, CheckedGateway | undefined>,
  destinations: GatewayDestinations,
  rateLimit: (r: CheckedGateway['rateLimit']) => RateLimit | null,
): GatewaySpec[] {
  const out: GatewaySpec[] = [];
  let egress: string | null = null;
  for (const [name, g] of checked) {
    if (g === undefined || g.kind === undefined) continue;
    const path = childPath('gateways', name);
    if (g.kind === 'egress') {
      if (egress !== null) {
        ctx.error(path, `a second egress gateway (${egress} is one already): calls to externals leave through the one egress gateway; declare one, with replicas`, true);
        continue;
      }
      egress = name;
      for (const key of ['routes', 'tls']) {
        if (ctx.given(childPath(path, key))) {
          ctx.error(childPath(path, key), `${key} is for an ingress gateway; an egress gateway routes each call to the external its host names, as it came`, true);
        }
      }
    } else if (!ctx.given(childPath(path, 'routes'))) {
      ctx.error(path, `an ingress gateway needs routes: where the requests it receives go, such as routes: [{ match: { path: { prefix: / } }, to: ${destinations.services[0] ?? 'checkout'} }]`, true);
    }
    const routes = g.kind === 'ingress' ? (g.routes ?? []).map((r, i) => route(ctx, r, indexPath(childPath(path, 'routes'), i), destinations)) : [];
    const valid = routes.filter((r): r is GatewayRoute => r !== null);
    out.push({
      name,
      kind: g.kind,
      replicas: g.replicas ?? GATEWAY_REPLICAS_DEFAULT,
      routes: valid,
      tls: g.kind === 'ingress' && (g.tls === true || (typeof g.tls === 'object' && g.tls !== null)) ? tlsFor(name, valid) : null,
      rateLimit: rateLimit(g.rateLimit),
    });
  }
  return out;
}

/** The names a gateway's certificate is for: its routes' hosts, or its own name when they name none but `*`. */
function tlsFor(name: string, routes: readonly GatewayRoute[]): GatewayTls {
  const hosts = [...new Set(routes.flatMap((r) => r.hosts).filter((h) => h !== '*'))];
  return { mode: 'SIMPLE', hosts: hosts.length > 0 ? hosts : [name] };
}

function route(ctx: RuleContext, r: CheckedRoute | undefined, path: string, destinations: GatewayDestinations): GatewayRoute | null {
  if (r === undefined) return null;
  const hosts = (typeof r.host === 'string' ? [r.host] : (r.host ?? ['*'])).filter((h): h is string => h !== undefined);
  const blocks = r.match === undefined || r.match === null ? [] : Array.isArray(r.match) ? r.match : [r.match];
  const matchPath = childPath(path, 'match');
  let ok = true;
  const match: RouteMatch[] = [];
  blocks.forEach((b, i) => {
    if (b === undefined) {
      ok = false;
      return;
    }
    const at = Array.isArray(r.match) ? indexPath(matchPath, i) : matchPath;
    const m = block(ctx, b, at);
    if (m) match.push(m);
    else ok = false;
  });
  const to = destinationsOf(ctx, r.to, childPath(path, 'to'), destinations);
  if (!ok || !to || r.to === undefined) return null;
  return { hosts, match, to };
}

function block(ctx: RuleContext, b: CheckedMatch, path: string): RouteMatch | null {
  let ok = true;
  const path_ = b.path === undefined ? null : stringMatch(ctx, b.path, childPath(path, 'path'));
  if (b.path !== undefined && path_ === null) ok = false;
  if (path_ && path_.kind !== 'regex' && !path_.value.startsWith('/')) {
    ctx.error(childPath(path, 'path'), `a request path starts with /; found "${path_.value}"`);
    ok = false;
  }
  const headers: RouteMatch['headers'] = [];
  for (const [name, v] of b.headers ?? new Map<string, string | CheckedStringMatch | undefined>()) {
    if (v === undefined) {
      ok = false;
      continue;
    }
    const at = childPath(childPath(path, 'headers'), name);
    const m = typeof v === 'string' ? { kind: 'exact' as const, value: v } : stringMatch(ctx, v, at);
    if (m) headers.push({ name: name.toLowerCase(), match: m });
    else ok = false;
  }
  return ok ? { path: path_, headers } : null;
}

function stringMatch(ctx: RuleContext, m: CheckedStringMatch, path: string): StringMatch | null {
  if (m.exact !== undefined) return { kind: 'exact', value: m.exact };
  if (m.prefix !== undefined) return { kind: 'prefix', value: m.prefix };
  if (m.regex === undefined) return null;
  try {
    new RegExp(m.regex);
  } catch (err) {
    ctx.error(childPath(path, 'regex'), `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
    return null;
  }
  return { kind: 'regex', value: m.regex };
}

function destinationsOf(ctx: RuleContext, to: CheckedRoute['to'], path: string, d: GatewayDestinations): WeightedDestination[] | null {
  const known = [...d.services];
  const check = (service: string, at: string, atKey: boolean): boolean => {
    if (d.services.includes(service)) return true;
    if (d.externals.includes(service)) {
      ctx.error(at, `${service} is an external service: an ingress gateway routes into the mesh, to a service (services: ${known.join(', ')})`, atKey);
    } else {
      ctx.error(at, `unknown service "${service}"${didYouMean(service, known)} (services: ${known.join(', ')})`, atKey);
    }
    return false;
  };
  if (to === undefined) return null;
  if (typeof to === 'string') return check(to, path, false) ? [{ service: to, weight: 1 }] : null;
  let ok = true;
  const out: WeightedDestination[] = [];
  for (const [service, weight] of to) {
    if (!check(service, childPath(path, service), true)) ok = false;
    if (weight === undefined) ok = false;
    else out.push({ service, weight });
  }
  if (!ok) return null;
  const sum = out.reduce((a, w) => a + w.weight, 0);
  if (Math.abs(sum - 1) > 1e-9) {
    ctx.error(path, `the weights add up to ${formatPercent(sum)}; they must add up to 100% (as an Istio route's weights do)`);
    return null;
  }
  if (out.every((w) => w.weight === 0)) return null;
  return out;
}

/** The replicas of a gateway, as the checker found them (for name checks before the gateway is built). */
export function gatewayReplicas(g: CheckedGateway | undefined): number | null {
  return g?.replicas ?? (g ? GATEWAY_REPLICAS_DEFAULT : null);
}
