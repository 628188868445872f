import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { AuthorizationEvaluator, rbacPolicyName, stringMatcher, type AuthorizationRequest } from '../../src/security/authorization.ts';
import type { AuthorizationPolicy, AuthorizationRule } from '../../src/contract/security-policy.ts';

const TD = 'cluster.local';
const peer = (sa: string) => `spiffe://${TD}/ns/default/sa/${sa}`;

function rq(over: Partial<AuthorizationRequest> & { headers?: Record<string, string> } = {}): AuthorizationRequest {
  const headers = over.headers ?? {};
  return { peer: peer('sleep'), method: 'GET', path: '/', port: 8080, header: (n) => headers[n], ...over };
}

const rule = (r: Partial<AuthorizationRule> = {}): AuthorizationRule => ({ from: [], to: [], when: [], ...r });
const allow = (name: string, rules: AuthorizationRule[]): AuthorizationPolicy => ({ name, action: 'ALLOW', rules });
const deny = (name: string, rules: AuthorizationRule[]): AuthorizationPolicy => ({ name, action: 'DENY', rules });
const audit = (name: string, rules: AuthorizationRule[]): AuthorizationPolicy => ({ name, action: 'AUDIT', rules });
const decide = (policies: AuthorizationPolicy[], r: AuthorizationRequest = rq()) => new AuthorizationEvaluator(policies, TD).evaluate(r);

// The cases are those of Istio's AuthorizationPolicy reference and security concepts pages
// (istio/api security/v1beta1/authorization_policy.proto; istio.io/latest/docs/concepts/security).
describe("authorization: Istio's evaluation order (CUSTOM aside: DENY, then ALLOW)", () => {
  it('no policy on a workload allows every request', () => {
    assert.deepEqual(decide([]), { allowed: true, decidedBy: null, audited: [] });
  });

  it('"allow-nothing": an ALLOW policy with no rules matches nothing, so every request is denied (decided by none)', () => {
    const d = decide([allow('allow-nothing', [])]);
    assert.equal(d.allowed, false);
    assert.equal(rbacPolicyName(d.decidedBy), 'none');
  });

  it('"deny-all": a DENY policy with one empty rule matches everything', () => {
    const d = decide([deny('deny-all', [rule()])]);
    assert.equal(d.allowed, false);
    assert.equal(rbacPolicyName(d.decidedBy), 'ns[default]-policy[deny-all]-rule[0]');
  });

  it('a DENY policy with no rules never matches (it denies nothing)', () => {
    assert.equal(decide([deny('empty', [])]).allowed, true);
  });

  it('"allow-all" (ALLOW with an empty rule) lets everything in, but a matching DENY is checked first and wins', () => {
    const policies = [allow('allow-all', [rule()]), deny('deny-admin', [rule({ to: [{ paths: ['/admin*'] }] })])];
    assert.equal(decide(policies, rq({ path: '/products' })).allowed, true);
    const d = decide(policies, rq({ path: '/admin/users' }));
    assert.equal(d.allowed, false);
    assert.equal(d.decidedBy?.policy, 'deny-admin');
  });

  it('with ALLOW policies present, a request none of them matches is denied', () => {
    const d = decide([allow('allow-get', [rule({ to: [{ methods: ['GET'] }] })])], rq({ method: 'POST' }));
    assert.deepEqual([d.allowed, d.decidedBy], [false, null]);
  });

  it('ALLOW policies add up: any one that matches allows', () => {
    const policies = [allow('a', [rule({ to: [{ paths: ['/a'] }] })]), allow('b', [rule({ to: [{ paths: ['/b'] }] })])];
    assert.equal(decide(policies, rq({ path: '/b' })).decidedBy?.policy, 'b');
    assert.equal(decide(policies, rq({ path: '/c' })).allowed, false);
  });

  it('AUDIT never changes the decision; it only says it matched', () => {
    const d = decide([audit('audit-all', [rule()]), allow('allow-nothing', [])]);
    assert.equal(d.allowed, false);
    assert.deepEqual(d.audited, [{ policy: 'audit-all', rule: 0 }]);
    assert.equal(decide([audit('audit-all', [rule()])]).allowed, true, 'an AUDIT policy is not an ALLOW policy: it does not turn on default deny');
  });

  it("the docs' allow-read example: ALLOW GET from sa/sleep to paths /info* — another method, path or caller is denied", () => {
    const policies = [allow('allow-read', [rule({ from: [{ principals: [`${TD}/ns/default/sa/sleep`] }], to: [{ methods: ['GET'], paths: ['/info*'] }] })])];
    assert.equal(decide(policies, rq({ path: '/info/v1' })).allowed, true);
    assert.equal(decide(policies, rq({ path: '/info', method: 'POST' })).allowed, false);
    assert.equal(decide(policies, rq({ path: '/data' })).allowed, false);
    assert.equal(decide(policies, rq({ path: '/info', peer: peer('other') })).allowed, false);
  });

  it('within a source fields AND, values in a field OR; a rule needs one source, one operation and every condition', () => {
    const r = rule({
      from: [{ services: ['checkout', 'front'] }],
      to: [{ methods: ['POST'] }, { paths: ['/health'] }],
      when: [{ header: 'x-tenant', values: ['acme', 'globex'] }],
    });
    const p = [allow('p', [r])];
    assert.equal(decide(p, rq({ peer: peer('front'), method: 'POST', headers: { 'x-tenant': 'acme' } })).allowed, true);
    assert.equal(decide(p, rq({ peer: peer('checkout'), path: '/health', headers: { 'x-tenant': 'globex' } })).allowed, true, 'the second operation');
    assert.equal(decide(p, rq({ peer: peer('front'), method: 'POST' })).allowed, false, 'the condition is not met');
    assert.equal(decide(p, rq({ peer: peer('sleep'), method: 'POST', headers: { 'x-tenant': 'acme' } })).allowed, false, 'no source matches');
  });

  it('the first matching rule is the one named; a policy matches when any rule does', () => {
    const d = decide([deny('d', [rule({ to: [{ paths: ['/x'] }] }), rule({ to: [{ methods: ['DELETE'] }] })])], rq({ method: 'DELETE' }));
    assert.equal(rbacPolicyName(d.decidedBy), 'ns[default]-policy[d]-rule[1]');
  });

  it('identities need mutual TLS: a plaintext request has no principal, so it matches no principals or services, but passes notPrincipals/notServices', () => {
    const plaintext = rq({ peer: null });
    assert.equal(decide([allow('by-service', [rule({ from: [{ services: ['sleep'] }] })])], plaintext).allowed, false);
    assert.equal(decide([allow('any-identity', [rule({ from: [{ principals: ['*'] }] })])], plaintext).allowed, false, '"*" means present');
    assert.equal(decide([deny('not-sleep', [rule({ from: [{ notServices: ['sleep'] }] })])], plaintext).allowed, false);
    assert.equal(decide([deny('not-sleep', [rule({ from: [{ notServices: ['sleep'] }] })])], rq()).allowed, true);
  });

  it('ports are the workload port; notPaths and notMethods exclude', () => {
    assert.equal(decide([allow('p', [rule({ to: [{ ports: [8080] }] })])]).allowed, true);
    assert.equal(decide([allow('p', [rule({ to: [{ ports: [9090] }] })])]).allowed, false);
    assert.equal(decide([deny('p', [rule({ to: [{ notPaths: ['/public*'] }] })])], rq({ path: '/public/x' })).allowed, true);
    assert.equal(decide([deny('p', [rule({ to: [{ notMethods: ['GET'] }] })])], rq({ method: 'PUT' })).allowed, false);
  });
});

describe("string matching, Istio's four forms", () => {
  it('exact, prefix*, *suffix, and * for present', () => {
    assert.equal(stringMatcher('/a')('/a'), true);
    assert.equal(stringMatcher('/a')('/ab'), false);
    assert.equal(stringMatcher('/a*')('/a'), true);
    assert.equal(stringMatcher('/a*')('/abc'), true);
    assert.equal(stringMatcher('*.png')('/x.png'), true);
    assert.equal(stringMatcher('*.png')('/x.png/'), false);
    assert.equal(stringMatcher('*')('x'), true);
    assert.equal(stringMatcher('*')(''), false);
  });

  it('a * in the middle is a literal character, as in Istio', () => {
    assert.equal(stringMatcher('/a*b')('/a*b'), true);
    assert.equal(stringMatcher('/a*b')('/axb'), false);
  });
});
