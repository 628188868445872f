import type { Server } from 'node:http';
import { probeHttp, probeTcp } from '../../ready-probe.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { createServer } = process.getBuiltinModule('node:http');

/**
The pod agent: a small HTTP server beside the sidecar, like Istio's pilot-agent health port, that
the harness reaches through a port published on 127.0.0.1. It answers what the harness cannot see
from outside the pod:
- `GET /healthz/ready`: 200 once the sidecar's listeners are up (the agent starts after them), with
  the ports as JSON;
- `GET /app/ready`: 200 when the app accepts a TCP connection on 127.0.0.1:<app port>, else 503
  (the app has no port of its own outside the pod, and a user's image owes meshproof no health route);
- `GET /app/ready?http=/healthz`: 200 when GET /healthz on the app answers 2xx (a user's image with
  `ready: { http: /healthz }`), else 503.
*/
export function startPodAgent(options: { host: string; port: number; appPort: number; info: Record<string, unknown> }): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const url = new URL(req.url ?? '/', 'http://agent');
    if (req.method === 'GET' && url.pathname === '/healthz/ready') return reply(200, { ready: true, ...options.info });
    if (req.method === 'GET' && url.pathname === '/app/ready') {
      const path = url.searchParams.get('http');
      const probe = path ? probeHttp('127.0.0.1', options.appPort, path) : probeTcp('127.0.0.1', options.appPort);
      void probe.then((r) => reply(r.ok ? 200 : 503, { ready: r.ok, app: `127.0.0.1:${options.appPort}`, why: r.why }));
      return;
    }
    reply(404, { error: `no agent route ${req.method} ${req.url}; known: GET /healthz/ready, GET /app/ready[?http=<path>]` });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
