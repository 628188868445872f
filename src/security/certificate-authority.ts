import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';

type Crypto = webcrypto.Crypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type EcdsaParams = webcrypto.EcdsaParams;
type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;
type Algorithm = webcrypto.Algorithm;
import * as x509 from '@peculiar/x509';
import { ROOT_CA_TTL_MS } from '../contract/defaults.ts';
import type { WorkloadIdentity } from '../contract/sidecar-config.ts';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

/** ECDSA P-256 with SHA-256: what istio-agent generates for workloads (ECC_SIGNATURE_ALGORITHM=ECDSA) and what TLS 1.3 handshakes cheaply. */
const EC_KEY: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/**
Istio's CA backdates every certificate a little (its `backdate` of CSR signing), so a peer whose
clock lags a few seconds does not see a fresh certificate as not yet valid.
*/
const BACKDATE_MS = 60_000;

/** A workload's credentials as the CA issues them: what the control plane pushes to its sidecar (the contract's WorkloadIdentity). */
export type IssuedCertificate = WorkloadIdentity;

/** One root the CA has signed under: its certificate, the key that signs under it, and the chain between them. */
interface SigningRoot {
  certPem: string;
  fingerprint: string;
  /** The certificate whose key signs workload certificates: the root itself, or an intermediate under a user's root. */
  issuer: x509.X509Certificate;
  issuerKey: CryptoKey;
  /** PEM of the certificates between a leaf and the root (the intermediate), '' when the root signs directly. */
  intermediates: string;
  notAfter: number;
}

export interface CertificateAuthorityOptions {
  /** The trust domain named in every identity, and in the root's subject. */
  trustDomain: string;
  /** Wall-clock epoch ms, for validity windows. @default Date.now */
  now?: () => number;
  /**
  A root the user gives (PEM certificate and PEM private key, PKCS #8 or SEC1/PKCS #1): the CA then
  signs workloads with an intermediate it makes under it, as Istio's plug-in CA signs with the
  intermediate in `cacerts`. @default none: a self-signed root, as istiod makes
  */
  root?: { cert: string; key: string } | null;
}

/**
The mesh's certificate authority, as istiod's: a root (self-signed, or the user's with an
intermediate under it), a workload certificate per request with the SPIFFE ID as its one URI SAN,
and a trust bundle that may hold several roots while one is being replaced. Certificates are made
with @peculiar/x509 over WebCrypto; nothing shells out to openssl.
*/
export class CertificateAuthority {
  readonly trustDomain: string;
  private readonly now: () => number;
  private current: SigningRoot;
  /** Roots trusted besides the current one (an overlap while a rotation is under way). */
  private readonly extraTrusted = new Map<string, string>();
  /** Whether the roots in use came from the user. */
  readonly userRoot: boolean;

  private constructor(trustDomain: string, now: () => number, root: SigningRoot, userRoot: boolean) {
    this.trustDomain = trustDomain;
    this.now = now;
    this.current = root;
    this.userRoot = userRoot;
  }

  static async create(options: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    const now = options.now ?? Date.now;
    const root = options.root ? await intermediateUnder(options.root, options.trustDomain, now()) : await selfSignedRoot(options.trustDomain, now(), 1);
    return new CertificateAuthority(options.trustDomain, now, root, Boolean(options.root));
  }

  /** The root new certificates chain to (PEM). */
  get rootPem(): string {
    return this.current.certPem;
  }

  get rootFingerprint(): string {
    return this.current.fingerprint;
  }

  /** Every root a workload must trust now: the current one, then those kept for an overlap. */
  trustBundle(): string[] {
    return [this.current.certPem, ...[...this.extraTrusted.values()].filter((p) => p !== this.current.certPem)];
  }

  /** Fingerprints of `trustBundle()`, in its order. */
  trustBundleFingerprints(): string[] {
    return this.trustBundle().map(fingerprintOfPem);
  }

  /**
  Issues a workload certificate for `spiffeId`, valid for `ttlMs` from now (backdated a minute, as
  Istio's CA does), or over the window given. A new key each time, as istio-agent makes one per CSR.
  `dnsNames`: host names it also serves (a gateway's, which clients outside the mesh verify by name).
  */
  async issue(spiffeId: string, ttlMs: number, window?: { notBefore: number; notAfter: number }, dnsNames: readonly string[] = []): Promise<IssuedCertificate> {
    const start = window?.notBefore ?? this.now() - BACKDATE_MS;
    const end = window?.notAfter ?? this.now() + ttlMs;
    const root = this.current;
    const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const serial = randomSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      // Istio's workload certificates have an empty subject; the identity is the critical URI SAN.
      subject: '',
      issuer: root.issuer.subject,
      notBefore: new Date(start),
      notAfter: new Date(Math.min(end, root.notAfter)),
      publicKey: keys.publicKey,
      signingKey: root.issuerKey,
      signingAlgorithm: signingAlgorithmOf(root.issuerKey),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }, ...dnsNames.map((value) => ({ type: 'dns' as const, value }))], true),
        await x509.AuthorityKeyIdentifierExtension.create(root.issuer),
      ],
    });
    const key = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    return {
      spiffeId,
      certChain: cert.toString('pem') + '\n' + root.intermediates,
      key,
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      serial,
      root: root.fingerprint,
    };
  }

  /**
  Makes a new self-signed root and signs with it from now on. With `keepOld`, the old root stays in
  the trust bundle (the overlap that lets certificates under either root verify while leaves are
  reissued) until `dropRoot` removes it; without, only the new root is trusted from the next push.
  */
  async rotateRoot(keepOld: boolean): Promise<{ old: string; new: string }> {
    const old = this.current;
    const generation = this.extraTrusted.size + 2;
    this.current = await selfSignedRoot(this.trustDomain, this.now(), generation);
    if (keepOld) this.extraTrusted.set(old.fingerprint, old.certPem);
    return { old: old.fingerprint, new: this.current.fingerprint };
  }

  /** Ends an overlap: the root with this fingerprint is no longer trusted. */
  dropRoot(fingerprint: string): void {
    this.extraTrusted.delete(fingerprint);
  }
}

async function selfSignedRoot(trustDomain: string, now: number, generation: number): Promise<SigningRoot> {
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${escapeDn(trustDomain)}, CN=meshproof root CA ${generation}`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + ROOT_CA_TTL_MS),
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem');
  return { certPem, fingerprint: fingerprintOfPem(certPem), issuer: cert, issuerKey: keys.privateKey, intermediates: '', notAfter: cert.notAfter.getTime() };
}

/** An intermediate CA under the user's root, valid a year or until the root expires, whichever is first. */
async function intermediateUnder(root: { cert: string; key: string }, trustDomain: string, now: number): Promise<SigningRoot> {
  const rootCert = new x509.X509Certificate(root.cert);
  const rootKey = await importPrivateKey(root.key);
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = Math.min(now + 365 * 24 * 3600_000, rootCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `O=${escapeDn(trustDomain)}, CN=meshproof intermediate CA`,
    issuer: rootCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: rootKey,
    signingAlgorithm: signingAlgorithmOf(rootKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootCert),
    ],
  });
  const certPem = rootCert.toString('pem');
  return { certPem, fingerprint: fingerprintOfPem(certPem), issuer: cert, issuerKey: keys.privateKey, intermediates: cert.toString('pem') + '\n', notAfter };
}

/** A PEM private key of any common form (PKCS #8, SEC1 EC, PKCS #1 RSA) as a WebCrypto signing key. */
async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const key = createPrivateKey(pem);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = details.namedCurve === 'prime256v1' ? 'P-256' : details.namedCurve === 'secp384r1' ? 'P-384' : details.namedCurve === 'secp521r1' ? 'P-521' : null;
    if (!curve) throw new Error(`the root key's curve ${details.namedCurve} is not supported; use P-256, P-384 or P-521`);
    return crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']);
  }
  if (key.asymmetricKeyType === 'rsa') return crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  throw new Error(`the root key is ${key.asymmetricKeyType}; an EC or RSA key is needed`);
}

function signingAlgorithmOf(key: CryptoKey): Algorithm | EcdsaParams {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as EcKeyAlgorithm).namedCurve;
    return { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : curve === 'P-521' ? 'SHA-512' : 'SHA-256' } as EcdsaParams;
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
}

/** 16 random bytes, the top bit clear (a serial is a positive integer). */
function randomSerial(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[0] &= 0x7f;
  return Buffer.from(b).toString('hex');
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** A certificate's SHA-256 fingerprint, hex, shortened to 16 characters (enough to tell roots apart in messages). */
export function fingerprintOfPem(pem: string): string {
  return createHash('sha256').update(new NodeX509(pem).raw).digest('hex').slice(0, 16);
}
