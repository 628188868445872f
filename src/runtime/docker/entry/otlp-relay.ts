import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { OTLP_WRITES } from '../../../auth/browser-refusal.ts';
import { guardControl } from '../../../auth/control-guard.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { createServer } = process.getBuiltinModule('node:http');

/**
The span relay of a Docker run, in the ingress pod. Sidecars in containers cannot reach the
harness's OTLP receiver: it listens on the host's 127.0.0.1 only. So they export to this relay on the
run's network, which keeps each export as it came (body, content type and encoding untouched), and
the harness drains it through a port published on 127.0.0.1 and hands every export to its receiver:
the receiver sees exactly what a local sidecar would have sent.

- `POST /v1/traces`: an OTLP/HTTP export (protobuf or JSON); answered with OTLP's empty success.
- `POST /drain`: the exports held, oldest first, as JSON `[{type, encoding, body (base64)}]`; they
  are removed. `dropped` in the `x-meshproof-dropped` header: exports refused because the relay
  held `maxBytes` already (the harness stopped draining).
- `GET /ready`: 200 once listening.
Both writes need the run's credential (guardControl): the relay's port is published on the host's
127.0.0.1, where a forged export could change an `attempts(...)` verdict and a drain could steal or
drop the run's spans. Its Host is `span-relay:4318` on the run's network, or a loopback one (any
port: Docker publishes it under another) from the host.
*/
export interface HeldExport {
  type: string;
  encoding: string | null;
  body: string;
}

export function startOtlpRelay(options: { host: string; port: number; maxBytes?: number; credential: string; networkHost?: string }): Promise<Server> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  let held: { type: string; encoding: string | null; body: Buffer }[] = [];
  let heldBytes = 0;
  let dropped = 0;
  const readAll = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = await readAll(req);
        const type = req.headers['content-type'] ?? 'application/x-protobuf';
        if (heldBytes + body.length > maxBytes) dropped++;
        else {
          held.push({ type, encoding: req.headers['content-encoding'] ?? null, body });
          heldBytes += body.length;
        }
        if (type.startsWith('application/json')) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' });
          res.end('{}');
        } else {
          res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
          res.end();
        }
        return;
      }
      if (req.method === 'GET' && req.url === '/ready') {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '14' });
        res.end('{"ready":true}');
        return;
      }
      if (req.method === 'POST' && req.url === '/drain') {
        req.resume();
        const out: HeldExport[] = held.map((h) => ({ type: h.type, encoding: h.encoding, body: h.body.toString('base64') }));
        held = [];
        heldBytes = 0;
        const text = JSON.stringify(out);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'x-meshproof-dropped': String(dropped) });
        res.end(text);
        return;
      }
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('span relay: POST /v1/traces, POST /drain, GET /ready\n');
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`span relay: ${(err as Error).message}\n`);
    }
  };
  const alsoHosts = options.networkHost ? [options.networkHost.toLowerCase()] : [];
  const server = createServer(guardControl((req, res) => void handler(req, res), { token: options.credential, hostPort: 'any', alsoHosts, writeTypes: OTLP_WRITES }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
