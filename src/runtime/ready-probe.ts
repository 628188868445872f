import { connect } from 'node:net';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { request } = process.getBuiltinModule('node:http');

/** One look at whether a program is ready: ok, or why not (for the message when it never is). */
export interface ProbeResult {
  ok: boolean;
  why: string;
}

/** Whether host:port accepts a TCP connection within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean, why: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, why });
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs}ms`), timeoutMs);
    socket.once('connect', () => done(true, `${host}:${port} accepts connections`));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, `${host}:${port}: ${err.code ?? err.message}`));
  });
}

/** Whether `GET path` on host:port answers 2xx within `timeoutMs`. No proxy, no keep-alive: a probe is one request. */
export function probeHttp(host: string, port: number, path: string, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, why });
    };
    const req = request({ host, port, path, method: 'GET', agent: false, headers: { 'user-agent': 'meshproof-ready-probe', connection: 'close' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      done(status >= 200 && status < 300, `GET ${path} answered ${status}`);
    });
    const timer = setTimeout(() => done(false, `GET ${path}: no answer within ${timeoutMs}ms`), timeoutMs);
    req.once('error', (err: NodeJS.ErrnoException) => done(false, `GET ${path}: ${err.code ?? err.message}`));
    req.end();
  });
}
