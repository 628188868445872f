import type { Agent } from 'node:http';
import type { Agent as TlsAgent } from 'node:https';
import type { Probe } from '../policy/health-checker.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { request } = process.getBuiltinModule('node:http');
const { request: tlsRequest } = process.getBuiltinModule('node:https');

/** The user agent of health check requests (Envoy's), by which the callee's inbound sidecar recognises them. */
export const HEALTH_CHECK_USER_AGENT = 'Envoy/HC';

/**
One active health check probe to an endpoint: `GET <path>` to the endpoint's address (the callee's
inbound sidecar, which forwards it to its app; the built-in app answers /healthz without taking a
concurrency slot). 200 passes; any other status fails at once; no answer, a reset or a refused
connection is a network failure. Probes use their own keep-alive pool, not the endpoint's, so they
are not counted as upstream requests or connections. Toward a destination reached over mutual TLS
the probes are too (Envoy's health checks use the cluster's transport socket), so a STRICT callee
does not refuse them.
*/
export function httpProbe(
  agents: { plain: Agent; tls: TlsAgent },
  target: { host: string; port: number; tlsConnect: Record<string, unknown> | null },
  path: () => string,
  authority: string,
): Probe {
  return (done) => {
    const tls = target.tlsConnect;
    const req = (tls ? tlsRequest : request)({
      ...tls,
      agent: tls ? agents.tls : agents.plain,
      host: target.host,
      port: target.port,
      method: 'GET',
      path: path(),
      headers: ['host', authority, 'user-agent', HEALTH_CHECK_USER_AGENT],
      setHost: false,
    });
    let settled = false;
    req.on('response', (res) => {
      res.resume();
      if (settled) return;
      settled = true;
      const s = res.statusCode ?? 0;
      done(s === 200 ? { ok: true } : { ok: false, failure: { kind: 'status', status: s } });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      done({ ok: false, failure: { kind: 'network', code: err.code ?? err.message } });
    });
    req.end();
    return () => {
      settled = true;
      req.destroy();
    };
  };
}
