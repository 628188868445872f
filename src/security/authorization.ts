import type { AuthorizationCondition, AuthorizationOperation, AuthorizationPolicy, AuthorizationRule, AuthorizationSource } from '../contract/security-policy.ts';
import { principalOf, spiffeId } from '../contract/spiffe.ts';

/** What a policy sees of a request. */
export interface AuthorizationRequest {
  /** The caller's SPIFFE ID from its mutual TLS certificate; null for a plaintext request (no identity). */
  peer: string | null;
  method: string;
  /** The path without its query string. */
  path: string;
  /** The workload port the request is for. */
  port: number;
  /** A request header's value by lower-case name (the first when repeated), undefined when absent. */
  header(name: string): string | undefined;
}

/** The policy and rule that decided, as Envoy's RBAC names them: `ns[default]-policy[allow-checkout]-rule[0]`. */
export interface MatchedPolicy {
  policy: string;
  /** Index of the first rule that matched. */
  rule: number;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /**
  What decided: the DENY policy that matched, the ALLOW policy that matched, or null when nothing
  matched (allowed: no ALLOW policy exists; denied: ALLOW policies exist and none matched — Envoy's
  `rbac_access_denied_matched_policy[none]`).
  */
  decidedBy: MatchedPolicy | null;
  /** AUDIT policies that matched (they never change the decision). */
  audited: MatchedPolicy[];
}

/**
Istio's evaluation order, on one workload's policies (CUSTOM aside, which meshproof does not have):
1. if any DENY policy matches, the request is denied;
2. if there is no ALLOW policy, it is allowed;
3. if any ALLOW policy matches, it is allowed;
4. otherwise it is denied.
AUDIT policies are matched too, for the log, and never decide. A policy with no rules never matches.
*/
export class AuthorizationEvaluator {
  private readonly deny: CompiledPolicy[];
  private readonly allow: CompiledPolicy[];
  private readonly audit: CompiledPolicy[];

  constructor(policies: readonly AuthorizationPolicy[], trustDomain: string) {
    const compiled = policies.map((p) => compilePolicy(p, trustDomain));
    this.deny = compiled.filter((p) => p.action === 'DENY');
    this.allow = compiled.filter((p) => p.action === 'ALLOW');
    this.audit = compiled.filter((p) => p.action === 'AUDIT');
  }

  /** Whether any policy applies: without one, every request is allowed and nothing need be looked at. */
  get empty(): boolean {
    return this.deny.length + this.allow.length + this.audit.length === 0;
  }

  evaluate(rq: AuthorizationRequest): AuthorizationDecision {
    const audited: MatchedPolicy[] = [];
    for (const p of this.audit) {
      const rule = p.match(rq);
      if (rule !== -1) audited.push({ policy: p.name, rule });
    }
    for (const p of this.deny) {
      const rule = p.match(rq);
      if (rule !== -1) return { allowed: false, decidedBy: { policy: p.name, rule }, audited };
    }
    if (this.allow.length === 0) return { allowed: true, decidedBy: null, audited };
    for (const p of this.allow) {
      const rule = p.match(rq);
      if (rule !== -1) return { allowed: true, decidedBy: { policy: p.name, rule }, audited };
    }
    return { allowed: false, decidedBy: null, audited };
  }
}

/** Envoy's name of a matched rule, as Istio generates it: `ns[default]-policy[<name>]-rule[<i>]`; `none` when nothing matched. */
export function rbacPolicyName(m: MatchedPolicy | null): string {
  return m === null ? 'none' : `ns[default]-policy[${m.policy}]-rule[${m.rule}]`;
}

interface CompiledPolicy {
  name: string;
  action: AuthorizationPolicy['action'];
  /** Index of the first rule that matches, -1 when none does. */
  match(rq: AuthorizationRequest): number;
}

type Predicate = (rq: AuthorizationRequest) => boolean;

function compilePolicy(p: AuthorizationPolicy, trustDomain: string): CompiledPolicy {
  const rules = p.rules.map((r) => compileRule(r, trustDomain));
  return {
    name: p.name,
    action: p.action,
    match: (rq) => {
      for (let i = 0; i < rules.length; i++) if (rules[i](rq)) return i;
      return -1;
    },
  };
}

/** One source, one operation and every condition must match; an empty list matches anything. */
function compileRule(r: AuthorizationRule, trustDomain: string): Predicate {
  const from = r.from.map((s) => compileSource(s, trustDomain));
  const to = r.to.map(compileOperation);
  const when = r.when.map(compileCondition);
  return (rq) => (from.length === 0 || from.some((f) => f(rq))) && (to.length === 0 || to.some((t) => t(rq))) && when.every((w) => w(rq));
}

function compileSource(s: AuthorizationSource, trustDomain: string): Predicate {
  const checks: Predicate[] = [];
  const principal = (rq: AuthorizationRequest) => (rq.peer === null ? null : principalOf(rq.peer));
  const byService = (services: string[]) => services.map((svc) => principalOf(spiffeId(trustDomain, svc)));
  if (s.services) checks.push(positive(byService(s.services), principal));
  if (s.principals) checks.push(positive(s.principals, principal));
  if (s.notServices) checks.push(negative(byService(s.notServices), principal));
  if (s.notPrincipals) checks.push(negative(s.notPrincipals, principal));
  return (rq) => checks.every((c) => c(rq));
}

function compileOperation(o: AuthorizationOperation): Predicate {
  const checks: Predicate[] = [];
  const method = (rq: AuthorizationRequest) => rq.method;
  const path = (rq: AuthorizationRequest) => rq.path;
  if (o.methods) checks.push(positive(o.methods, method));
  if (o.notMethods) checks.push(negative(o.notMethods, method));
  if (o.paths) checks.push(positive(o.paths, path));
  if (o.notPaths) checks.push(negative(o.notPaths, path));
  if (o.ports) {
    const ports = new Set(o.ports);
    checks.push((rq) => ports.has(rq.port));
  }
  if (o.notPorts) {
    const ports = new Set(o.notPorts);
    checks.push((rq) => !ports.has(rq.port));
  }
  return (rq) => checks.every((c) => c(rq));
}

function compileCondition(c: AuthorizationCondition): Predicate {
  return positive(c.values, (rq) => rq.header(c.header) ?? null);
}

/** A field with values: the request's value (null when it has none) must match one of them. */
function positive(values: readonly string[], read: (rq: AuthorizationRequest) => string | null): Predicate {
  const matchers = values.map(stringMatcher);
  return (rq) => {
    const v = read(rq);
    return v !== null && matchers.some((m) => m(v));
  };
}

/**
A `not` field: the value must match none of them. A request without the value (a plaintext request
has no principal) matches no value, so it passes a `not` field, as Envoy's RBAC negates a matcher
that found nothing.
*/
function negative(values: readonly string[], read: (rq: AuthorizationRequest) => string | null): Predicate {
  const matchers = values.map(stringMatcher);
  return (rq) => {
    const v = read(rq);
    return v === null || !matchers.some((m) => m(v));
  };
}

/**
Istio's string match: `*` alone means present (non-empty); `abc*` a prefix, `*abc` a suffix;
anything else is exact (a `*` in the middle is a literal character, as in Istio).
*/
export function stringMatcher(pattern: string): (value: string) => boolean {
  if (pattern === '*') return (v) => v !== '';
  if (pattern.length > 1 && pattern.endsWith('*') && !pattern.slice(0, -1).includes('*')) {
    const prefix = pattern.slice(0, -1);
    return (v) => v.startsWith(prefix);
  }
  if (pattern.length > 1 && pattern.startsWith('*') && !pattern.slice(1).includes('*')) {
    const suffix = pattern.slice(1);
    return (v) => v.endsWith(suffix);
  }
  return (v) => v === pattern;
}
