import { describe, it, beforeAll } from 'vitest';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import type { TestContext } from 'vitest';
import { CertificateAuthority, type IssuedCertificate } from '../../../src/security/certificate-authority.ts';
import { spiffeId } from '../../../src/contract/spiffe.ts';
import type { AuthorizationPolicy, MtlsMode } from '../../../src/contract/security-policy.ts';
import type { SidecarSecurity } from '../../../src/contract/sidecar-config.ts';
import { endpoint, policy, sidecarConfig } from '../helpers/config.ts';
import { send } from '../helpers/http.ts';
import { startEchoServer } from '../helpers/servers.ts';
import { closing, counter, eventsOf, startSidecar, waitForEvent } from '../helpers/sidecar.ts';
import { MemorySink } from '../../trace/helpers.ts';
import { waitFor } from '../../../src/util/http-json.ts';

const TD = 'cluster.local';
const HOUR = 3600_000;
let ca: CertificateAuthority;
let other: CertificateAuthority;

beforeAll(async () => {
  ca = await CertificateAuthority.create({ trustDomain: TD });
  // Another mesh's CA: its certificates chain to a root this mesh does not trust.
  other = await CertificateAuthority.create({ trustDomain: TD });
});

function security(cert: IssuedCertificate | null, mode: MtlsMode, extra: Partial<SidecarSecurity> = {}): SidecarSecurity {
  return {
    trustDomain: TD,
    identity: cert && { spiffeId: cert.spiffeId, certChain: cert.certChain, key: cert.key, notBefore: cert.notBefore, notAfter: cert.notAfter, serial: cert.serial, root: cert.root },
    trustBundle: ca.trustBundle(),
    trustBundleRoots: ca.trustBundleFingerprints(),
    mtls: mode,
    authorization: [],
    clockSkewMs: 0,
    ...extra,
  };
}

/** payments-0 (an echo app behind its sidecar) and checkout-0 calling it, each with the security given. */
async function pair(
  t: TestContext,
  callee: { cert: IssuedCertificate | null; mode: MtlsMode; authorization?: AuthorizationPolicy[]; extra?: Partial<SidecarSecurity> },
  caller: { cert: IssuedCertificate | null; mtls: boolean; expect?: string; extra?: Partial<SidecarSecurity> },
  spans?: { callee: MemorySink; caller: MemorySink },
) {
  const app = closing(t, await startEchoServer());
  const p = await startSidecar(t, { instance: 'payments-0', service: 'payments', spans: spans?.callee });
  p.sidecar.applyConfig(
    sidecarConfig({
      service: 'payments',
      instance: 'payments-0',
      app: { host: '127.0.0.1', port: app.port },
      clusters: {},
      security: security(callee.cert, callee.mode, { authorization: callee.authorization ?? [], ...callee.extra }),
    }),
  );
  const c = await startSidecar(t, { spans: spans?.caller });
  const mtls = caller.mtls ? { spiffeId: caller.expect ?? spiffeId(TD, 'payments') } : null;
  c.sidecar.applyConfig(
    sidecarConfig({
      clusters: { payments: { policy: policy(), endpoints: [endpoint('payments-0', p.ports.inbound)], mtls } },
      security: security(caller.cert, 'PERMISSIVE', caller.extra),
    }),
  );
  return { callee: p, caller: c, app };
}

const issue = (service: string, window?: { notBefore: number; notAfter: number }) => ca.issue(spiffeId(TD, service), 24 * HOUR, window);

describe('mutual TLS between sidecars, on real TLS sockets', () => {
  it('a meshed call is mutual TLS: the callee sees the caller\'s SPIFFE ID (XFCC to the app), both count the handshake and the request as mTLS', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true });
    for (let i = 0; i < 3; i++) {
      const r = await send(caller.ports.outbound, { host: 'payments', path: '/pay' });
      assert.equal(r.status, 200, r.body);
      const seen = JSON.parse(r.body);
      assert.equal(seen.headers['x-forwarded-client-cert'], `By=${spiffeId(TD, 'payments')};URI=${spiffeId(TD, 'checkout')}`);
    }
    // Keep-alive: one handshake carried all three requests.
    assert.equal(counter(caller.sidecar, 'cluster.payments.ssl.handshake'), 1);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.handshake'), 1);
    const edge = Object.values(caller.sidecar.timeline().series['edge:checkout->payments'])[0];
    assert.equal(edge.requests, 3);
    assert.equal(edge.mtls, 3);
    const inst = Object.values(callee.sidecar.timeline().series['instance:payments-0'])[0];
    assert.equal(inst.mtls, 3);
  });

  it("spans carry the peer's identity: the callee's inbound span the caller's, the caller's attempt span the callee's", async (t) => {
    const spans = { callee: new MemorySink(), caller: new MemorySink() };
    const { caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true }, spans);
    assert.equal((await send(caller.ports.outbound, { host: 'payments' })).status, 200);
    const inbound = await waitFor(() => spans.callee.byName('inbound')[0], { timeoutMs: 2000, describe: () => 'an inbound span' });
    assert.equal(inbound.attributes['meshproof.peer.identity'], spiffeId(TD, 'checkout'));
    assert.equal(inbound.attributes['meshproof.mtls'], true);
    const attempt = await waitFor(() => spans.caller.byName('attempt')[0], { timeoutMs: 2000, describe: () => 'an attempt span' });
    assert.equal(attempt.attributes['meshproof.peer.identity'], spiffeId(TD, 'payments'));
  });

  it('plaintext to STRICT: the connection is reset at the listener (no_filter_chain_match); the plaintext caller gets 503 UC', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: null, mtls: false });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UC');
    assert.match(r.body, /reset reason: connection termination \(ECONNRESET/);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.no_filter_chain_match'), 1);
    assert.equal(counter(callee.sidecar, 'http.inbound.downstream_rq_total'), 0, 'no request was read');
    const e = await waitForEvent(callee.sidecar, 'handshake-failed');
    assert.equal(e.data.kind, 'no_filter_chain_match');
    assert.equal(e.data.reason, 'filter_chain_not_found');
    const inst = Object.values(callee.sidecar.timeline().series['instance:payments-0'])[0];
    assert.equal(inst.handshakeErrors, 1);
  });

  it('plaintext to PERMISSIVE is let in, with no identity; DISABLE takes plaintext only', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'PERMISSIVE' }, { cert: null, mtls: false });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).headers['x-forwarded-client-cert'], undefined);
    const inst = Object.values(callee.sidecar.timeline().series['instance:payments-0'])[0];
    assert.equal(inst.mtls, undefined);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.handshake'), 0);
  });

  it('an expired server certificate: the caller refuses it (503 UF, CERTIFICATE_VERIFY_FAILED, ssl.fail_verify_error); the callee sees the client hang up', async (t) => {
    const now = Date.now();
    const expired = await issue('payments', { notBefore: now - 2 * HOUR, notAfter: now - HOUR });
    const { callee, caller } = await pair(t, { cert: expired, mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UF');
    assert.match(r.body, /reset reason: connection failure, transport failure reason: TLS error: CERTIFICATE_VERIFY_FAILED \(certificate has expired\)/);
    assert.equal(counter(caller.sidecar, 'cluster.payments.ssl.fail_verify_error'), 1);
    const e = await waitForEvent(caller.sidecar, 'handshake-failed');
    assert.deepEqual([e.data.cluster, e.data.endpoint, e.data.kind], ['payments', 'payments-0', 'fail_verify_error']);
    // Node's client checks the certificate once its side of the handshake is done, and hangs up without an alert.
    await waitForEvent(callee.sidecar, 'handshake-failed', { where: (x) => x.data.reason === 'PEER_CLOSED_DURING_HANDSHAKE' });
    const edge = Object.values(caller.sidecar.timeline().series['edge:checkout->payments'])[0];
    assert.equal(edge.handshakeErrors, 1);
  });

  it('an expired client certificate: the callee refuses it (ssl.fail_verify_error); the caller gets 503 UF, its connection closed as the handshake ended', async (t) => {
    const now = Date.now();
    const expired = await issue('checkout', { notBefore: now - 2 * HOUR, notAfter: now - HOUR });
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: expired, mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UF');
    // Node's servers check a client's certificate once the handshake is done and close without an alert.
    assert.match(r.body, /TLS error: PEER_CLOSED_AFTER_HANDSHAKE/);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.fail_verify_error'), 1);
    assert.equal(counter(caller.sidecar, 'cluster.payments.ssl.connection_error'), 1);
  });

  it('a certificate not yet valid is refused (CERTIFICATE_VERIFY_FAILED, not yet valid)', async (t) => {
    const now = Date.now();
    const future = await issue('payments', { notBefore: now + HOUR, notAfter: now + 2 * HOUR });
    const { caller } = await pair(t, { cert: future, mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.match(r.body, /CERTIFICATE_VERIFY_FAILED \(certificate is not yet valid\)/);
  });

  it('the wrong SPIFFE ID: a server that is not the service meant is refused (ssl.fail_verify_san)', async (t) => {
    const { caller } = await pair(t, { cert: await issue('shipping'), mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-meshproof-flags'], 'UF');
    assert.match(r.body, /the server presented spiffe:\/\/cluster\.local\/ns\/default\/sa\/shipping, expected spiffe:\/\/cluster\.local\/ns\/default\/sa\/payments/);
    assert.equal(counter(caller.sidecar, 'cluster.payments.ssl.fail_verify_san'), 1);
  });

  it('an untrusted root: a server whose certificate chains to another root is refused', async (t) => {
    const foreign = await other.issue(spiffeId(TD, 'payments'), HOUR);
    const { caller } = await pair(t, { cert: foreign, mode: 'STRICT', extra: { trustBundle: other.trustBundle() } }, { cert: await issue('checkout'), mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.match(r.body, /CERTIFICATE_VERIFY_FAILED/);
    assert.equal(counter(caller.sidecar, 'cluster.payments.ssl.fail_verify_error'), 1);
  });

  it('a new certificate is used by the next request: connections made before are drained, and a rotation is an event', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true });
    assert.equal((await send(caller.ports.outbound, { host: 'payments' })).status, 200);
    const renewed = await issue('payments');
    callee.sidecar.applyConfig(
      sidecarConfig({ version: 2, service: 'payments', instance: 'payments-0', app: callee.sidecar.config!.app, clusters: {}, security: security(renewed, 'STRICT') }),
    );
    const e = await waitForEvent(callee.sidecar, 'certificate-rotated');
    assert.equal(e.data.serial, renewed.serial);
    assert.equal(eventsOf(callee.sidecar, 'certificate-issued').length, 1);
    for (let i = 0; i < 3; i++) assert.equal((await send(caller.ports.outbound, { host: 'payments' })).status, 200);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.handshake'), 2, 'a second handshake, under the new certificate');
  });

  it('a mode change is a push: PERMISSIVE → STRICT drains a plaintext keep-alive connection (its next answer closes it), and the plaintext request after is refused', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'PERMISSIVE' }, { cert: null, mtls: false });
    assert.equal((await send(caller.ports.outbound, { host: 'payments' })).status, 200);
    callee.sidecar.applyConfig(
      sidecarConfig({ version: 2, service: 'payments', instance: 'payments-0', app: callee.sidecar.config!.app, clusters: {}, security: security(callee.sidecar.config!.security!.identity as never, 'STRICT') }),
    );
    const e = await waitForEvent(callee.sidecar, 'mtls-mode-changed');
    assert.deepEqual([e.data.previous, e.data.mode], ['PERMISSIVE', 'STRICT']);
    const last = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(last.status, 200, 'served on the old connection, as Envoy drains a filter chain');
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.equal(counter(callee.sidecar, 'http.inbound.ssl.no_filter_chain_match'), 1);
  });

  it('a client whose clock runs ahead of a certificate\'s life refuses it; the callee refuses a client whose clock is behind', async (t) => {
    const ahead = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: await issue('checkout'), mtls: true, extra: { clockSkewMs: 48 * HOUR } });
    const r = await send(ahead.caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 503);
    assert.match(r.body, /certificate has expired \(this pod's clock runs 48h ahead\)/);
    const behind = await pair(t, { cert: await issue('payments'), mode: 'STRICT', extra: { clockSkewMs: -2 * HOUR } }, { cert: await issue('checkout'), mtls: true });
    const r2 = await send(behind.caller.ports.outbound, { host: 'payments' });
    assert.equal(r2.status, 503);
    assert.equal(counter(behind.callee.sidecar, 'http.inbound.ssl.fail_verify_error'), 1);
    const e = await waitForEvent(behind.callee.sidecar, 'handshake-failed');
    assert.match(e.data.detail, /not yet valid \(this pod's clock runs 2h behind\)/);
  });

  it('a client with no certificate is refused by STRICT as its handshake ends (ssl.fail_verify_no_cert)', async (t) => {
    const { callee } = await pair(t, { cert: await issue('payments'), mode: 'STRICT' }, { cert: null, mtls: false });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const rq = httpsRequest({ host: '127.0.0.1', port: callee.ports.inbound, path: '/', ca: ca.trustBundle(), checkServerIdentity: () => undefined }, () => resolve(new Error('answered')));
      rq.on('error', resolve);
      rq.end();
    });
    assert.match(String(err.code), /ECONNRESET|ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/);
    await waitForEvent(callee.sidecar, 'handshake-failed', { where: (e) => e.data.kind === 'fail_verify_no_cert' });
  });
});

describe('authorization at the callee', () => {
  const allowCheckout: AuthorizationPolicy = { name: 'allow-checkout', action: 'ALLOW', rules: [{ from: [{ services: ['checkout'] }], to: [], when: [] }] };

  it('an ALLOW policy for another caller: 403 "RBAC: access denied", no response flag, counted as denied on both sides, logged with the policy', async (t) => {
    const onlyFront: AuthorizationPolicy = { name: 'allow-front', action: 'ALLOW', rules: [{ from: [{ services: ['front'] }], to: [], when: [] }] };
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT', authorization: [onlyFront] }, { cert: await issue('checkout'), mtls: true });
    const r = await send(caller.ports.outbound, { host: 'payments', path: '/pay?card=1' });
    assert.equal(r.status, 403);
    assert.equal(r.body, 'RBAC: access denied');
    assert.equal(r.headers['x-meshproof-flags'], undefined);
    assert.equal(counter(callee.sidecar, 'http.inbound.rbac.denied'), 1);
    const e = await waitForEvent(callee.sidecar, 'authorization-denied');
    assert.deepEqual([e.data.policy, e.data.source, e.data.path], ['none', spiffeId(TD, 'checkout'), '/pay?card=1']);
    const edge = Object.values(caller.sidecar.timeline().series['edge:checkout->payments'])[0];
    assert.equal(edge.denied, 1);
    const inst = Object.values(callee.sidecar.timeline().series['instance:payments-0'])[0];
    assert.equal(inst.denied, 1);
  });

  it('the allowed caller passes; a DENY on a path prefix wins over the ALLOW', async (t) => {
    const denyAdmin: AuthorizationPolicy = { name: 'deny-admin', action: 'DENY', rules: [{ from: [], to: [{ paths: ['/admin*'] }], when: [] }] };
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'STRICT', authorization: [allowCheckout, denyAdmin] }, { cert: await issue('checkout'), mtls: true });
    assert.equal((await send(caller.ports.outbound, { host: 'payments', path: '/pay' })).status, 200);
    const r = await send(caller.ports.outbound, { host: 'payments', path: '/admin/users' });
    assert.equal(r.status, 403);
    const e = await waitForEvent(callee.sidecar, 'authorization-denied');
    assert.equal(e.data.policy, 'ns[default]-policy[deny-admin]-rule[0]');
    assert.equal(counter(callee.sidecar, 'http.inbound.rbac.allowed'), 1);
  });

  it('a plaintext caller has no identity, so an ALLOW by service refuses it even under PERMISSIVE', async (t) => {
    const { callee, caller } = await pair(t, { cert: await issue('payments'), mode: 'PERMISSIVE', authorization: [allowCheckout] }, { cert: null, mtls: false });
    const r = await send(caller.ports.outbound, { host: 'payments' });
    assert.equal(r.status, 403);
    const e = await waitForEvent(callee.sidecar, 'authorization-denied');
    assert.equal(e.data.source, null);
  });
});
