import { spiffeId } from '../contract/spiffe.ts';
import type { Scenario } from '../scenario/scenario.ts';
import type { AuthorizationPolicy, MtlsMode } from '../contract/security-policy.ts';
import { unreachableRules } from '../scenario/policy-reach.ts';
import { formatDuration, formatPercent } from '../util/format.ts';
import { callersOf } from '../verdict/scope.ts';
import { andList } from './words.ts';

const ACCEPTS: Readonly<Record<MtlsMode, string>> = {
  STRICT: 'mutual TLS only; a plaintext caller is refused at the connection',
  PERMISSIVE: 'mutual TLS and plaintext alike (plaintext callers prove no identity)',
  DISABLE: 'plaintext only; callers do not originate mutual TLS to it, and no caller proves who it is',
};

/**
Security in words, for `meshproof explain`: the CA and the certificates' life, each service's
identity and what its inbound accepts (and why: its own PeerAuthentication or the mesh's), how each
caller reaches it, and its authorization policies in the order Istio evaluates them, each flagged
when it can never match.
*/
export function describeSecurity(scenario: Scenario): string[] {
  const sec = scenario.security;
  if (!sec) return [];
  const lines: string[] = [];
  const root = sec.rootCA ? `signs with an intermediate under the root in ${sec.rootCA.certFile}` : 'makes a self-signed root for the run';
  lines.push(
    `The control plane is the CA: it ${root}, issues every instance a certificate for ${formatDuration(sec.certTtlMs)} whose SPIFFE ID is spiffe://${sec.trustDomain}/ns/default/sa/<service>, and renews each at ${formatPercent(sec.renewAt)} of its life, pushed to its sidecar.`,
  );
  lines.push(`Mesh-wide mTLS: ${sec.mtls} — ${ACCEPTS[sec.mtls]}.`);
  if (scenario.load.plaintext) lines.push(`The load generator is an outside client: it sends plaintext to ${scenario.load.target} and has no identity.`);
  else lines.push(`The load generator's sidecar is in the mesh: it calls ${scenario.load.target} as ${spiffeId(sec.trustDomain, 'client')}.`);
  for (const s of scenario.services) {
    const mode = s.mtls ?? sec.mtls;
    const why = s.mtls ? 'its own PeerAuthentication' : 'the mesh-wide mode';
    const callers = callersOf(s.name, scenario);
    const outside = scenario.load.plaintext && scenario.load.target === s.name;
    const meshed = callers.filter((c) => !(outside && c === 'client')).map((c) => (c === 'client' ? "the load generator's sidecar" : c));
    const how: string[] = [];
    if (meshed.length) how.push(`${andList(meshed)} ${meshed.length === 1 ? 'calls' : 'call'} it ${mode === 'DISABLE' ? 'in plaintext' : 'over mutual TLS, checking it presents this identity'}`);
    if (outside) how.push('the load generator calls it in plaintext, with no identity');
    lines.push(`${s.name} is ${spiffeId(sec.trustDomain, s.name)}; it accepts ${ACCEPTS[mode]} (${mode}, ${why}). ${how.length ? `${how.join('; ')}.` : 'Nothing calls it.'}`);
    const policies = s.authorization ?? [];
    if (policies.length === 0) {
      lines.push(`  Authorization: none, so every request is allowed.`);
      continue;
    }
    lines.push(`  Authorization (DENY policies first, then ALLOW; ${policies.some((p) => p.action === 'ALLOW') ? 'with an ALLOW policy, a request none matches is denied' : 'no ALLOW policy, so what no DENY matches is allowed'}; a refusal is 403 RBAC: access denied):`);
    const ctx = { service: s.name, callers, trustDomain: sec.trustDomain, mode, plaintextCallers: scenario.load.plaintext && scenario.load.target === s.name ? ['client'] : [] };
    for (const p of orderOf(policies)) {
      lines.push(`    ${p.name}: ${policyWords(p)}.`);
      for (const u of unreachableRules(p, ctx)) lines.push(`      ⚠ ${u.message}.`);
    }
  }
  return lines;
}

/** Istio's evaluation order: DENY, then ALLOW; AUDIT last (it never decides). */
function orderOf(policies: readonly AuthorizationPolicy[]): AuthorizationPolicy[] {
  const rank = { DENY: 0, ALLOW: 1, AUDIT: 2 } as const;
  return [...policies].sort((a, b) => rank[a.action] - rank[b.action]);
}

function policyWords(p: AuthorizationPolicy): string {
  const verb = p.action === 'ALLOW' ? 'allows' : p.action === 'DENY' ? 'denies' : 'marks (AUDIT, never decides)';
  if (p.rules.length === 0) return p.action === 'ALLOW' ? 'allows nothing (an ALLOW policy with no rules)' : `${verb} nothing (no rules)`;
  const rules = p.rules.map((r) => {
    const parts: string[] = [];
    if (r.from.length) {
      parts.push(
        `from ${r.from
          .map((s) =>
            [s.services && andList(s.services), s.notServices && `anyone but ${andList(s.notServices)}`, s.principals && `identities ${andList(s.principals)}`, s.notPrincipals && `identities other than ${andList(s.notPrincipals)}`]
              .filter(Boolean)
              .join(' who is also '),
          )
          .join(' or ')}`,
      );
    }
    if (r.to.length) {
      parts.push(
        `to ${r.to
          .map((o) => [o.methods && o.methods.join('/'), o.notMethods && `not ${o.notMethods.join('/')}`, o.paths && `paths ${o.paths.join(', ')}`, o.notPaths && `paths other than ${o.notPaths.join(', ')}`, o.ports && `port ${o.ports.join(', ')}`].filter(Boolean).join(' '))
          .join(' or ')}`,
      );
    }
    if (r.when.length) parts.push(`when ${r.when.map((w) => `header ${w.header} is ${w.values.join(' or ')}`).join(' and ')}`);
    return parts.length ? parts.join(' ') : 'every request';
  });
  return `${verb} ${rules.join('; or ')}`;
}
