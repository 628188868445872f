import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';

/**
The pod agent: a small HTTP server beside the sidecar, like Istio's pilot-agent health port, that
the harness reaches through a port published on 127.0.0.1. It answers what the harness cannot see
from outside the pod:
- `GET /healthz/ready`: 200 once the sidecar's listeners are up (the agent starts after them), with
  the ports as JSON;
- `GET /app/ready`: 200 when the app accepts a TCP connection on 127.0.0.1:<app port>, else 503
  (the app has no port of its own outside the pod, and a user's image owes meshproof no health route).
*/
export function startPodAgent(options: { host: string; port: number; appPort: number; info: Record<string, unknown> }): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === 'GET' && req.url === '/healthz/ready') return reply(200, { ready: true, ...options.info });
    if (req.method === 'GET' && req.url === '/app/ready') {
      const socket = connect({ host: '127.0.0.1', port: options.appPort });
      const done = (ok: boolean, why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reply(ok ? 200 : 503, { ready: ok, app: `127.0.0.1:${options.appPort}`, why });
      };
      const timer = setTimeout(() => done(false, 'no answer within 1000ms'), 1000);
      socket.once('connect', () => done(true, 'accepts connections'));
      socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
      return;
    }
    reply(404, { error: `no agent route ${req.method} ${req.url}; known: GET /healthz/ready, GET /app/ready` });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
