import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
Real upstream servers on 127.0.0.1, port 0, that misbehave on purpose (as autocannon's and
undici's test helpers do). Each counts the requests it received and closes everything it holds.
*/
export interface TestServer {
  port: number;
  /** Requests received so far. */
  readonly received: number;
  /** Headers of every request received, in order. */
  readonly seen: IncomingMessage['headers'][];
  close(): Promise<void>;
}

export async function startServer(handle: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<TestServer> {
  const seen: IncomingMessage['headers'][] = [];
  let received = 0;
  const server: Server = createServer((req, res) => {
    received++;
    seen.push(req.headers);
    req.resume();
    handle(req, res, received);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get received() {
      return received;
    },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers `status` with a short body, after `delayMs` (0 = at once). The delay ends early if the caller leaves. */
export function startStatusServer(status: number | ((n: number) => number), delayMs = 0, body = 'from test server'): Promise<TestServer> {
  return startServer((req, res, n) => {
    const s = typeof status === 'function' ? status(n) : status;
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(s, { 'content-type': 'text/plain' });
      res.end(`${body} ${s}\n`);
    };
    if (delayMs <= 0) return send();
    const timer = setTimeout(send, delayMs);
    res.once('close', () => clearTimeout(timer));
  });
}

/** Answers 200 after `delayMs`: a slow upstream. */
export function startSlowServer(delayMs: number): Promise<TestServer> {
  return startStatusServer(200, delayMs, 'slow');
}

/** Destroys the connection of every request without answering: a reset. */
export function startResettingServer(): Promise<TestServer> {
  return startServer((req) => {
    req.socket.destroy();
  });
}

/** Answers with the request's headers, method, url and body as JSON. */
export function startEchoServer(): Promise<TestServer> {
  return startServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
}

/** A port nothing listens on (bound, then released): connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
