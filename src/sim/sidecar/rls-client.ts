import type { RateLimitRequest, RateLimitServiceAddress } from '../../contract/rate-limit-service.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { Agent, request } = process.getBuiltinModule('node:http');

/** What the rate-limit service said, or why it said nothing. */
export type RlsAnswer = { kind: 'ok' } | { kind: 'over-limit' } | { kind: 'error'; why: string };

/**
A sidecar's client of the rate-limit service's `/json` endpoint: keep-alive connections, the run's
credential on every call, and a deadline on each (Envoy's ratelimit filter `timeout`), past which the
call counts as an error and its connection is dropped.
*/
export class RlsClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  private readonly authorization: string;

  constructor(credential: string) {
    this.authorization = `Bearer ${credential}`;
  }

  check(address: RateLimitServiceAddress, body: RateLimitRequest, timeoutMs: number): Promise<RlsAnswer> {
    const payload = JSON.stringify(body);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (a: RlsAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      const req = request({
        agent: this.agent,
        host: address.host,
        port: address.port,
        method: 'POST',
        path: '/json',
        headers: { host: address.authority ?? `${address.host}:${address.port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: this.authorization },
      });
      const timer = setTimeout(() => {
        settle({ kind: 'error', why: `no answer within ${timeoutMs}ms` });
        req.destroy();
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => settle({ kind: 'error', why: err.code ?? err.message }));
      req.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        res.once('end', () => settle(status === 200 ? { kind: 'ok' } : status === 429 ? { kind: 'over-limit' } : { kind: 'error', why: `it answered ${status}` }));
        res.once('error', (err: NodeJS.ErrnoException) => settle({ kind: 'error', why: err.code ?? err.message }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
