import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse-scenario.ts';
import type { Scenario } from '../../../src/scenario/scenario.ts';
import { MeshSecurity, type IdentityHolder } from '../../../src/sim/control-plane/mesh-security.ts';

/**
The control plane's side of identities (istiod's): when each pod's certificate is due, what a
certExpire fault does to renewals, which PeerAuthentication wins, and who originates mutual TLS.
The CA is the real one; only the clock is the test's.
*/
const HOUR = 3600_000;

function scenario(extra: { security?: string; payments?: string; load?: string } = {}): Scenario {
  const text = `version: 1
name: ca
description: the control plane as the mesh CA
duration: 10s
security:
  certTTL: 1h
${extra.security ?? ''}
services:
  front:
    calls: [payments]
  payments:
    replicas: 2
${extra.payments ?? ''}
load:
  target: front
  rate: 10/s
${extra.load ?? ''}
`;
  const r = parseScenario(text, 'ca.yaml');
  assert.deepEqual(r.issues, []);
  return r.scenario!;
}

const PODS: IdentityHolder[] = [
  { instance: 'ingress', service: 'client' },
  { instance: 'front-0', service: 'front' },
  { instance: 'payments-0', service: 'payments' },
  { instance: 'payments-1', service: 'payments' },
];

async function mesh(s: Scenario, clock: { ms: number }): Promise<MeshSecurity> {
  const sec = await MeshSecurity.create(s, s.security!, () => clock.ms);
  await sec.issueAll(PODS);
  return sec;
}

function serialOf(sec: MeshSecurity, instance: string): string {
  return sec.podSecurity(PODS.find((p) => p.instance === instance)!).identity!.serial;
}

describe('the mesh security of the control plane', () => {
  test('every pod is due at half its certificate life (Istio), and a renewal moves it a half-life on', async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const sec = await mesh(scenario(), clock);
    assert.equal(sec.nextRenewal(), clock.ms + HOUR / 2);
    clock.ms += HOUR / 2 - 1;
    assert.deepEqual(sec.due(), []);
    clock.ms += 1;
    assert.deepEqual(sec.due().sort(), PODS.map((p) => p.instance).sort());
    const before = serialOf(sec, 'front-0');
    const cert = await sec.reissue('front-0');
    assert.notEqual(cert.serial, before);
    assert.equal(cert.notAfter, clock.ms + HOUR);
    assert.ok(!sec.due().includes('front-0'));
    assert.equal(sec.nextRenewal(), clock.ms, 'the others are still due now');
  });

  test('certExpire: the instance holds an expired certificate and is never due until the last fault on it ends', async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const sec = await mesh(scenario(), clock);
    clock.ms += 60_000;
    const expired = await sec.expire('a', 'payments-1', true);
    assert.ok(expired && expired.notAfter < clock.ms, 'run out as of now');
    assert.equal(new X509Certificate(expired.certChain.split(/(?=-----BEGIN)/)[0]).validToDate.getTime(), expired.notAfter, 'the certificate itself says so');
    await sec.expire('b', 'payments-1', true);
    clock.ms += 2 * HOUR;
    assert.ok(!sec.due().includes('payments-1'), 'its renewals stopped');
    assert.ok(sec.due().includes('payments-0'));
    assert.equal(await sec.expire('a', 'payments-1', false), null, 'another fault still lets it run out');
    assert.ok(!sec.due().includes('payments-1'));
    const fresh = await sec.expire('b', 'payments-1', false);
    assert.ok(fresh && fresh.notBefore <= clock.ms && fresh.notAfter === clock.ms + HOUR, 'a fresh one at the end');
    assert.equal(sec.podSecurity(PODS[3]).identity!.serial, fresh.serial);
    assert.equal(sec.nextRenewal(), clock.ms - 2 * HOUR + HOUR / 2 - 60_000, 'the others were due long ago');
  });

  test('clockSkew is in the skewed pod\'s config only, and gone when the fault ends', async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const sec = await mesh(scenario(), clock);
    sec.setSkew('skew', { instance: 'payments-0', offsetMs: 25 * HOUR });
    assert.equal(sec.podSecurity(PODS[2]).clockSkewMs, 25 * HOUR);
    assert.equal(sec.podSecurity(PODS[3]).clockSkewMs, 0);
    sec.setSkew('skew', null);
    assert.equal(sec.podSecurity(PODS[2]).clockSkewMs, 0);
  });

  test('PeerAuthentication: a fault on the service, then the service\'s own mode, then a mesh-wide fault, then the mesh\'s', async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const sec = await mesh(scenario({ security: '  mtls: PERMISSIVE', payments: '    mtls: STRICT' }), clock);
    assert.equal(sec.modeOf('payments'), 'STRICT');
    assert.equal(sec.modeOf('front'), 'PERMISSIVE');
    sec.setMode('mesh-off', { service: null, mode: 'DISABLE' });
    assert.equal(sec.modeOf('front'), 'DISABLE', 'a mesh-wide switch reaches a service without its own mode');
    assert.equal(sec.modeOf('payments'), 'STRICT', 'the narrower setting wins');
    assert.equal(sec.upstreamTls(PODS[0], 'front'), null, 'no mutual TLS toward a DISABLE destination');
    sec.setMode('payments-off', { service: 'payments', mode: 'DISABLE' });
    assert.equal(sec.modeOf('payments'), 'DISABLE');
    assert.equal(sec.podSecurity(PODS[2]).mtls, 'DISABLE', 'pushed to its pods');
    sec.setMode('payments-off', null);
    sec.setMode('mesh-off', null);
    assert.equal(sec.modeOf('payments'), 'STRICT');
    assert.deepEqual(sec.upstreamTls(PODS[1], 'payments'), { spiffeId: 'spiffe://cluster.local/ns/default/sa/payments' }, 'auto mTLS, verifying the destination\'s identity');
  });

  test('load.plaintext: the ingress has no identity and originates no mutual TLS', async () => {
    const clock = { ms: Date.UTC(2026, 0, 1) };
    const sec = await mesh(scenario({ load: '  plaintext: true' }), clock);
    const ingress = sec.podSecurity(PODS[0]);
    assert.equal(ingress.identity, null);
    assert.equal(ingress.mtls, 'DISABLE');
    assert.equal(sec.upstreamTls(PODS[0], 'front'), null);
    assert.ok(!sec.holdersWithIdentity().includes('ingress'));
    assert.ok(!sec.due().includes('ingress') && sec.nextRenewal() !== null);
  });
});
