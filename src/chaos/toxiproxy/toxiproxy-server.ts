import { randomInt } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from './address.ts';
import { ApiError, badRequestBody, internalError, missingField, objectBody } from './errors.ts';
import { browserRefusal, isWrite } from '../../auth/browser-refusal.ts';
import { credentialCheck, hostRefusal, sendRefusal, type CredentialRefusal } from '../../auth/control-guard.ts';
import { isLoopbackHost, ListenPolicy } from './listen-policy.ts';
import { ProxyMetrics } from './metrics.ts';
import { checkName } from './names.ts';
import { ProxyCollection, readProxySpec, type PopulateResult } from './proxy-collection.ts';
import { Proxy } from './proxy.ts';
import { SeedSource } from './seeds.ts';
import { toxicJson } from './toxic-entry.ts';
import { ENGINE_VERSION } from './version.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { createServer } = process.getBuiltinModule('node:http');

export interface ToxiproxyServerOptions {
  /**
  Address the HTTP API binds.
  @default '127.0.0.1'
  */
  host?: string;
  /**
  Port of the HTTP API. Note: 0 picks a free port; the standalone command defaults to 8474, Toxiproxy's.
  @default 0
  */
  port?: number;
  /**
  Seed of every random draw (toxicity rolls, jitter, slice sizes). When absent one is picked at
  random; either way `seed` on the started server says which.
  */
  seed?: number;
  /**
  Milliseconds one API request may take before it is answered 503, as Toxiproxy's 25 s middleware does.
  @default 25000
  */
  handlerTimeoutMs?: number;
  /**
  Addresses beyond loopback that proxies may listen on; `0.0.0.0` or `::` allows every address. A
  `listen` on any other address is refused (400). Note: Toxiproxy has no such check.
  @default loopback only, unless `host` is not a loopback address: then `host` too (every address when it is 0.0.0.0 or ::)
  */
  listenHosts?: readonly string[];
  /**
  A credential every write (POST, PATCH, DELETE) must carry as `Authorization: Bearer <credential>`,
  else 401. A run's own engine has the run's; the standalone command has none, and speaks
  Toxiproxy's API to any client, as Toxiproxy does. Reads never need it.
  @default none
  */
  credential?: string;
  /**
  Which Host headers the API answers (the guard against DNS rebinding): `listener`, a loopback name
  (`127.0.0.1`, `localhost`, `[::1]`) with the API's port; `any-port`, a loopback name with any port
  (an API behind a port Docker publishes); `unchecked`, any (an API bound to other addresses on
  purpose, whose names clients may use are unknown here).
  @default 'listener' when `host` is a loopback address, else 'unchecked'
  */
  hostHeader?: 'listener' | 'any-port' | 'unchecked';
}

export interface StartedToxiproxyServer extends AsyncDisposable {
  /** `http://host:port` of the API, ready for `new Toxiproxy(url)`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  /** The engine behind the API, for in-process inspection (tests, diagnostics). */
  readonly engine: ToxiproxyEngine;
  /** Stops the API and every proxy, closing every connection. */
  close(): Promise<void>;
}

/** Starts a Toxiproxy-compatible server: the HTTP API, and the proxies it creates. */
export async function startToxiproxyServer(options: ToxiproxyServerOptions = {}): Promise<StartedToxiproxyServer> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const listenPolicy = options.listenHosts ? new ListenPolicy(options.listenHosts) : ListenPolicy.forApiHost(options.host);
  const hostHeader = options.hostHeader ?? (isLoopbackHost(host) ? 'listener' : 'unchecked');
  const engine = new ToxiproxyEngine({ seed, handlerTimeoutMs: options.handlerTimeoutMs, listenPolicy, credential: options.credential, hostHeader });
  const http = createServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 60_000 }, engine.handle);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ host, port: options.port ?? 0 }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const url = `http://${formatHostPort(address.address, address.port)}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= shutDown(http, engine));
  return { url, host: address.address, port: address.port, seed: engine.seeds.seed, engine, close, [Symbol.asyncDispose]: close };
}

async function shutDown(http: Server, engine: ToxiproxyEngine): Promise<void> {
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeAllConnections();
  await engine.close();
  await closed;
}

interface Reply {
  status: number;
  json?: unknown;
  /** A body written as is (Toxiproxy's /version is hand-written JSON with a newline). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

type Params = { proxy: string; toxic: string };
type Handler = (params: Params, body: () => unknown) => Reply | Promise<Reply>;

/**
Bodies above this are answered 400 (Toxiproxy sets no limit). A populate of 10 000 proxies is about
1 MiB; nothing legitimate comes close.
*/
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
The proxies, their metrics and seed, and the HTTP handler that speaks Toxiproxy 2.x's API over them.
Requests that change anything run one at a time, as Toxiproxy's locks make them.
*/
export class ToxiproxyEngine {
  readonly seeds: SeedSource;
  readonly metrics = new ProxyMetrics();
  readonly proxies: ProxyCollection;
  private readonly handlerTimeoutMs: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly credential: ((req: IncomingMessage) => CredentialRefusal | null) | null;
  private readonly hostCheck: { hostPort: 'listener' | 'any' } | null;

  constructor(options: { seed: number; handlerTimeoutMs?: number; listenPolicy?: ListenPolicy; credential?: string; hostHeader?: 'listener' | 'any-port' | 'unchecked' }) {
    this.seeds = new SeedSource(options.seed);
    this.credential = options.credential ? credentialCheck(options.credential) : null;
    const hostHeader = options.hostHeader ?? 'listener';
    this.hostCheck = hostHeader === 'unchecked' ? null : { hostPort: hostHeader === 'any-port' ? 'any' : 'listener' };
    this.handlerTimeoutMs = options.handlerTimeoutMs ?? 25_000;
    const listenPolicy = options.listenPolicy ?? new ListenPolicy([]);
    this.proxies = new ProxyCollection(
      (spec) => new Proxy({ name: spec.name, listen: spec.listen, upstream: spec.upstream, seeds: this.seeds, metrics: this.metrics }),
      (spec) => {
        checkName('proxy', spec.name);
        listenPolicy.check(spec.listen);
      },
    );
  }

  /** Stops every proxy; requests still queued find nothing to act on. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.proxies.clear();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    let path: string[];
    try {
      path = new URL(req.url ?? '/', 'http://toxiproxy').pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      send(res, { status: 400, raw: '400 Bad Request', contentType: 'text/plain; charset=utf-8' });
      return;
    }
    const route = this.route(path);
    if (route === undefined) {
      send(res, { status: 404, raw: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });
      return;
    }
    const handler = route.methods[req.method ?? 'GET'];
    if (handler === undefined) {
      send(res, { status: 405 });
      return;
    }
    // A page whose name was re-pointed at 127.0.0.1 (DNS rebinding) names itself in Host.
    const misdirected = this.hostCheck ? hostRefusal(req, this.hostCheck) : null;
    if (misdirected !== null) return sendRefusal(req, res, misdirected);
    // Toxiproxy turns browsers away, so a web page cannot drive it through a victim's browser.
    const refusal = browserRefusal(req, { untypedWrites: true });
    if (refusal !== null) {
      send(res, { status: refusal.status, raw: `${refusal.message}\n`, contentType: 'text/plain; charset=utf-8', headers: { 'x-content-type-options': 'nosniff' } });
      return;
    }
    const unauthorised = this.credential && isWrite(req.method) ? this.credential(req) : null;
    if (unauthorised !== null) return sendRefusal(req, res, unauthorised);
    const timer = setTimeout(() => sendError(res, new ApiError(`request not handled within ${this.handlerTimeoutMs}ms`, 503)), this.handlerTimeoutMs);
    readBody(req)
      .then((text) => handler(route.params, () => parseJson(text)))
      .then(
        (reply) => send(res, reply),
        (err: unknown) => sendError(res, err instanceof ApiError ? err : internalError((err as Error).message)),
      )
      .finally(() => clearTimeout(timer));
  };

  private route(path: string[]): { params: Params; methods: Record<string, Handler> } | undefined {
    const [a, b, c, d, ...rest] = path;
    if (rest.length > 0 || path.some((s) => s === '')) return undefined;
    const params: Params = { proxy: b ?? '', toxic: d ?? '' };
    if (path.length === 1 && a === 'reset') return { params, methods: { POST: () => this.exclusive(() => this.reset()) } };
    if (path.length === 1 && a === 'version') return { params, methods: { GET: () => this.version() } };
    if (path.length === 1 && a === 'metrics') {
      const metrics = (): Reply => ({ status: 200, raw: this.metrics.render(), contentType: 'text/plain; version=0.0.4; charset=utf-8' });
      return { params, methods: { GET: metrics, POST: metrics, HEAD: metrics } };
    }
    if (path.length === 1 && a === 'populate') return { params, methods: { POST: (_, body) => this.exclusive(() => this.populate(body)) } };
    if (a !== 'proxies') return undefined;
    if (path.length === 1) {
      return { params, methods: { GET: () => this.listProxies(), POST: (_, body) => this.exclusive(() => this.createProxy(body())) } };
    }
    if (path.length === 2) {
      const update: Handler = (p, body) => this.exclusive(() => this.updateProxy(p.proxy, body));
      return {
        params,
        methods: {
          GET: (p) => ok(this.proxies.get(p.proxy)),
          POST: update,
          PATCH: update,
          DELETE: (p) => this.exclusive(() => this.deleteProxy(p.proxy)),
        },
      };
    }
    if (c !== 'toxics') return undefined;
    if (path.length === 3) {
      return {
        params,
        methods: {
          GET: (p) => ok(this.proxies.get(p.proxy).toxics),
          POST: (p, body) => this.exclusive(() => ok(toxicJson(this.proxies.get(p.proxy).toxics.add(body())))),
        },
      };
    }
    // Toxiproxy looks the proxy and the toxic up before it reads the body: a missing one is a 404 first.
    const update: Handler = (p, body) =>
      this.exclusive(() => {
        const toxics = this.proxies.get(p.proxy).toxics;
        toxics.get(p.toxic);
        return ok(toxicJson(toxics.update(p.toxic, body())));
      });
    return {
      params,
      methods: {
        GET: (p) => ok(toxicJson(this.proxies.get(p.proxy).toxics.get(p.toxic))),
        POST: update,
        PATCH: update,
        DELETE: (p) =>
          this.exclusive(() => {
            this.proxies.get(p.proxy).toxics.remove(p.toxic);
            return { status: 204 };
          }),
      },
    };
  }

  private listProxies(): Reply {
    // fromEntries defines keys as own properties: no name can reach a prototype.
    return ok(Object.fromEntries(this.proxies.all().map((p) => [p.name, p.toJSON()])));
  }

  private async createProxy(body: unknown): Promise<Reply> {
    const spec = readProxySpec(objectBody(body), true);
    if (spec.name === '') throw missingField('name');
    if (spec.upstream === '') throw missingField('upstream');
    const proxy = await this.proxies.add(spec);
    return { status: 201, json: proxy };
  }

  /** Unlike other errors, populate's are JSON (not http.Error's text/plain) and carry the proxies applied. */
  private async populate(body: () => unknown): Promise<Reply> {
    let result: PopulateResult;
    try {
      result = await this.proxies.populate(body());
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result = { proxies: [], error: err };
    }
    // Go encodes an empty list of proxies as null; clients see exactly that.
    const proxies = result.proxies.length > 0 ? result.proxies : null;
    if (result.error !== undefined) return { status: result.error.status, json: { error: result.error.message, status: result.error.status, proxies } };
    return { status: 201, json: { proxies } };
  }

  private async updateProxy(name: string, body: () => unknown): Promise<Reply> {
    this.proxies.get(name);
    return ok(await this.proxies.update(name, objectBody(body())));
  }

  private deleteProxy(name: string): Reply {
    this.proxies.remove(name);
    return { status: 204 };
  }

  private async reset(): Promise<Reply> {
    await this.proxies.reset();
    return { status: 204 };
  }

  private version(): Reply {
    return {
      status: 200,
      raw: `{"version": "${ENGINE_VERSION}"}\n`,
      contentType: 'application/json;charset=utf-8',
      headers: { 'x-meshproof-seed': String(this.seeds.seed) },
    };
  }

  /** Runs `fn` after every change requested before it has finished. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new ApiError('server is closing', 503);
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }
}

function ok(value: unknown): Reply {
  return { status: 200, json: value };
}

/**
The request's body as text. One larger than MAX_BODY_BYTES is read to its end without being kept,
then refused with a 400. Answering before the end would make Node close the connection with the
rest of the body unread, which resets it: the client may then see ECONNRESET or EPIPE rather than
the answer. How long a body may take to arrive is bounded by the server's request timeout.
*/
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(badRequestBody(`the body is larger than ${MAX_BODY_BYTES} bytes, the most this server reads`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw badRequestBody('EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequestBody((err as Error).message);
  }
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...reply.headers };
  let body: string | undefined;
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    headers['content-type'] = reply.contentType ?? 'application/json';
  } else if (reply.raw !== undefined) {
    body = reply.raw;
    if (reply.contentType) headers['content-type'] = reply.contentType;
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

/**
Toxiproxy writes its errors with Go's http.Error, which forces text/plain; the body is still the
JSON `{"error": …, "status": …}` plus a newline, and clients parse it whatever the header says.
*/
function sendError(res: ServerResponse, err: ApiError): void {
  send(res, {
    status: err.status,
    raw: `${JSON.stringify(err)}\n`,
    contentType: 'text/plain; charset=utf-8',
    headers: { 'x-content-type-options': 'nosniff' },
  });
}
