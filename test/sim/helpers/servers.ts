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

/**
An upstream whose behaviour can be switched while it runs: `status` for requests (a number, or a
function of the request count), `/healthz` answered by `health` (200 by default). `stop()` closes
it so connections are refused; `restart()` listens again on the same port.
*/
export interface ControlledServer extends TestServer {
  status: number | ((n: number) => number);
  health: number;
  delayMs: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Health check probes received. */
  readonly probes: number;
}

export async function startControlledServer(initial: { status?: number; health?: number; delayMs?: number; name?: string } = {}): Promise<ControlledServer> {
  const seen: IncomingMessage['headers'][] = [];
  let received = 0;
  let probes = 0;
  const name = initial.name ?? 'controlled';
  const state = { status: (initial.status ?? 200) as number | ((n: number) => number), health: initial.health ?? 200, delayMs: initial.delayMs ?? 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url === '/healthz') {
      probes++;
      res.writeHead(state.health, { 'content-type': 'text/plain' });
      res.end(`health ${state.health}\n`);
      return;
    }
    received++;
    seen.push(req.headers);
    const s = typeof state.status === 'function' ? state.status(received) : state.status;
    const reply = () => {
      if (res.destroyed) return;
      res.writeHead(s, { 'content-type': 'text/plain', 'x-served-by': name });
      res.end(`${name} ${s}\n`);
    };
    if (state.delayMs <= 0) return reply();
    const timer = setTimeout(reply, state.delayMs);
    res.once('close', () => clearTimeout(timer));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let open = true;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!open) return resolve();
      open = false;
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    port,
    get received() {
      return received;
    },
    get probes() {
      return probes;
    },
    seen,
    get status() {
      return state.status;
    },
    set status(v) {
      state.status = v;
    },
    get health() {
      return state.health;
    },
    set health(v) {
      state.health = v;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v) {
      state.delayMs = v;
    },
    stop,
    restart: () =>
      new Promise<void>((resolve, reject) => {
        if (open) return resolve();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          open = true;
          server.off('error', reject);
          resolve();
        });
      }),
    close: stop,
  };
}
