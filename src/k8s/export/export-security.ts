import { principalOf, spiffeId } from '../../contract/spiffe.ts';
import type { Scenario } from '../../scenario/scenario.ts';
import type { AuthorizationPolicy } from '../../contract/security-policy.ts';
import { MANAGED_BY, type ExportNote, type ExportTarget, type Resource } from './exported.ts';

/** Istio's root namespace: a PeerAuthentication there without a selector is mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = 'istio-system';

/**
The security settings as Istio security v1 resources: the mesh-wide mode as a PeerAuthentication in
the root namespace, each service's own mode as a workload PeerAuthentication (selector app: <service>),
each authorization policy as an AuthorizationPolicy on its service, with callers named by principal.
What Istio does unwritten (PERMISSIVE, no policy) is not written. Gateway API and Linkerd targets
get notes: Gateway API has no such resources, and Linkerd's (Server, AuthorizationPolicy,
MeshTLSAuthentication) deny by default per port, which meshproof's policies do not say.
*/
export function exportSecurity(scenario: Scenario, target: ExportTarget, notes: ExportNote[]): Resource[] {
  const sec = scenario.security;
  if (!sec) return [];
  const out: Resource[] = [];
  const why = target === 'gateway-api' ? 'Gateway API has no mTLS or authorization resources' : 'Linkerd meshes every call in mutual TLS and authorizes with Server and AuthorizationPolicy resources per port';
  if (target !== 'istio') {
    if (sec.mtls !== 'PERMISSIVE') notes.push({ destination: '', key: 'security.mtls', message: `${why}; mesh-wide mTLS ${sec.mtls} is not written` });
    for (const s of scenario.services) {
      if (s.mtls) notes.push({ destination: s.name, key: 'mtls', message: `${why}; ${s.name}'s mTLS ${s.mtls} is not written` });
      if (s.authorization?.length) notes.push({ destination: s.name, key: 'authorization', message: `${why}; ${s.name}'s authorization policies are not written` });
    }
    return out;
  }
  if (sec.mtls !== 'PERMISSIVE') out.push(peerAuthentication('default', ISTIO_ROOT_NAMESPACE, null, sec.mtls));
  for (const s of scenario.services) {
    if (s.mtls) out.push(peerAuthentication(s.name, 'default', s.name, s.mtls));
    for (const p of s.authorization ?? []) out.push(authorizationPolicy(s.name, p, sec.trustDomain));
  }
  return out;
}

function peerAuthentication(name: string, namespace: string, service: string | null, mode: string): Resource {
  const spec: Record<string, unknown> = { mtls: { mode } };
  if (service) spec.selector = { matchLabels: { app: service } };
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, labels: { ...MANAGED_BY } } as Resource['metadata'], spec };
}

function authorizationPolicy(service: string, p: AuthorizationPolicy, trustDomain: string): Resource {
  const principals = (services: string[]) => services.map((x) => principalOf(spiffeId(trustDomain, x)));
  const rules = p.rules.map((r) => {
    const rule: Record<string, unknown> = {};
    if (r.from.length) {
      rule.from = r.from.map((s) => {
        const source: Record<string, unknown> = {};
        const positive = [...principals(s.services ?? []), ...(s.principals ?? [])];
        const negative = [...principals(s.notServices ?? []), ...(s.notPrincipals ?? [])];
        if (s.services || s.principals) source.principals = positive;
        if (s.notServices || s.notPrincipals) source.notPrincipals = negative;
        return { source };
      });
    }
    if (r.to.length) {
      rule.to = r.to.map((o) => {
        const operation: Record<string, unknown> = {};
        if (o.methods) operation.methods = o.methods;
        if (o.notMethods) operation.notMethods = o.notMethods;
        if (o.paths) operation.paths = o.paths;
        if (o.notPaths) operation.notPaths = o.notPaths;
        if (o.ports) operation.ports = o.ports.map(String);
        if (o.notPorts) operation.notPorts = o.notPorts.map(String);
        return { operation };
      });
    }
    if (r.when.length) rule.when = r.when.map((w) => ({ key: `request.headers[${w.header}]`, values: w.values }));
    return rule;
  });
  const spec: Record<string, unknown> = { selector: { matchLabels: { app: service } }, action: p.action };
  if (rules.length) spec.rules = rules;
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: p.name, namespace: 'default', labels: { ...MANAGED_BY } } as Resource['metadata'], spec };
}
