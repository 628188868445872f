import 'reflect-metadata';
import { describe, it } from 'vitest';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CertificateAuthority } from '../../src/security/certificate-authority.ts';
import { spiffeId } from '../../src/contract/spiffe.ts';

const ID = spiffeId('cluster.local', 'payments');

/** The leaf and the rest of a PEM chain. */
function chain(pem: string): X509Certificate[] {
  return pem.split(/(?=-----BEGIN CERTIFICATE-----)/).filter((p) => p.includes('BEGIN')).map((p) => new X509Certificate(p));
}

describe('the certificate authority', () => {
  it("issues a workload certificate as istiod does: the SPIFFE ID as its one URI SAN, an empty subject, client and server use, signed by the root, for the TTL asked", async () => {
    let now = Date.parse('2026-03-01T00:00:00Z');
    const ca = await CertificateAuthority.create({ trustDomain: 'cluster.local', now: () => now });
    const c = await ca.issue(ID, 24 * 3600_000);
    const [leaf] = chain(c.certChain);
    assert.equal(leaf.subjectAltName, `URI:${ID}`);
    assert.equal(leaf.subject ?? '', '', 'an empty subject');
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(new X509Certificate(ca.rootPem)));
    assert.ok(leaf.verify(new X509Certificate(ca.rootPem).publicKey));
    assert.equal(c.notAfter - now, 24 * 3600_000);
    assert.equal(now - c.notBefore, 60_000, 'backdated a minute');
    const eku = new x509.X509Certificate(leaf.raw).getExtension(x509.ExtendedKeyUsageExtension)!;
    assert.deepEqual([...eku.usages], [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    assert.equal(new x509.X509Certificate(leaf.raw).getExtension(x509.SubjectAlternativeNameExtension)!.critical, true);
    assert.match(c.key, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(c.root, ca.rootFingerprint);
    now += 1000;
    assert.notEqual((await ca.issue(ID, 1000)).serial, c.serial, 'each certificate its own serial');
  });

  it('a self-signed root lives 10 years, is a CA, and its subject names the trust domain', async () => {
    const ca = await CertificateAuthority.create({ trustDomain: 'example.org' });
    const root = new X509Certificate(ca.rootPem);
    assert.equal(root.ca, true);
    assert.match(root.subject, /O=example\.org/);
    const years = (root.validToDate.getTime() - root.validFromDate.getTime()) / (365 * 24 * 3600_000);
    assert.ok(years > 9.99 && years < 10.01, `${years} years`);
  });

  for (const kind of ['ec', 'rsa'] as const) {
    it(`under a root the user gives (${kind.toUpperCase()} key): workloads are signed by an intermediate the CA makes, and the chain carries it`, async () => {
      const keys = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const crypto = globalThis.crypto;
      const alg = kind === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
      const pkcs8 = keys.privateKey.export({ type: 'pkcs8', format: 'der' });
      const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
      const signingKey = await crypto.subtle.importKey('pkcs8', pkcs8, alg, true, ['sign']);
      const publicKey = await crypto.subtle.importKey('spki', spki, alg, true, ['verify']);
      const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
        name: 'CN=my company root',
        keys: { privateKey: signingKey, publicKey },
        signingAlgorithm: alg,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
      });
      const keyPem = keys.privateKey.export({ type: kind === 'ec' ? 'sec1' : 'pkcs1', format: 'pem' }) as string;
      const ca = await CertificateAuthority.create({ trustDomain: 'cluster.local', root: { cert: rootCert.toString('pem'), key: keyPem } });
      assert.equal(ca.userRoot, true);
      assert.deepEqual(ca.trustBundle(), [ca.rootPem]);
      assert.equal(new X509Certificate(ca.rootPem).fingerprint256, new X509Certificate(rootCert.toString('pem')).fingerprint256, 'the user\'s root is the one trusted');
      const [leaf, intermediate] = chain((await ca.issue(ID, 3600_000)).certChain);
      assert.ok(intermediate, 'the chain carries the intermediate');
      assert.equal(intermediate.ca, true);
      assert.ok(leaf.verify(intermediate.publicKey));
      assert.ok(intermediate.verify(new X509Certificate(ca.rootPem).publicKey));
    });
  }

  it('a root rotation with overlap trusts both roots until the old one is dropped; without, only the new one', async () => {
    const ca = await CertificateAuthority.create({ trustDomain: 'cluster.local' });
    const first = ca.rootFingerprint;
    const { old, new: second } = await ca.rotateRoot(true);
    assert.equal(old, first);
    assert.deepEqual(ca.trustBundleFingerprints(), [second, first]);
    const [leaf] = chain((await ca.issue(ID, 3600_000)).certChain);
    assert.ok(leaf.verify(new X509Certificate(ca.rootPem).publicKey), 'new certificates chain to the new root');
    ca.dropRoot(first);
    assert.deepEqual(ca.trustBundleFingerprints(), [second]);
    const { new: third } = await ca.rotateRoot(false);
    assert.deepEqual(ca.trustBundleFingerprints(), [third]);
  });
});
