import type { AuthorizationPolicy, AuthorizationSource, MtlsMode } from '../contract/security-policy.ts';
import { parseSpiffeId, spiffeIdOfPrincipal, NAMESPACE } from '../contract/spiffe.ts';

/** What a policy on one service can be matched by. */
export interface PolicyContext {
  /** The service the policy is on. */
  service: string;
  /** Who calls it: services, and `client` when the load targets it. */
  callers: string[];
  trustDomain: string;
  /** What the service accepts: under DISABLE no caller presents an identity. */
  mode: MtlsMode;
  /** Callers that have no identity (the load as an outside client). */
  plaintextCallers: string[];
}

export interface Unreachable {
  /** The rule that can never match; null for the policy as a whole. */
  rule: number | null;
  message: string;
}

/**
The parts of a policy that no request of the scenario can match, with why: a policy with no rules,
and rules whose every source asks for an identity no caller has (a service that never calls this
one, another trust domain, identities while mutual TLS is DISABLE). Read by the normaliser (as
warnings) and `meshproof explain`. A rule is only flagged when all of its sources are out of reach,
since any one may match.
*/
export function unreachableRules(policy: AuthorizationPolicy, ctx: PolicyContext): Unreachable[] {
  if (policy.rules.length === 0) {
    return [
      {
        rule: null,
        message:
          policy.action === 'ALLOW'
            ? `${policy.name} is an ALLOW policy with no rules: it matches nothing, so every request to ${ctx.service} is denied (Istio's allow-nothing; add rules to let callers in)`
            : `${policy.name} has no rules, so it can never match (rules: [{}] matches every request)`,
      },
    ];
  }
  const out: Unreachable[] = [];
  policy.rules.forEach((rule, i) => {
    if (rule.from.length === 0) return;
    const why = rule.from.map((s) => sourceOutOfReach(s, ctx));
    if (why.every((w) => w !== null)) out.push({ rule: i, message: `rule ${i} of ${policy.name} can never match: ${[...new Set(why)].join('; ')}` });
  });
  return out;
}

/** Why no caller can match this source, or null when one can. */
function sourceOutOfReach(s: AuthorizationSource, ctx: PolicyContext): string | null {
  const wantsIdentity = s.services !== undefined || s.principals !== undefined;
  if (!wantsIdentity) return null;
  if (ctx.mode === 'DISABLE') return `it names callers by identity, and ${ctx.service}'s mTLS is DISABLE, so no caller presents one`;
  const withIdentity = ctx.callers.filter((c) => !ctx.plaintextCallers.includes(c));
  if (s.services !== undefined) {
    const reachable = s.services.filter((x) => withIdentity.includes(x));
    if (reachable.length === 0) return `${listOf(s.services)} ${s.services.length === 1 ? 'does' : 'do'} not call ${ctx.service} with an identity (its callers: ${listOf(ctx.callers) || 'none'}${ctx.plaintextCallers.length ? `; ${listOf(ctx.plaintextCallers)} in plaintext` : ''})`;
  }
  if (s.principals !== undefined) {
    const reasons = s.principals.map((p) => principalOutOfReach(p, withIdentity, ctx));
    if (reasons.every((r) => r !== null)) return reasons.join('; ');
  }
  return null;
}

function principalOutOfReach(p: string, callers: string[], ctx: PolicyContext): string | null {
  // Prefix, suffix and presence forms may match identities the scenario cannot foresee.
  if (p.includes('*')) return null;
  const id = parseSpiffeId(spiffeIdOfPrincipal(p));
  if (!id) return `"${p}" is not an identity of the form <trust domain>/ns/<namespace>/sa/<service>`;
  if (id.trustDomain !== ctx.trustDomain) return `"${p}" is in trust domain ${id.trustDomain}, the mesh's is ${ctx.trustDomain}`;
  if (id.namespace !== NAMESPACE) return `"${p}" is in namespace ${id.namespace}; every meshproof service is in ${NAMESPACE}`;
  if (!callers.includes(id.serviceAccount)) return `"${p}" is ${id.serviceAccount}, which does not call ${ctx.service} with an identity`;
  return null;
}

function listOf(xs: string[]): string {
  return xs.join(', ');
}
