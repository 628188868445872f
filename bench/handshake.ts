import { connect } from 'node:tls';
import { Histogram } from '../src/contract/histogram.ts';
import { spiffeId } from '../src/contract/spiffe.ts';
import type { CertificateAuthority } from '../src/security/certificate-authority.ts';

/** How long a full mutual TLS handshake with a sidecar's inbound listener takes, from the client's side. */
export interface HandshakeFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
  /** A resumed handshake (TLS 1.3 session ticket from the first), for comparison. */
  resumedP50Ms: number;
}

/**
Times `count` fresh mutual TLS handshakes (TCP connect included, no session resumed) against a
STRICT sidecar inbound, then `count` resumed ones, one at a time so each is measured alone: what a
new connection costs before its first request (keep-alive spares it for every request after).
*/
export async function measureHandshakes(ca: CertificateAuthority, port: number, count = 200): Promise<HandshakeFigures> {
  const cert = await ca.issue(spiffeId('cluster.local', 'client'), 3600_000);
  const expected = spiffeId('cluster.local', 'up');
  const fresh = new Histogram();
  const resumed = new Histogram();
  let session: Buffer | undefined;
  const once = (resume: boolean) =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      const s = connect({
        host: '127.0.0.1',
        port,
        cert: cert.certChain,
        key: cert.key,
        ca: ca.trustBundle(),
        servername: 'outbound_.8080_._.up.default.svc.cluster.local',
        session: resume ? session : undefined,
        checkServerIdentity: (_h, c) => (c.subjectaltname === `URI:${expected}` ? undefined : new Error(`unexpected server identity ${c.subjectaltname}`)),
      });
      s.once('session', (b: Buffer) => (session ??= b));
      s.once('secureConnect', () => {
        (resume ? resumed : fresh).record(performance.now() - t);
        // Read the session ticket before closing, so the resumed runs have one.
        setImmediate(() => {
          s.end();
          resolve();
        });
      });
      s.once('error', reject);
    });
  for (let i = 0; i < count; i++) await once(false);
  for (let i = 0; i < count; i++) await once(true);
  return { count, p50Ms: fresh.quantile(0.5), p99Ms: fresh.quantile(0.99), resumedP50Ms: resumed.quantile(0.5) };
}
