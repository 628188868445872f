import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import type { GatewayRoute, RouteMatch } from '../../../src/contract/gateway-route.ts';
import { RouteTable, type RouteRequest } from '../../../src/sim/policy/route-table.ts';
import { seededRandom } from '../../../src/util/random.ts';

const prefix = (value: string): RouteMatch => ({ path: { kind: 'prefix', value }, headers: [] });
const exact = (value: string): RouteMatch => ({ path: { kind: 'exact', value }, headers: [] });
const rule = (to: string, match: RouteMatch[] = [], hosts = ['*']): GatewayRoute => ({ hosts, match, to: [{ service: to, weight: 1 }] });

function req(host: string, path: string, headers: Record<string, string> = {}): RouteRequest {
  return { host, path, header: (n) => headers[n] };
}

function dest(t: RouteTable, r: RouteRequest): string | null {
  const d = t.route(r);
  return d.kind === 'route' ? d.to[0].service : null;
}

describe('gateway route table (Envoy virtual hosts, Istio VirtualService http rules)', () => {
  it('Istio VirtualService: the first rule that matches wins, in the order written, even when a later one is more specific', () => {
    const t = new RouteTable([rule('a', [prefix('/api')]), rule('b', [prefix('/api/v2')]), rule('c')]);
    assert.equal(dest(t, req('x', '/api/v2/orders')), 'a', 'a prefix listed first shadows a longer one after it (Istio does not sort)');
    assert.equal(dest(t, req('x', '/other')), 'c', 'a rule without match takes everything that reaches it');
  });

  it('Envoy path matching: a prefix is a plain string prefix, exact is the whole path, both without the query; case matters', () => {
    const t = new RouteTable([rule('exact', [exact('/health')]), rule('api', [prefix('/api')])]);
    assert.equal(dest(t, req('x', '/health?verbose=1')), 'exact', 'the query is not part of the path');
    assert.equal(dest(t, req('x', '/healthz')), null, 'exact is exact');
    assert.equal(dest(t, req('x', '/apis/x')), 'api', 'Istio uri.prefix /api matches /apis (element-wise prefixes are the Gateway API\'s)');
    assert.equal(dest(t, req('x', '/API')), null, 'paths are case-sensitive (Istio ignoreUriCase is off)');
  });

  it('Envoy safe_regex: the expression must match the whole path', () => {
    const t = new RouteTable([rule('v', [{ path: { kind: 'regex', value: '/v[0-9]+/.*' }, headers: [] }])]);
    assert.equal(dest(t, req('x', '/v2/orders')), 'v');
    assert.equal(dest(t, req('x', '/x/v2/orders')), null, 'anchored at the start');
    assert.equal(dest(t, req('x', '/v2')), null, 'anchored at the end');
  });

  it('Istio HTTPMatchRequest: conditions in a block AND, blocks OR; headers by lower-case name, exact / prefix / regex values', () => {
    const both: RouteMatch = { path: { kind: 'prefix', value: '/beta' }, headers: [{ name: 'x-canary', match: { kind: 'exact', value: '1' } }] };
    const agent: RouteMatch = { path: null, headers: [{ name: 'user-agent', match: { kind: 'prefix', value: 'curl/' } }] };
    const tenant: RouteMatch = { path: null, headers: [{ name: 'x-tenant', match: { kind: 'regex', value: 't-[0-9]{3}' } }] };
    const t = new RouteTable([rule('canary', [both, agent, tenant]), rule('stable')]);
    assert.equal(dest(t, req('x', '/beta/a', { 'x-canary': '1' })), 'canary');
    assert.equal(dest(t, req('x', '/beta/a', { 'x-canary': '0' })), 'stable', 'every condition of a block must hold');
    assert.equal(dest(t, req('x', '/beta/a')), 'stable', 'a missing header does not match');
    assert.equal(dest(t, req('x', '/', { 'user-agent': 'curl/8.5' })), 'canary', 'a second block is an alternative');
    assert.equal(dest(t, req('x', '/', { 'x-tenant': 't-042' })), 'canary');
    assert.equal(dest(t, req('x', '/', { 'x-tenant': 't-0421' })), 'stable', 'a header regex matches the whole value');
  });

  it('Envoy virtual hosts: an exact host beats the longest wildcard, which beats *; a host with rules of its own never falls through to *', () => {
    const t = new RouteTable([
      rule('star', [], ['*']),
      rule('wild', [], ['*.example.com']),
      rule('deep', [], ['*.eu.example.com']),
      rule('shop', [prefix('/api')], ['shop.example.com']),
    ]);
    assert.equal(dest(t, req('shop.example.com', '/api/x')), 'shop', 'exact host, though * is listed first');
    const miss = t.route(req('shop.example.com', '/other'));
    assert.deepEqual(miss, { kind: 'no-rule', host: 'shop.example.com', rules: 1 }, 'no fall-through to the wildcard or * rules: 404 NR');
    assert.equal(dest(t, req('a.eu.example.com', '/')), 'deep', 'the longest suffix wins');
    assert.equal(dest(t, req('a.b.example.com', '/')), 'wild', 'a suffix wildcard spans several labels');
    assert.equal(dest(t, req('example.com', '/')), 'star', '*.example.com does not admit example.com');
    assert.equal(dest(t, req('SHOP.Example.com', '/api')), 'shop', 'hosts are case-insensitive');
  });

  it('no virtual host for the Host: no-host, naming the hosts the gateway serves', () => {
    const t = new RouteTable([rule('a', [], ['shop.example.com']), rule('b', [], ['*.api.example.com'])]);
    assert.deepEqual(t.route(req('evil.test', '/')), { kind: 'no-host', hosts: ['shop.example.com', '*.api.example.com'] });
  });

  it('Istio weighted destinations: a 80/20 split sends 80% ± 1% of 20 000 seeded draws to the first; a weight of 0 gets none', () => {
    const to = [
      { service: 'a', weight: 0.8 },
      { service: 'b', weight: 0.2 },
      { service: 'c', weight: 0 },
    ];
    const random = seededRandom(7);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 20_000; i++) counts[RouteTable.pick(to, random)]++;
    assert.ok(Math.abs(counts.a / 20_000 - 0.8) < 0.01, `a share ${counts.a / 20_000}`);
    assert.equal(counts.c, 0);
    assert.equal(RouteTable.pick(to, () => 0.9999999999), 'b', 'the top of the range goes to the last destination with a weight');
  });

  it('a single destination does not draw', () => {
    let draws = 0;
    assert.equal(RouteTable.pick([{ service: 'a', weight: 1 }], () => (draws++, 0.5)), 'a');
    assert.equal(draws, 0);
  });
});
