import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { GatewayRoute } from '../../../src/contract/gateway-route.ts';
import { SelfSignedIssuer } from '../../../src/sim/control-plane/self-signed-issuer.ts';
import type { SidecarConfig } from '../../../src/contract/sidecar-config.ts';
import { endpoint, policy, retries, sidecarConfig, type TestCluster } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startServer, startStatusServer, startSlowServer } from '../helpers/servers.ts';
import { closing, counter, startSidecar } from '../helpers/sidecar.ts';

const to = (service: string): GatewayRoute['to'] => [{ service, weight: 1 }];

function gatewayConfig(routes: GatewayRoute[], clusters: Record<string, TestCluster>, extra: Partial<SidecarConfig> = {}): SidecarConfig {
  return sidecarConfig({ service: 'edge', instance: 'edge-0', app: null, clusters, gateway: { kind: 'ingress', routes, tls: null }, ...extra });
}

/** The bucket totals of one timeline series of the sidecar: requests, and counts by status and flag. */
function series(sidecar: { timeline(): { series: Record<string, Record<string, { requests: number; status: Record<string, number>; flags: Record<string, number> }>> } }, key: string) {
  const out = { requests: 0, status: {} as Record<string, number>, flags: {} as Record<string, number> };
  for (const b of Object.values(sidecar.timeline().series[key] ?? {})) {
    out.requests += b.requests;
    for (const [k, v] of Object.entries(b.status)) out.status[k] = (out.status[k] ?? 0) + v;
    for (const [k, v] of Object.entries(b.flags)) out.flags[k] = (out.flags[k] ?? 0) + v;
  }
  return out;
}

describe('gateway (an Envoy of its own: Istio ingress gateway)', () => {
  it('routes by host, path and headers to its destinations through real upstreams; the request lands on the gateway instance and on the edge to its destination', async (t) => {
    const checkout = closing(t, await startStatusServer(200, 0, 'checkout'));
    const catalog = closing(t, await startStatusServer(200, 0, 'catalog'));
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      gatewayConfig(
        [
          { hosts: ['shop.example.com'], match: [{ path: { kind: 'prefix', value: '/api' }, headers: [] }], to: to('checkout') },
          { hosts: ['*'], match: [{ path: null, headers: [{ name: 'x-catalog', match: { kind: 'exact', value: '1' } }] }], to: to('catalog') },
        ],
        {
          checkout: { policy: policy(), endpoints: [endpoint('checkout-0', checkout.port)] },
          catalog: { policy: policy(), endpoints: [endpoint('catalog-0', catalog.port)] },
        },
      ),
    );
    const a = await send(ports.inbound, { host: 'shop.example.com:8443', path: '/api/orders' });
    assert.equal(a.status, 200);
    assert.match(a.body, /^checkout/);
    const b = await send(ports.inbound, { host: 'other.test', path: '/x', headers: { 'x-catalog': '1' } });
    assert.match(b.body, /^catalog/);
    assert.equal(checkout.seen[0]['x-envoy-attempt-count'], '1', 'the gateway sends on as a caller\'s sidecar does');
    assert.equal(series(sidecar, 'instance:edge-0').requests, 2, 'every request received counts on the gateway instance');
    assert.equal(series(sidecar, 'edge:edge->checkout').requests, 1);
    assert.equal(series(sidecar, 'edge:edge->catalog').requests, 1);
  });

  it('a request no rule matches: 404 with flag NR at the gateway, counted as no_route and on the gateway instance, never sent on', async (t) => {
    const checkout = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      gatewayConfig([{ hosts: ['shop.example.com'], match: [{ path: { kind: 'exact', value: '/pay' }, headers: [] }], to: to('checkout') }], {
        checkout: { policy: policy(), endpoints: [endpoint('checkout-0', checkout.port)] },
      }),
    );
    const noHost = await send(ports.inbound, { host: 'evil.test', path: '/pay' });
    assert.equal(noHost.status, 404);
    assert.equal(noHost.headers['x-meshproof-flags'], 'NR');
    assert.match(noHost.body, /serves no host "evil.test" \(hosts: shop.example.com\)/);
    const noRule = await send(ports.inbound, { host: 'shop.example.com', path: '/payments' });
    assert.equal(noRule.status, 404);
    assert.match(noRule.body, /none of the 1 rule\(s\) of host "shop.example.com" .* matches GET \/payments/);
    assert.equal(checkout.received, 0);
    assert.equal(counter(sidecar, 'http.gateway.no_route'), 2);
    const inst = series(sidecar, 'instance:edge-0');
    assert.deepEqual([inst.requests, inst.status['404'], inst.flags.NR], [2, 2, 2]);
    assert.equal(series(sidecar, 'edge:edge->checkout').requests, 0);
  });

  it('before its first config a gateway answers 503 NC', async (t) => {
    const { ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    const r = await send(ports.inbound, { host: 'x' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'NC');
  });

  it('Istio weighted route: 70/30 over 400 requests lands 70% ± 7% on the first destination', async (t) => {
    const a = closing(t, await startStatusServer(200, 0, 'a'));
    const b = closing(t, await startStatusServer(200, 0, 'b'));
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      gatewayConfig(
        [
          {
            hosts: ['*'],
            match: [],
            to: [
              { service: 'a', weight: 0.7 },
              { service: 'b', weight: 0.3 },
            ],
          },
        ],
        { a: { policy: policy(), endpoints: [endpoint('a-0', a.port)] }, b: { policy: policy(), endpoints: [endpoint('b-0', b.port)] } },
      ),
    );
    for (let i = 0; i < 400; i++) assert.equal((await send(ports.inbound, { host: 'x' })).status, 200);
    assert.equal(a.received + b.received, 400);
    assert.ok(Math.abs(a.received / 400 - 0.7) < 0.07, `a got ${a.received} of 400`);
  });

  it('takes the destination\'s policy as a caller\'s sidecar does: retries a 503, times out a slow upstream with 504 UT', async (t) => {
    const flaky = closing(t, await startStatusServer((n) => (n === 1 ? 503 : 200)));
    const slow = closing(t, await startSlowServer(2000));
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      gatewayConfig(
        [
          { hosts: ['*'], match: [{ path: { kind: 'prefix', value: '/slow' }, headers: [] }], to: to('slow') },
          { hosts: ['*'], match: [], to: to('flaky') },
        ],
        {
          flaky: { policy: policy({ retries: retries() }), endpoints: [endpoint('flaky-0', flaky.port)] },
          slow: { policy: policy({ timeoutMs: 100 }), endpoints: [endpoint('slow-0', slow.port)] },
        },
      ),
    );
    const r = await send(ports.inbound, { host: 'x' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-envoy-attempt-count'], '2');
    const s = await send(ports.inbound, { host: 'x', path: '/slow' });
    assert.equal(s.status, 504);
    assert.equal(s.headers['x-meshproof-flags'], 'UT');
    assert.equal(counter(sidecar, 'cluster.flaky.upstream_rq_retry'), 1);
  });

  it('a local rate limit at the gateway: 429 RL before any route, counted in its listener stats', async (t) => {
    const up = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      gatewayConfig([{ hosts: ['*'], match: [], to: to('up') }], { up: { policy: policy(), endpoints: [endpoint('up-0', up.port)] } }, {
        inbound: { rateLimit: { requestsPerSecond: 0.001, burst: 2 }, fault: null },
      }),
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(ports.inbound, { host: 'x', path: '/nowhere' })).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    assert.equal(counter(sidecar, 'http.gateway.local_rate_limit.rate_limited'), 2);
    assert.equal(up.received, 2);
  });

  it('TLS termination (Istio SIMPLE): a client trusting the issuer reaches the route over TLS; a plaintext request gets no HTTP answer', async (t) => {
    const up = closing(t, await startStatusServer(200, 0, 'over tls'));
    const cert = await new SelfSignedIssuer().issue({ gateway: 'edge', hosts: ['shop.example.com'] });
    const { sidecar, ports } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    sidecar.applyConfig(
      sidecarConfig({
        service: 'edge',
        instance: 'edge-0',
        clusters: { up: { policy: policy(), endpoints: [endpoint('up-0', up.port)] } },
        gateway: { kind: 'ingress', routes: [{ hosts: ['shop.example.com'], match: [], to: to('up') }], tls: { certChain: cert.certChain, key: cert.key } },
      }),
    );
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: ports.inbound, servername: 'shop.example.com', ca: cert.ca, headers: { host: 'shop.example.com' }, agent: false }, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d));
        res.on('end', () => resolve(`${res.statusCode} ${b}`));
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('no answer over TLS')));
      req.end();
    });
    assert.match(body, /^200 over tls/);
    // Plain HTTP to the TLS port: the handshake fails and the connection closes without an HTTP answer.
    const plain = await new Promise<string>((resolve) => {
      const s = connect(ports.inbound, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nhost: shop.example.com\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => {});
      s.setTimeout(5000, () => s.destroy());
    });
    assert.doesNotMatch(plain, /^HTTP\/1\.1/);
    assert.equal(up.received, 1);
  });

  it('a caller\'s cluster with TLS toward a TLS gateway (the load balancer in front re-encrypting): the gateway\'s certificate is verified against the issuer and the SNI name', async (t) => {
    const up = closing(t, await startStatusServer(200, 0, 'behind the gateway'));
    const cert = await new SelfSignedIssuer().issue({ gateway: 'edge', hosts: ['shop.example.com'] });
    const { sidecar: gw, ports: gwPorts } = await startSidecar(t, { role: 'gateway', service: 'edge', instance: 'edge-0' });
    gw.applyConfig(
      sidecarConfig({
        service: 'edge',
        instance: 'edge-0',
        clusters: { up: { policy: policy(), endpoints: [endpoint('up-0', up.port)] } },
        gateway: { kind: 'ingress', routes: [{ hosts: ['*'], match: [], to: to('up') }], tls: { certChain: cert.certChain, key: cert.key } },
      }),
    );
    const { sidecar: lb, ports: lbPorts } = await startSidecar(t, { service: 'client', instance: 'ingress' });
    lb.applyConfig(
      sidecarConfig({
        service: 'client',
        instance: 'ingress',
        clusters: {
          edge: { policy: policy(), endpoints: [endpoint('edge-0', gwPorts.inbound)], tls: { ca: cert.ca, serverName: 'shop.example.com' } },
          wrong: { policy: policy(), endpoints: [endpoint('edge-0', gwPorts.inbound)], tls: { ca: cert.ca, serverName: 'other.example.com' } },
        },
      }),
    );
    const ok = await send(lbPorts.outbound, { host: 'edge' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /behind the gateway/);
    const bad = await send(lbPorts.outbound, { host: 'wrong' });
    assert.equal(bad.status, 503, 'a certificate that does not name the SNI host fails the handshake: a connect failure');
    assert.equal(bad.headers['x-meshproof-flags'], 'UF');
    assert.equal(up.received, 1);
  });
});

describe('outbound traffic policy (Istio meshConfig.outboundTrafficPolicy)', () => {
  it('REGISTRY_ONLY: a host the mesh does not know gets 502 at once, no flag (Istio block_all), recorded on the edge to BlackHoleCluster', async (t) => {
    const outside = closing(t, await startStatusServer(200));
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: {},
        outboundTrafficPolicy: 'REGISTRY_ONLY',
        passthrough: { 'card-api': [endpoint('card-api-0', outside.port)] },
      }),
    );
    const r = await send(ports.outbound, { host: 'card-api' });
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-meshproof-flags'], undefined);
    assert.match(r.body, /REGISTRY_ONLY.*BlackHoleCluster/);
    const u = await send(ports.outbound, { host: 'api.unknown.test' });
    assert.equal(u.status, 502);
    assert.equal(outside.received, 0, 'nothing leaves the sidecar');
    assert.equal(counter(sidecar, 'http.outbound.blackhole'), 2);
    assert.equal(series(sidecar, 'edge:checkout->BlackHoleCluster').status['502'], 2);
    assert.equal(series(sidecar, 'edge:checkout->card-api').status['502'], 1, 'and on the edge to the host asked for');
  });

  it('ALLOW_ANY: a host the registry does not know but that resolves goes through (PassthroughCluster, no policy applies); one that does not resolve gets 404 NR', async (t) => {
    let n = 0;
    const outside = closing(
      t,
      await startServer((_req, res) => {
        n++;
        res.writeHead(n === 1 ? 503 : 200);
        res.end('outside');
      }),
    );
    const { sidecar, ports } = await startSidecar(t);
    sidecar.applyConfig(
      sidecarConfig({
        clusters: {},
        outboundTrafficPolicy: 'ALLOW_ANY',
        passthrough: { 'card-api': [endpoint('card-api-0', outside.port)] },
      }),
    );
    const first = await send(ports.outbound, { host: 'card-api' });
    assert.equal(first.status, 503, 'passed through as it came back: no retry policy applies to an unregistered host');
    assert.equal((await send(ports.outbound, { host: 'card-api' })).status, 200);
    assert.equal(outside.received, 2);
    assert.equal(series(sidecar, 'edge:checkout->PassthroughCluster').requests, 2);
    assert.equal(series(sidecar, 'edge:checkout->card-api').requests, 2);
    assert.equal(series(sidecar, 'upstream:checkout->card-api-0').requests, 2, 'the tries still name the instance reached');
    const unknown = await send(ports.outbound, { host: 'api.unknown.test' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['x-meshproof-flags'], 'NR');
    assert.equal(counter(sidecar, 'cluster.PassthroughCluster.upstream_rq_total'), 2);
  });

  it('a registered host is a cluster: both policies let it through with its policy', async (t) => {
    const ext = closing(t, await startStatusServer((n) => (n === 1 ? 503 : 200)));
    for (const mode of ['ALLOW_ANY', 'REGISTRY_ONLY'] as const) {
      const { sidecar, ports } = await startSidecar(t);
      sidecar.applyConfig(sidecarConfig({ clusters: { 'card-api': { policy: policy({ retries: retries() }), endpoints: [endpoint('card-api-0', ext.port)] } }, outboundTrafficPolicy: mode }));
      assert.equal((await send(ports.outbound, { host: 'card-api' })).status, 200, mode);
    }
  });
});
