import { createSecureContext, type PeerCertificate, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { formatDuration } from '../../util/format.ts';
import { handshakeError, type HandshakeFailure } from '../../security/handshake-failure.ts';
import type { MtlsMode } from '../../contract/security-policy.ts';
import type { SidecarSecurity, WorkloadIdentity } from '../../contract/sidecar-config.ts';

/** TLS options an upstream connection is made with: Node's `tls.connect` options, as undici's connector passes them on. */
export interface ClientTlsOptions {
  /** The certificate, key and trust bundle, parsed once per change of credentials (without it Node parses them again for every connection). */
  secureContext: SecureContext;
  servername: string;
  rejectUnauthorized: true;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  allowH2: false;
}

/** What changed at a push, for events and for the listeners to drain. */
export interface CredentialChanges {
  identity: boolean;
  trust: boolean;
  mode: boolean;
  skew: boolean;
}

/**
A sidecar's credentials as Envoy holds its SDS secrets: the certificate and key it presents, the
roots it trusts, and what its inbound listener accepts. Every connection made or accepted from now
on uses what is here; `generation` goes up whenever any of it changes, so connections made before
can be drained (as Envoy drains the connections of a filter chain or cluster whose transport socket
changed) and every later request is carried by a handshake with the new credentials.

Verification is OpenSSL's, against the real clock: chain, validity, the client's certificate. On
top of it, the SPIFFE ID of a server must be the destination's, with exactly one URI SAN (Istio's
peer verifier), and a pod with a skewed clock (a clockSkew fault) also judges its peers'
certificates by its own clock, as a machine whose clock is off does.
*/
export class TlsCredentials {
  identity: WorkloadIdentity | null = null;
  trustBundle: string[] = [];
  mode: MtlsMode = 'DISABLE';
  skewMs = 0;
  generation = 0;
  private server: SecureContextOptions | null = null;
  private client: SecureContext | null = null;

  /** Takes a pushed security block; says what changed. */
  apply(s: SidecarSecurity): CredentialChanges {
    const identity = (this.identity?.serial ?? null) !== (s.identity?.serial ?? null) || this.identity?.certChain !== s.identity?.certChain;
    const trust = this.trustBundle.join('') !== s.trustBundle.join('');
    const mode = this.mode !== s.mtls;
    const skew = this.skewMs !== s.clockSkewMs;
    this.identity = s.identity;
    this.trustBundle = s.trustBundle;
    this.mode = s.mtls;
    this.skewMs = s.clockSkewMs;
    if (identity || trust) {
      this.server = s.identity ? { cert: s.identity.certChain, key: s.identity.key, ca: s.trustBundle } : null;
      // ~0.4 ms of parsing that every new upstream connection would otherwise pay again.
      this.client = s.identity && s.trustBundle.length > 0 ? createSecureContext({ cert: s.identity.certChain, key: s.identity.key, ca: s.trustBundle }) : null;
    }
    if (identity || trust || mode || skew) this.generation++;
    return { identity, trust, mode, skew };
  }

  /** Whether this pod can speak mutual TLS at all (it has an identity and trusts some root). */
  get canTls(): boolean {
    return this.identity !== null && this.trustBundle.length > 0;
  }

  /** The server side's secure context options, null without an identity. */
  serverOptions(): SecureContextOptions | null {
    return this.server;
  }

  /** Connect options toward one destination whose endpoints must present `expected` (a SPIFFE ID); null when this pod cannot originate mTLS. */
  clientOptions(expected: string, destination: string): ClientTlsOptions | null {
    const context = this.client;
    if (!context) return null;
    const skew = this.skewMs;
    return {
      secureContext: context,
      // Istio's SNI for a destination (the session cache is keyed on it too).
      servername: `outbound_.8080_._.${destination}.default.svc.cluster.local`,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => checkPeer(expected, cert.subjectaltname ?? '', skew, cert.valid_from, cert.valid_to, 'server'),
      allowH2: false,
    };
  }

  /** The client's identity on an accepted connection, or an error when it does not do (a second URI SAN, none, or — with a skewed clock — out of its validity). */
  verifyClient(cert: X509Certificate | undefined): { spiffeId: string } | Error {
    if (!cert) return handshakeError({ kind: 'fail_verify_no_cert', reason: 'PEER_DID_NOT_RETURN_A_CERTIFICATE', detail: 'the client sent no certificate' }, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    const uris = uriSans(cert.subjectAltName ?? '');
    if (uris.length !== 1) return handshakeError({ kind: 'fail_verify_san', reason: 'CERTIFICATE_VERIFY_FAILED', detail: `the client's certificate has ${uris.length} URI SANs; a workload identity has exactly one` }, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const skewed = validityBySkewedClock(this.skewMs, cert.validFromDate.getTime(), cert.validToDate.getTime(), 'client');
    if (skewed) return skewed;
    return { spiffeId: uris[0] };
  }
}

/** The URI SANs in Node's `subjectAltName` text (`URI:spiffe://…, DNS:…`). */
function uriSans(san: string): string[] {
  const out: string[] = [];
  for (const part of san.split(', ')) if (part.startsWith('URI:')) out.push(part.slice(4));
  return out;
}

function checkPeer(expected: string, san: string, skewMs: number, validFrom: string, validTo: string, who: 'server' | 'client'): Error | undefined {
  const uris = uriSans(san);
  if (uris.length !== 1 || uris[0] !== expected) {
    const found = uris.length === 0 ? 'no SPIFFE ID' : uris.length === 1 ? uris[0] : `${uris.length} URI SANs (${uris.join(', ')})`;
    const f: HandshakeFailure = { kind: 'fail_verify_san', reason: 'CERTIFICATE_VERIFY_FAILED', detail: `the ${who} presented ${found}, expected ${expected}` };
    return handshakeError(f, 'ERR_TLS_CERT_ALTNAME_INVALID');
  }
  return validityBySkewedClock(skewMs, Date.parse(validFrom), Date.parse(validTo), who) ?? undefined;
}

/** With a skewed clock, a certificate valid by the real clock may not be by this pod's. */
function validityBySkewedClock(skewMs: number, notBefore: number, notAfter: number, who: string): Error | null {
  if (skewMs === 0) return null;
  const now = Date.now() + skewMs;
  const clock = `this pod's clock runs ${formatDuration(Math.abs(skewMs))} ${skewMs > 0 ? 'ahead' : 'behind'}`;
  if (now < notBefore) return handshakeError({ kind: 'fail_verify_error', reason: 'CERTIFICATE_VERIFY_FAILED', detail: `the ${who}'s certificate is not yet valid (${clock})` }, 'CERT_NOT_YET_VALID');
  if (now > notAfter) return handshakeError({ kind: 'fail_verify_error', reason: 'CERTIFICATE_VERIFY_FAILED', detail: `the ${who}'s certificate has expired (${clock})` }, 'CERT_HAS_EXPIRED');
  return null;
}
