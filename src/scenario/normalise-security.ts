import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { DEFAULT_TRUST_DOMAIN, type ProfileDefaults } from '../contract/defaults.ts';
import { formatDuration } from '../util/format.ts';
import { unreachableRules } from './policy-reach.ts';
import type { RuleContext } from './rule-context.ts';
import type { SecuritySpec, ServiceSpec } from './scenario.ts';
import type { AuthorizationCondition, AuthorizationOperation, AuthorizationPolicy, AuthorizationRule, AuthorizationSource, MtlsMode } from '../contract/security-policy.ts';
import { childPath, indexPath } from './source-file.ts';
import { didYouMean } from './suggest.ts';

// What check-shape produced for the security keys; every field may be missing (invalid, or not written).

type OneOrMany<T> = T | Array<T | undefined>;

interface CheckedSource {
  services?: OneOrMany<string>;
  notServices?: OneOrMany<string>;
  principals?: OneOrMany<string>;
  notPrincipals?: OneOrMany<string>;
}

interface CheckedOperation {
  methods?: OneOrMany<string>;
  notMethods?: OneOrMany<string>;
  paths?: OneOrMany<string>;
  notPaths?: OneOrMany<string>;
  ports?: OneOrMany<number>;
  notPorts?: OneOrMany<number>;
}

interface CheckedRule {
  from?: OneOrMany<CheckedSource>;
  to?: OneOrMany<CheckedOperation>;
  when?: { headers?: Map<string, OneOrMany<string> | undefined> };
}

export interface CheckedPolicy {
  name?: string;
  action?: AuthorizationPolicy['action'];
  rules?: Array<CheckedRule | undefined>;
}

export interface CheckedServiceSecurity {
  mtls?: MtlsMode;
  authorization?: Array<CheckedPolicy | undefined>;
}

export interface CheckedSecurity {
  mtls?: MtlsMode;
  trustDomain?: string;
  certTTL?: number;
  rootCA?: { cert?: string; key?: string };
}

/** The shortest certificate lifetime: it is renewed at half its life, with a config push to every sidecar each time. */
const MIN_CERT_TTL_MS = 2000;

/**
Checks the security keys and fills their defaults: the mesh-wide mode and certificate lifetimes
from the profile, each service's mode and authorization policies (names, services that exist, path
forms Istio reads), the root CA's files (read and parsed, relative to the scenario). Warns about a
rule that can never match (a caller that never calls, an identity under DISABLE, another trust domain).
*/
export function normaliseSecurity(
  ctx: RuleContext,
  checked: CheckedSecurity | null | undefined,
  services: Map<string, (CheckedServiceSecurity & object) | undefined>,
  specs: ServiceSpec[],
  profile: ProfileDefaults,
  load: { target: string; plaintext: boolean } | null,
): SecuritySpec {
  const c = checked ?? {};
  const trustDomain = c.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const certTtlMs = c.certTTL ?? profile.security.certTtlMs;
  if (c.certTTL !== undefined && c.certTTL < MIN_CERT_TTL_MS) {
    ctx.error('security.certTTL', `a certificate lives ${formatDuration(c.certTTL)}; at least ${formatDuration(MIN_CERT_TTL_MS)} (each is renewed at half its life, with a push to every sidecar)`);
  }
  const meshMode = c.mtls ?? profile.security.mtls;
  const names = specs.map((s) => s.name);
  for (const spec of specs) {
    const s = services.get(spec.name);
    const path = childPath('services', spec.name);
    spec.mtls = s?.mtls ?? null;
    spec.authorization = policies(ctx, s?.authorization ?? [], childPath(path, 'authorization'), spec.name, names);
  }
  if (load?.plaintext) {
    const target = specs.find((s) => s.name === load.target);
    if (target && (target.mtls ?? meshMode) === 'STRICT') {
      ctx.warn('load.plaintext', `the load is a plaintext client and ${target.name} is STRICT: every request will be refused at the connection`, true);
    }
  }
  // Past an error (an unknown caller, say) the analysis would only repeat it.
  for (const spec of ctx.issues.length > 0 ? [] : specs) {
    const mode = spec.mtls ?? meshMode;
    const callers = [...specs.filter((s) => s.calls.includes(spec.name)).map((s) => s.name), ...(load?.target === spec.name ? ['client'] : [])];
    for (const [i, policy] of (spec.authorization ?? []).entries()) {
      const at = indexPath(childPath(childPath('services', spec.name), 'authorization'), i);
      for (const u of unreachableRules(policy, { service: spec.name, callers, trustDomain, mode, plaintextCallers: load?.plaintext && load.target === spec.name ? ['client'] : [] })) {
        ctx.warn(u.rule === null ? at : indexPath(childPath(at, 'rules'), u.rule), u.message, true);
      }
    }
  }
  return { mtls: meshMode, trustDomain, certTtlMs, renewAt: profile.security.renewAt, rootCA: rootCA(ctx, c.rootCA) };
}

function policies(ctx: RuleContext, checked: Array<CheckedPolicy | undefined>, path: string, service: string, names: string[]): AuthorizationPolicy[] {
  const out: AuthorizationPolicy[] = [];
  const seen = new Map<string, string>();
  checked.forEach((p, i) => {
    if (!p) return;
    const at = indexPath(path, i);
    const action = p.action ?? 'ALLOW';
    const name = p.name ?? `${service}-${action.toLowerCase()}-${i}`;
    const first = seen.get(name);
    if (first !== undefined) {
      ctx.error(childPath(at, 'name'), `duplicate policy name "${name}" (already used on line ${ctx.line(first)}); denials name the policy that decided, so each needs its own`);
      return;
    }
    seen.set(name, childPath(at, 'name'));
    const rules: AuthorizationRule[] = [];
    (p.rules ?? []).forEach((r, j) => {
      if (r) rules.push(rule(ctx, r, indexPath(childPath(at, 'rules'), j), names));
    });
    out.push({ name, action, rules });
  });
  return out;
}

function list<T>(v: OneOrMany<T> | undefined): T[] | undefined {
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).filter((x): x is T => x !== undefined);
}

function rule(ctx: RuleContext, r: CheckedRule, path: string, names: string[]): AuthorizationRule {
  const from: AuthorizationSource[] = (list(r.from) ?? []).map((s, k) => {
    const at = Array.isArray(r.from) ? indexPath(childPath(path, 'from'), k) : childPath(path, 'from');
    const out: AuthorizationSource = {};
    for (const key of ['services', 'notServices'] as const) {
      const v = list(s[key]);
      if (!v) continue;
      for (const name of v) {
        if (name !== 'client' && !names.includes(name)) ctx.error(childPath(at, key), `unknown service "${name}"${didYouMean(name, names)} (services: ${names.join(', ')}; client is the load generator)`);
      }
      out[key] = v;
    }
    for (const key of ['principals', 'notPrincipals'] as const) {
      const v = list(s[key]);
      if (v) out[key] = v;
    }
    return out;
  });
  const to: AuthorizationOperation[] = (list(r.to) ?? []).map((o, k) => {
    const at = Array.isArray(r.to) ? indexPath(childPath(path, 'to'), k) : childPath(path, 'to');
    const out: AuthorizationOperation = {};
    for (const key of ['methods', 'notMethods'] as const) {
      const v = list(o[key]);
      if (!v) continue;
      const lower = v.find((m) => m !== m.toUpperCase());
      if (lower) ctx.warn(childPath(at, key), `methods are matched as requests send them, upper-case: "${lower}" matches no request (write ${lower.toUpperCase()})`);
      out[key] = v;
    }
    for (const key of ['paths', 'notPaths'] as const) {
      const v = list(o[key]);
      if (!v) continue;
      const inner = v.find((p) => p.length > 1 && p.slice(1, -1).includes('*'));
      if (inner) ctx.warn(childPath(at, key), `"${inner}": Istio reads * only as a whole prefix (/api/*) or suffix (*.png); one in the middle is a literal character`);
      out[key] = v;
    }
    for (const key of ['ports', 'notPorts'] as const) {
      const v = list(o[key]);
      if (v) out[key] = v;
    }
    return out;
  });
  const when: AuthorizationCondition[] = [];
  for (const [header, values] of r.when?.headers ?? new Map<string, OneOrMany<string> | undefined>()) {
    const v = list(values);
    if (v) when.push({ header: header.toLowerCase(), values: v });
  }
  return { from, to, when };
}

/** The user's root CA: both files read relative to the scenario, the certificate a CA's, the key readable. */
function rootCA(ctx: RuleContext, r: CheckedSecurity['rootCA']): SecuritySpec['rootCA'] {
  if (!r || r.cert === undefined || r.key === undefined) return null;
  const base = dirname(resolve(ctx.source.file));
  const read = (key: 'cert' | 'key', file: string): string | null => {
    try {
      return readFileSync(resolve(base, file), 'utf8');
    } catch (err) {
      ctx.error(childPath('security.rootCA', key), `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the path is relative to the scenario file`);
      return null;
    }
  };
  const cert = read('cert', r.cert);
  const key = read('key', r.key);
  if (cert === null || key === null) return null;
  try {
    const x = new X509Certificate(cert);
    if (!x.ca) ctx.error('security.rootCA.cert', `${r.cert} is not a CA certificate (basicConstraints CA:TRUE); a root CA signs the mesh's intermediate`);
    if (x.validToDate.getTime() <= Date.now()) ctx.error('security.rootCA.cert', `${r.cert} expired on ${x.validToDate.toISOString()}`);
    const k = createPrivateKey(key);
    if (!x.checkPrivateKey(k)) ctx.error('security.rootCA.key', `${r.key} is not the key of ${r.cert}`);
  } catch (err) {
    ctx.error('security.rootCA', `cannot read the root CA: ${(err as Error).message} (expected a PEM certificate and a PEM private key)`);
    return null;
  }
  return { certFile: r.cert, keyFile: r.key, cert, key };
}
