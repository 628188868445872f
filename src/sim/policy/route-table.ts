import type { GatewayRoute, RouteMatch, StringMatch, WeightedDestination } from '../../contract/gateway-route.ts';
import type { Random } from '../../util/random.ts';

/** What a request offers the route table: its Host (lower-case, without port), its path (query included or not), its headers. */
export interface RouteRequest {
  host: string;
  path: string;
  /** A header's value by lower-case name; several values joined as Node joins them. */
  header(name: string): string | undefined;
}

/** Why no rule took a request: no virtual host for its Host, or none of that host's rules matched. */
export type NoRoute = { kind: 'no-host'; hosts: readonly string[] } | { kind: 'no-rule'; host: string; rules: number };

export type RouteDecision = { kind: 'route'; rule: number; to: readonly WeightedDestination[] } | NoRoute;

interface CompiledMatch {
  path: ((p: string) => boolean) | null;
  headers: { name: string; test: (v: string) => boolean }[];
}

interface VirtualHost {
  domain: string;
  /** Indices into the table's rules, in order. */
  rules: number[];
}

/**
A gateway's routes, compiled once per config: Envoy's virtual host selection, then Istio's first
match in order. The Host picks the virtual host — an exact domain, else the `*.suffix` wildcard
with the longest suffix, else `*` — and only that host's rules are tried, as in Envoy: a request
for a host with rules of its own never falls through to the rules of `*`. Within the host, the
first rule with a match block whose conditions all hold wins. Pure: the weighted pick takes the
caller's random.
*/
export class RouteTable {
  readonly routes: readonly GatewayRoute[];
  private readonly exact = new Map<string, VirtualHost>();
  /** Wildcards by suffix (`.example.com`), longest first. */
  private readonly wildcards: { suffix: string; vh: VirtualHost }[] = [];
  private any: VirtualHost | null = null;
  private readonly compiled: CompiledMatch[][];

  constructor(routes: readonly GatewayRoute[]) {
    this.routes = routes;
    this.compiled = routes.map((r) => r.match.map(compileMatch));
    const byDomain = new Map<string, VirtualHost>();
    routes.forEach((r, i) => {
      for (const h of new Set(r.hosts.map((x) => x.toLowerCase()))) {
        let vh = byDomain.get(h);
        if (!vh) byDomain.set(h, (vh = { domain: h, rules: [] }));
        vh.rules.push(i);
      }
    });
    for (const [domain, vh] of byDomain) {
      if (domain === '*') this.any = vh;
      else if (domain.startsWith('*.')) this.wildcards.push({ suffix: domain.slice(1), vh });
      else this.exact.set(domain, vh);
    }
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  /** The hosts the table serves, as written (for messages). */
  hosts(): string[] {
    return [...this.exact.keys(), ...this.wildcards.map((w) => w.vh.domain), ...(this.any ? ['*'] : [])];
  }

  /** The virtual host a Host header selects, or null. */
  virtualHost(host: string): VirtualHost | null {
    const h = host.toLowerCase();
    const exact = this.exact.get(h);
    if (exact) return exact;
    for (const w of this.wildcards) if (h.length > w.suffix.length && h.endsWith(w.suffix)) return w.vh;
    return this.any;
  }

  /** The rule a request takes, or why none does. */
  route(req: RouteRequest): RouteDecision {
    const vh = this.virtualHost(req.host);
    if (!vh) return { kind: 'no-host', hosts: this.hosts() };
    const q = req.path.indexOf('?');
    const path = q === -1 ? req.path : req.path.slice(0, q);
    for (const i of vh.rules) {
      const blocks = this.compiled[i];
      if (blocks.length === 0 || blocks.some((b) => matches(b, path, req))) return { kind: 'route', rule: i, to: this.routes[i].to };
    }
    return { kind: 'no-rule', host: vh.domain, rules: vh.rules.length };
  }

  /** One destination of a rule: the only one, or one drawn by weight. */
  static pick(to: readonly WeightedDestination[], random: Random): string {
    if (to.length === 1) return to[0].service;
    const total = to.reduce((a, d) => a + d.weight, 0);
    let x = random() * total;
    for (const d of to) {
      if (d.weight <= 0) continue;
      x -= d.weight;
      if (x < 0) return d.service;
    }
    // Rounding can leave x a hair above 0 after the last: the last destination with a weight takes it.
    return [...to].reverse().find((d) => d.weight > 0)!.service;
  }
}

function matches(b: CompiledMatch, path: string, req: RouteRequest): boolean {
  if (b.path && !b.path(path)) return false;
  for (const h of b.headers) {
    const v = req.header(h.name);
    if (v === undefined || !h.test(v)) return false;
  }
  return true;
}

function compileMatch(m: RouteMatch): CompiledMatch {
  return { path: m.path ? compileString(m.path) : null, headers: m.headers.map((h) => ({ name: h.name.toLowerCase(), test: compileString(h.match) })) };
}

function compileString(m: StringMatch): (v: string) => boolean {
  switch (m.kind) {
    case 'exact':
      return (v) => v === m.value;
    case 'prefix':
      return (v) => v.startsWith(m.value);
    case 'regex': {
      // Envoy's safe_regex must match the whole value.
      const re = new RegExp(`^(?:${m.value})$`);
      return (v) => re.test(v);
    }
  }
}
