import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { GatewayCertificate, GatewayCertificateIssuer } from '../../contract/gateway-certificate.ts';

type Crypto = webcrypto.Crypto;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** ECDSA P-256 with SHA-256: cheap to make and to handshake with. */
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A run lasts hours at most; a day's validity, backdated a minute for a clock a little behind. */
const VALID_MS = 24 * 3600_000;
const BACKDATE_MS = 60_000;

/**
The issuer meshproof uses until the mesh has a certificate authority: a root made for the run,
self-signed, that signs each gateway's serving certificate (its route hosts as DNS names, wildcards
as written). Clients of the gateway trust that root and nothing else. Made with @peculiar/x509 over
WebCrypto; nothing shells out to openssl.
*/
export class SelfSignedIssuer implements GatewayCertificateIssuer {
  private root: Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair; pem: string }> | null = null;
  private serial = 1;
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  private rootCa() {
    return (this.root ??= (async () => {
      const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
      const notBefore = new Date(this.now() - BACKDATE_MS);
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=meshproof gateway root (self-signed, for this run)',
        notBefore,
        notAfter: new Date(notBefore.getTime() + VALID_MS),
        signingAlgorithm: EC_SIGN,
        keys,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return { cert, keys, pem: cert.toString('pem') };
    })());
  }

  async issue(request: { gateway: string; hosts: readonly string[] }): Promise<GatewayCertificate> {
    const root = await this.rootCa();
    const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const notBefore = new Date(this.now() - BACKDATE_MS);
    const hosts = request.hosts.length > 0 ? [...request.hosts] : [request.gateway];
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: (++this.serial).toString(16).padStart(2, '0'),
      subject: `CN=${hosts[0]}`,
      issuer: root.cert.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + VALID_MS),
      signingAlgorithm: EC_SIGN,
      publicKey: keys.publicKey,
      signingKey: root.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(hosts.map((value) => ({ type: 'dns' as const, value }))),
        await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return { certChain: leaf.toString('pem') + '\n', key: pem('PRIVATE KEY', pkcs8), ca: root.pem + '\n' };
  }
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
