import { DEFAULT_TRUST_DOMAIN } from '../../contract/defaults.ts';
import { MTLS_MODES } from '../../contract/security-policy.ts';
import { NAMESPACE, parseSpiffeId, spiffeIdOfPrincipal } from '../../contract/spiffe.ts';
import type { FieldPath, Manifest } from '../manifest.ts';
import { checkFields, never, none, to, WARN_PREFIX, type FieldTable } from './field-rules.ts';
import type { ImportDraft } from './import-draft.ts';
import { meshName } from './values.ts';

/** Istio's root namespace: a policy there without a selector is mesh-wide. */
const ROOT_NAMESPACE = 'istio-system';

const SELECTOR: FieldTable = {
  matchLabels: to('the service', { note: 'app (or app.kubernetes.io/name) names the service; other labels are warned' }),
};

/** PeerAuthentication (security.istio.io v1, v1beta1). */
export const PEER_AUTHENTICATION: FieldTable = {
  selector: to('services.<service>.mtls', { fields: SELECTOR, note: 'without a selector: security.mtls (in the root namespace istio-system, or any namespace, meshproof having one)' }),
  targetRef: never('a policy attached by targetRef: meshproof selects workloads by their app label'),
  targetRefs: never('a policy attached by targetRefs: meshproof selects workloads by their app label'),
  mtls: to('mtls', { fields: { mode: to('services.<service>.mtls or security.mtls', { note: 'STRICT, PERMISSIVE, DISABLE; UNSET inherits (mesh-wide: PERMISSIVE)' }) } }),
  portLevelMtls: never('meshproof services have one port; per-port settings cannot be told apart'),
};

const SOURCE: FieldTable = {
  principals: to('from.principals / from.services', { note: 'cluster.local/ns/default/sa/<service> becomes services: [<service>]' }),
  notPrincipals: to('from.notPrincipals / from.notServices'),
  namespaces: never('every meshproof service is in one namespace: name callers by principal'),
  notNamespaces: never('every meshproof service is in one namespace: name callers by principal'),
  serviceAccounts: to('from.services', { note: 'a service account is its service' }),
  notServiceAccounts: to('from.notServices'),
  requestPrincipals: never('JWT identities: meshproof has no RequestAuthentication'),
  notRequestPrincipals: never('JWT identities: meshproof has no RequestAuthentication'),
  ipBlocks: never('source IPs: meshproof tells callers apart by identity'),
  notIpBlocks: never('source IPs: meshproof tells callers apart by identity'),
  remoteIpBlocks: never('source IPs: meshproof tells callers apart by identity'),
  notRemoteIpBlocks: never('source IPs: meshproof tells callers apart by identity'),
  trustDomains: never('trust domains: meshproof has one'),
  notTrustDomains: never('trust domains: meshproof has one'),
};

const OPERATION: FieldTable = {
  methods: to('to.methods'),
  notMethods: to('to.notMethods'),
  paths: to('to.paths'),
  notPaths: to('to.notPaths'),
  ports: to('to.ports'),
  notPorts: to('to.notPorts'),
  hosts: never('a policy is on one service; hosts do not apply'),
  notHosts: never('a policy is on one service; hosts do not apply'),
};

const RULE: FieldTable = {
  from: to('rules[].from', { items: { source: to('from', { fields: SOURCE }) } }),
  to: to('rules[].to', { items: { operation: to('to', { fields: OPERATION }) } }),
  when: to('rules[].when.headers', {
    items: {
      key: to('when.headers.<name>', { note: 'request.headers[<name>] only; other keys are warned and their rule not imported' }),
      values: to('when.headers.<name>'),
      notValues: never('negated conditions: write the values a request must have'),
    },
  }),
};

/** AuthorizationPolicy (security.istio.io v1, v1beta1). */
export const AUTHORIZATION_POLICY: FieldTable = {
  selector: to('services.<service>.authorization', { fields: SELECTOR, note: 'a policy without a selector applies to every workload and is warned: meshproof attaches a policy to one service' }),
  targetRef: never('a policy attached by targetRef: meshproof selects workloads by their app label'),
  targetRefs: never('a policy attached by targetRefs: meshproof selects workloads by their app label'),
  action: to('action', { note: 'ALLOW, DENY, AUDIT; CUSTOM is warned (meshproof has no external authorizer)' }),
  provider: never('external authorization (CUSTOM)'),
  rules: to('rules', { items: RULE }),
};

/** The service a workload selector names, or null (warned) when it names none or more than the app label. */
function selectedService(m: Manifest, draft: ImportDraft): string | null | undefined {
  const labels = m.get(['spec', 'selector', 'matchLabels']);
  if (labels === undefined || labels === null) return undefined;
  const l = labels as Record<string, unknown>;
  const app = typeof l.app === 'string' ? l.app : typeof l['app.kubernetes.io/name'] === 'string' ? l['app.kubernetes.io/name'] : null;
  const others = Object.keys(l).filter((k) => k !== 'app' && k !== 'app.kubernetes.io/name');
  if (app === null || others.length > 0) {
    draft.warn(m, ['spec', 'selector', 'matchLabels'], `${WARN_PREFIX.never}: ${app === null ? 'the selector names no app label' : `the selector also selects by ${others.join(', ')}`}; meshproof applies policies to a whole service (its app label), so this is not applied`);
    return null;
  }
  return meshName(app);
}

export function importPeerAuthentication(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), PEER_AUTHENTICATION, draft);
  draft.setProfile('istio', m.source(['kind']), 'a PeerAuthentication');
  const modePath: FieldPath = ['spec', 'mtls', 'mode'];
  const raw = m.get(modePath);
  const mode = raw === undefined || raw === null ? 'UNSET' : String(raw);
  if (mode !== 'UNSET' && !(MTLS_MODES as readonly string[]).includes(mode)) {
    draft.error(m, modePath, `unknown mTLS mode "${mode}" (Istio's are UNSET, DISABLE, PERMISSIVE, STRICT)`);
    return;
  }
  const service = selectedService(m, draft);
  if (service === null) return;
  if (service === undefined) {
    const namespace = m.namespace ?? 'default';
    if (namespace !== ROOT_NAMESPACE && namespace !== NAMESPACE) {
      draft.warn(m, ['metadata', 'namespace'], `${WARN_PREFIX.approx}: a namespace-wide policy in ${namespace}; meshproof has one namespace, so it is read as mesh-wide`);
    }
    // UNSET with nothing above it is PERMISSIVE.
    draft.setSecurity(m, ['security', 'mtls'], mode === 'UNSET' ? 'PERMISSIVE' : mode, m.source(modePath, true));
    return;
  }
  // UNSET on a workload inherits: nothing to set.
  if (mode !== 'UNSET') draft.setSecurity(m, ['services', service, 'mtls'], mode, m.source(modePath, true));
}

export function importAuthorizationPolicy(m: Manifest, draft: ImportDraft): void {
  checkFields(m, ['spec'], m.get(['spec']), AUTHORIZATION_POLICY, draft);
  draft.setProfile('istio', m.source(['kind']), 'an AuthorizationPolicy');
  const action = String(m.get(['spec', 'action']) ?? 'ALLOW');
  if (action === 'CUSTOM') {
    draft.warn(m, ['spec', 'action'], `${WARN_PREFIX.never}: CUSTOM (external authorization): meshproof has no external authorizer; not applied`);
    return;
  }
  if (!['ALLOW', 'DENY', 'AUDIT'].includes(action)) {
    draft.error(m, ['spec', 'action'], `unknown action "${action}" (Istio's are ALLOW, DENY, AUDIT, CUSTOM)`);
    return;
  }
  const service = selectedService(m, draft);
  if (service === null) return;
  if (service === undefined) {
    draft.warn(m, ['spec'], `${WARN_PREFIX.never}: a policy without a selector applies to every workload; meshproof attaches a policy to one service (give it a selector with the app label); not applied`);
    return;
  }
  const rules: Record<string, unknown>[] = [];
  const list = m.get(['spec', 'rules']);
  (Array.isArray(list) ? list : []).forEach((r, i) => {
    const rule = importRule(m, ['spec', 'rules', i], (r ?? {}) as Record<string, unknown>, draft);
    if (rule) rules.push(rule);
  });
  const policy: Record<string, unknown> = { name: meshName(m.name), action };
  policy.rules = rules;
  draft.addPolicy(m, service, policy, m.source(['metadata', 'name']));
}

/** One rule, or null (warned) when part of it cannot be expressed: dropping a part would widen or narrow what it matches. */
function importRule(m: Manifest, at: FieldPath, r: Record<string, unknown>, draft: ImportDraft): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let ok = true;
  const from = Array.isArray(r.from) ? r.from : [];
  if (from.length) {
    out.from = from.map((f, j) => {
      const s = ((f ?? {}) as { source?: Record<string, unknown> }).source ?? {};
      const src: Record<string, unknown> = {};
      const bad = Object.keys(s).filter((k) => !['principals', 'notPrincipals', 'serviceAccounts', 'notServiceAccounts'].includes(k));
      if (bad.length) ok = false;
      const split = (values: unknown, services: string, principals: string) => {
        for (const v of Array.isArray(values) ? values : []) {
          const p = String(v);
          const id = p.includes('*') ? null : parseSpiffeId(spiffeIdOfPrincipal(p));
          if (id && id.trustDomain === DEFAULT_TRUST_DOMAIN && id.namespace === NAMESPACE) ((src[services] ??= []) as string[]).push(id.serviceAccount);
          else ((src[principals] ??= []) as string[]).push(p);
        }
      };
      split(s.principals, 'services', 'principals');
      split(s.notPrincipals, 'notServices', 'notPrincipals');
      for (const [key, into] of [['serviceAccounts', 'services'], ['notServiceAccounts', 'notServices']] as const) {
        for (const v of Array.isArray(s[key]) ? (s[key] as unknown[]) : []) {
          const name = String(v).includes('/') ? String(v).split('/').pop()! : String(v);
          ((src[into] ??= []) as string[]).push(meshName(name) ?? name);
        }
      }
      if (bad.length) draft.warn(m, [...at, 'from', j, 'source'], `${WARN_PREFIX.never}: this rule matches callers by ${bad.join(', ')}, which meshproof cannot tell; the rule is not imported`);
      return src;
    });
  }
  const toList = Array.isArray(r.to) ? r.to : [];
  if (toList.length) {
    out.to = toList.map((t, j) => {
      const o = ((t ?? {}) as { operation?: Record<string, unknown> }).operation ?? {};
      const op: Record<string, unknown> = {};
      for (const key of ['methods', 'notMethods', 'paths', 'notPaths'] as const) if (Array.isArray(o[key])) op[key] = (o[key] as unknown[]).map(String);
      for (const key of ['ports', 'notPorts'] as const) if (Array.isArray(o[key])) op[key] = (o[key] as unknown[]).map(Number);
      if (o.hosts !== undefined || o.notHosts !== undefined) {
        ok = false;
        draft.warn(m, [...at, 'to', j, 'operation'], `${WARN_PREFIX.never}: this rule matches requests by host, which a policy on one service cannot tell; the rule is not imported`);
      }
      return op;
    });
  }
  const when = Array.isArray(r.when) ? r.when : [];
  if (when.length) {
    const headers: Record<string, string[]> = {};
    when.forEach((c, j) => {
      const cond = (c ?? {}) as { key?: unknown; values?: unknown; notValues?: unknown };
      const key = String(cond.key ?? '');
      const h = /^request\.headers\[(.+)\]$/.exec(key);
      if (!h || !Array.isArray(cond.values) || cond.notValues !== undefined) {
        ok = false;
        draft.warn(m, [...at, 'when', j], `${WARN_PREFIX.never}: the condition on ${key || '(no key)'}${cond.notValues !== undefined ? ' with notValues' : ''}: meshproof's conditions are request headers that must have one of some values; the rule is not imported`);
        return;
      }
      headers[h[1].toLowerCase()] = (cond.values as unknown[]).map(String);
    });
    out.when = { headers };
  }
  return ok ? out : null;
}
