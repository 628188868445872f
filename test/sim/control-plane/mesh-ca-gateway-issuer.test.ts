import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { test } from 'vitest';
import { CertificateAuthority } from '../../../src/security/certificate-authority.ts';
import { MeshCaGatewayIssuer } from '../../../src/sim/control-plane/mesh-ca-gateway-issuer.ts';

/**
With security, a TLS gateway's serving certificate comes from the mesh's CA (istiod's part): its
route hosts as DNS names beside its SPIFFE ID, chained to the mesh's root, which is what a client
of the gateway trusts. Checked on a real TLS handshake by name.
*/
test('the mesh CA signs the gateway\'s serving certificate for its hosts; a client trusting the mesh\'s roots verifies it by host name, and not for another name', async () => {
  const ca = await CertificateAuthority.create({ trustDomain: 'cluster.local' });
  const cert = await new MeshCaGatewayIssuer(ca).issue({ gateway: 'edge', hosts: ['shop.example.com', '*.api.example.com'] });
  const leaf = new X509Certificate(cert.certChain);
  assert.equal(leaf.subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/edge, DNS:shop.example.com, DNS:*.api.example.com');
  assert.ok(leaf.verify(new X509Certificate(ca.rootPem).publicKey), 'signed by the mesh root');
  assert.equal(cert.ca, ca.trustBundle().join('\n'));

  const server = createServer({ cert: cert.certChain, key: cert.key }, (s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const handshake = (servername: string) =>
      new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.1', port, servername, ca: cert.ca }, () => resolve('ok'));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        s.on('close', () => resolve('closed'));
      });
    assert.equal(await handshake('shop.example.com'), 'ok');
    assert.equal(await handshake('v1.api.example.com'), 'ok');
    assert.equal(await handshake('other.example.com'), 'ERR_TLS_CERT_ALTNAME_INVALID');
  } finally {
    server.close();
  }
});
