import { WORKLOAD_PORT } from '../../contract/defaults.ts';
import { rbacPolicyName, type AuthorizationEvaluator, type AuthorizationRequest } from '../../security/authorization.ts';
import type { Exchange } from './exchange.ts';
import type { Filter } from './filter.ts';
import { DENIED_BY } from './router.ts';
import type { ListenerStats } from './stats.ts';
import { markPolicy } from './spans.ts';

/** The body of an authorization refusal, exactly Envoy's. */
export const RBAC_DENIED_BODY = 'RBAC: access denied';

export interface AuthorizationFilterContext {
  readonly stats: ListenerStats;
  /** The pod's policies, compiled; null when it has none (every request passes untouched). */
  evaluator(): AuthorizationEvaluator | null;
  /** A request was refused: `policy` is Envoy's name of the deciding rule (`none` when no ALLOW matched). */
  onDenied(ex: Exchange, policy: string): void;
}

/**
Envoy's RBAC filter as Istio configures it from AuthorizationPolicy, first on the inbound path:
DENY policies, then ALLOW ones (AUDIT only counted). A refused request is answered 403 with the
body `RBAC: access denied` and no response flag, as Envoy does; the deciding policy goes in a
response header (what Envoy keeps in its response code details) so the caller's sidecar counts the
refusal on its edge. Active health checks pass, as the kubelet's probes do in Istio.
*/
export function authorizationFilter(ctx: AuthorizationFilterContext): Filter {
  return (next) => (ex) => {
    const evaluator = ctx.evaluator();
    if (evaluator === null || ex.healthCheck) return next(ex);
    const decision = evaluator.evaluate(requestOf(ex));
    if (decision.audited.length > 0) ctx.stats.rbac_logged++;
    if (decision.allowed) {
      ctx.stats.rbac_allowed++;
      return next(ex);
    }
    ctx.stats.rbac_denied++;
    const policy = rbacPolicyName(decision.decidedBy);
    ex.denied = true;
    markPolicy(ex, 'authorization');
    ex.detail = `rbac_access_denied_matched_policy[${policy}]`;
    ctx.onDenied(ex, policy);
    const res = ex.res;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(403, ['content-type', 'text/plain', 'content-length', String(RBAC_DENIED_BODY.length), DENIED_BY, policy]);
    res.end(RBAC_DENIED_BODY);
  };
}

function requestOf(ex: Exchange): AuthorizationRequest {
  const url = ex.req.url ?? '/';
  const q = url.indexOf('?');
  const headers = ex.req.headers;
  return {
    peer: ex.peer,
    method: ex.req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    port: WORKLOAD_PORT,
    header: (name) => {
      const v = headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
  };
}
