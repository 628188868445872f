/**
How a mutual TLS handshake failed, in Envoy's terms: which `ssl.*` counter it goes to
(`fail_verify_error` for a certificate that does not verify — expired, not yet valid, untrusted —,
`fail_verify_san` for a certificate of another identity, `fail_verify_no_cert` for a peer that sent
none, `connection_error` for the rest: alerts received, a protocol mismatch), and the reason as
OpenSSL spells it, which Envoy puts in `%UPSTREAM_TRANSPORT_FAILURE_REASON%` and its 503 bodies.
*/
import type { HandshakeFailureKind } from '../contract/mesh-event.ts';

export type { HandshakeFailureKind };

export interface HandshakeFailure {
  kind: HandshakeFailureKind;
  /** OpenSSL's name, as Envoy reports it: `CERTIFICATE_VERIFY_FAILED`, `SSLV3_ALERT_CERTIFICATE_EXPIRED`, `TLSV1_ALERT_UNKNOWN_CA`… */
  reason: string;
  /** What went wrong in words: "certificate has expired", "the peer is spiffe://…/sa/x, not …". */
  detail: string;
}

/** Node's certificate verification codes (from OpenSSL's X509_V_ERR_*) and what they mean. */
const VERIFY: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate (its issuer is not trusted)',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate (the root is not in the trust bundle)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain (an untrusted root)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_UNTRUSTED: 'certificate not trusted',
  INVALID_CA: 'invalid CA certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate names another identity',
};

/** The code Node gives an error, or ''. */
function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
The handshake failure an error stands for, or null when it is not one (a refused connection, a
reset with no TLS in it). Errors raised by meshproof's own identity checks carry a `handshake`
property with the failure already classified.
*/
export function classifyHandshakeError(err: unknown): HandshakeFailure | null {
  const own = (err as { handshake?: HandshakeFailure } | null)?.handshake;
  if (own) return own;
  const code = codeOf(err);
  if (code in VERIFY) {
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { kind: 'fail_verify_san', reason: 'CERTIFICATE_VERIFY_FAILED', detail: VERIFY[code] };
    return { kind: 'fail_verify_error', reason: 'CERTIFICATE_VERIFY_FAILED', detail: VERIFY[code] };
  }
  if (code.startsWith('ERR_SSL_')) {
    const reason = code.slice('ERR_SSL_'.length);
    if (reason === 'PEER_DID_NOT_RETURN_A_CERTIFICATE' || reason === 'TLSV13_ALERT_CERTIFICATE_REQUIRED') {
      return { kind: 'fail_verify_no_cert', reason, detail: 'the client sent no certificate' };
    }
    if (reason === 'HTTP_REQUEST' || reason === 'WRONG_VERSION_NUMBER' || reason === 'PACKET_LENGTH_TOO_LONG' || reason === 'HTTPS_PROXY_REQUEST') {
      return { kind: 'connection_error', reason, detail: 'the other side does not speak TLS (a plaintext peer)' };
    }
    return { kind: 'connection_error', reason, detail: alertText(reason) };
  }
  if (code === 'ERR_SSL_CERTIFICATE_VERIFY_FAILED') return { kind: 'fail_verify_error', reason: 'CERTIFICATE_VERIFY_FAILED', detail: 'certificate verify failed' };
  return null;
}

/** An alert the peer sent, in words: what the other side thought of this side's certificate. */
function alertText(reason: string): string {
  if (reason.includes('CERTIFICATE_EXPIRED')) return 'the peer found this side\'s certificate expired';
  if (reason.includes('UNKNOWN_CA')) return 'the peer does not trust the root this side\'s certificate chains to';
  if (reason.includes('BAD_CERTIFICATE')) return 'the peer refused this side\'s certificate';
  if (reason.includes('CERTIFICATE_UNKNOWN')) return 'the peer could not accept this side\'s certificate';
  if (reason.includes('HANDSHAKE_FAILURE')) return 'the peer ended the handshake';
  if (reason.includes('DECRYPT_ERROR')) return 'the peer could not verify this side\'s signature';
  return 'the TLS handshake failed';
}

/** An error for a failure meshproof's own checks found (wrong identity, a clock that disagrees): classified already, with Node-like codes. */
export function handshakeError(failure: HandshakeFailure, code: string): Error {
  const err = new Error(`${failure.reason}: ${failure.detail}`) as Error & { code: string; handshake: HandshakeFailure };
  err.code = code;
  err.handshake = failure;
  return err;
}

/** The transport failure reason as Envoy writes it in a 503 body: `TLS error: CERTIFICATE_VERIFY_FAILED (certificate has expired)`. */
export function transportFailureReason(f: HandshakeFailure): string {
  return `TLS error: ${f.reason} (${f.detail})`;
}
