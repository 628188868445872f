import { afterAll } from 'vitest';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import type { Direction } from '../../src/chaos/toxiproxy/direction.ts';
import type { LinkCounters } from '../../src/chaos/toxiproxy/metrics.ts';
import { startToxiproxyServer, type StartedToxiproxyServer } from '../../src/chaos/toxiproxy/toxiproxy-server.ts';

/** Starts an engine on 127.0.0.1:0 and closes it after the file's tests. */
export async function startEngine(seed = 1): Promise<{ server: StartedToxiproxyServer; client: Toxiproxy }> {
  const server = await startToxiproxyServer({ seed });
  afterAll(() => server.close());
  return { server, client: new Toxiproxy(server.url) };
}

/**
The live byte counters of a proxy's links in one direction (its metrics series), so a test can wait
until the engine has read some data (it has then reached the toxics) before it asserts on what follows.
*/
export function linkCounters(server: StartedToxiproxyServer, proxy: { name: string; listen: string; upstream: string }, direction: Direction): LinkCounters {
  return server.engine.metrics.counters(direction, proxy.name, proxy.listen, proxy.upstream);
}

/** A TCP server on 127.0.0.1:0, closed after the file's tests (its open sockets too). */
export async function tcpServer(onConnection: (socket: Socket) => void): Promise<{ port: number; address: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  return { port, address: `127.0.0.1:${port}`, server, sockets };
}

/** Echoes every byte back. */
export const echoServer = () => tcpServer((s) => s.pipe(s));

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

export interface Received {
  chunks: Buffer[];
  bytes: number;
  /** performance.now() of each chunk. */
  times: number[];
  /** How the connection ended: 'end' (FIN), or the error code (ECONNRESET…). Undefined while open. */
  ending: string | undefined;
  endedAt: number | undefined;
}

/** Connects and records everything the socket receives and how it ends. */
export async function open(port: number): Promise<{ socket: Socket; got: Received; connectedAt: number }> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  const got: Received = { chunks: [], bytes: 0, times: [], ending: undefined, endedAt: undefined };
  socket.on('data', (d: Buffer) => {
    got.chunks.push(d);
    got.bytes += d.length;
    got.times.push(performance.now());
  });
  const finish = (how: string): void => {
    if (got.ending === undefined) {
      got.ending = how;
      got.endedAt = performance.now();
    }
  };
  socket.on('end', () => finish('end'));
  socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  socket.on('close', () => finish('close'));
  afterAll(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, got, connectedAt: performance.now() };
}

/** Polls until `check` returns true; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not true after ${timeoutMs}ms`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `text` and resolves with the milliseconds until `bytes` bytes have come back. */
export async function roundTrip(socket: Socket, got: Received, text = 'ping', timeoutMs = 5000): Promise<number> {
  const before = got.bytes;
  const t0 = performance.now();
  socket.write(text);
  await until(() => got.bytes >= before + Buffer.byteLength(text), timeoutMs, `echo of ${JSON.stringify(text)}`);
  return got.times.at(-1)! - t0;
}

/** Raw HTTP call to the API, for what the client cannot show (status codes, error bodies, headers). */
export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: unknown; headers: Headers }> {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}
