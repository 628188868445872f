import type { Agent } from 'node:http';
import { EXPECTED_TIMEOUT_HEADER, GIVE_UP_HEADER } from '../policy/deadline.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { request } = process.getBuiltinModule('node:http');

export type CallResult =
  | { ok: true; status: number }
  /** `status` is the dependency's (>= 500), or 502 when it gave no response at all. */
  | { ok: false; status: number; reason: string };

/** Keep this much of a failed dependency's body in the message. */
const BODY_SNIPPET = 200;

/**
One call of the built-in service to a dependency, through its sidecar's outbound listener with
`Host: <service>`, trace headers forwarded, and the request's deadline and give-up time passed on. Always settles: a bounded timeout guarantees that
nothing waits forever, even when the sidecar has no timeout configured.
*/
export function callThroughSidecar(options: {
  agent: Agent;
  sidecar: { host: string; port: number };
  service: string;
  path: string;
  traceparent: string | undefined;
  requestId: string | undefined;
  timeoutMs: number;
  /** What is left of the request's deadline, passed on as `x-envoy-expected-rq-timeout-ms` (deadlines: propagate); null = none. */
  deadlineMs?: number | null;
  /** When a caller up the chain gives up (epoch ms), passed on as `x-meshproof-give-up-at` for the wasted-work count; null = unknown. */
  giveUpAt?: number | null;
  /** Cancels the call (the request's deadline passed, or its caller went): the connection is closed, as a gRPC client cancels a child call. */
  signal?: AbortSignal;
}): Promise<CallResult> {
  const { agent, sidecar, service } = options;
  const headers: string[] = ['host', service];
  if (options.traceparent) headers.push('traceparent', options.traceparent);
  if (options.requestId) headers.push('x-request-id', options.requestId);
  if (options.deadlineMs != null) headers.push(EXPECTED_TIMEOUT_HEADER, String(options.deadlineMs));
  if (options.giveUpAt != null && Number.isFinite(options.giveUpAt)) headers.push(GIVE_UP_HEADER, String(options.giveUpAt));
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: CallResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const req = request({ agent, host: sidecar.host, port: sidecar.port, method: 'GET', path: options.path, headers, setHost: false, timeout: options.timeoutMs });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs}ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, status: 502, reason: `${service} gave no response (${err.code ?? err.message})` }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 502;
      if (status < 500) {
        res.resume();
        res.once('end', () => settle({ ok: true, status }));
        res.once('close', () => settle(res.complete ? { ok: true, status } : { ok: false, status: 502, reason: `${service} cut its response short` }));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < BODY_SNIPPET) body += d;
      });
      res.once('close', () => {
        const flags = res.headers['x-meshproof-flags'];
        const text = body.trim().slice(0, BODY_SNIPPET);
        settle({ ok: false, status, reason: `${service} answered ${status}${flags ? ` [${flags}]` : ''}${text ? `: ${text}` : ''}` });
      });
    });
    const signal = options.signal;
    if (signal) {
      const cancel = () => req.destroy(Object.assign(new Error('cancelled: nobody waits for the answer'), { code: 'ECANCELED' }));
      if (signal.aborted) cancel();
      else {
        signal.addEventListener('abort', cancel, { once: true });
        req.once('close', () => signal.removeEventListener('abort', cancel));
      }
    }
    req.end();
  });
}
