import type { Random } from '../../util/random.ts';
import { RouteTable } from '../policy/route-table.ts';
import type { ClusterState } from './cluster.ts';
import type { Exchange } from './exchange.ts';
import type { Filter } from './filter.ts';
import { Flag } from './flags.ts';
import type { ListenerStats } from './stats.ts';

export interface GatewayRouteContext {
  /** This gateway's name, for messages. */
  readonly service: string;
  readonly random: Random;
  readonly stats: ListenerStats;
  /** The routes in force; null before the first config. */
  routes(): RouteTable | null;
  cluster(name: string): ClusterState | undefined;
}

/**
A gateway's route resolution, in place of an app's Host lookup: the request's Host, path and
headers pick a rule of the gateway's routes (route-table.ts), the rule a destination (by weight when
it has several), and the request goes on to that cluster's filters and router, recorded on the edge
from the gateway to it as well as on the gateway's own series. No rule: 404 with Envoy's flag NR,
counted as `no_route`; no config yet: 503 NC.
*/
export function gatewayRouteFilter(ctx: GatewayRouteContext): Filter {
  return (next) => (ex) => {
    const table = ctx.routes();
    if (table === null) {
      ctx.stats.no_config++;
      ex.sendLocalReply(503, Flag.NC, `no config from the control plane yet: gateway ${ctx.service} has no routes`);
      return;
    }
    const decision = table.route({ host: ex.authority, path: ex.path, header: (name) => headerValue(ex, name) });
    if (decision.kind !== 'route') {
      ctx.stats.no_route++;
      const method = ex.req.method ?? 'GET';
      ex.sendLocalReply(
        404,
        Flag.NR,
        decision.kind === 'no-host'
          ? `no route: gateway ${ctx.service} serves no host "${ex.authority}" (hosts: ${decision.hosts.join(', ') || 'none'})`
          : `no route: none of the ${decision.rules} rule(s) of host "${decision.host}" at gateway ${ctx.service} matches ${method} ${ex.path}`,
      );
      return;
    }
    const name = RouteTable.pick(decision.to, ctx.random);
    const cluster = ctx.cluster(name);
    if (!cluster) {
      ctx.stats.no_route++;
      ex.sendLocalReply(404, Flag.NR, `no route: rule ${decision.rule} of gateway ${ctx.service} sends to ${name}, which is not one of its destinations`);
      return;
    }
    ex.cluster = cluster;
    ex.edgeSeriesKey = cluster.edgeKey;
    next(ex);
  };
}

function headerValue(ex: Exchange, name: string): string | undefined {
  const v = ex.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
