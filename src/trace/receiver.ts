import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { decodeOtlpJson } from './otlp-json.ts';
import { decodeOtlpProto } from './otlp-proto.ts';
import type { SpanRecord } from './span-model.ts';
import { TraceStore } from './trace-store.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Where spans are forwarded besides the run's own store: a user's OTLP/HTTP collector. */
export interface ForwardTarget {
  /** Full URL of the collector's traces endpoint, e.g. `http://localhost:4318/v1/traces`. */
  url: string;
  headers: Record<string, string>;
}

export interface TraceReceiverOptions {
  /**
  Address to listen on. Only a runtime whose sidecars cannot reach the harness's loopback (containers)
  should pass another, and then a host-only one such as its bridge network's gateway. @default 127.0.0.1
  */
  host?: string;
  /** Where decoded spans go. @default a new TraceStore with its defaults */
  store?: TraceStore;
  /** Forward every export, as received, to this collector as well. @default none */
  forward?: ForwardTarget | null;
  /** Largest export body accepted (after decompression); a larger one is answered 413. @default 16 MiB */
  maxBodyBytes?: number;
  /**
  Forwarded exports waiting or in flight at most; beyond, exports are not forwarded (counted in
  `forwardDropped`), so a slow or absent collector never holds the run's memory or time.
  @default 64
  */
  maxForwardQueue?: number;
  /** Timeout of one forward request. @default 5000 */
  forwardTimeoutMs?: number;
}

export interface ReceiverStats {
  /** Export requests accepted. */
  exports: number;
  /** Spans decoded from them. */
  spans: number;
  /** Export requests refused (malformed, unsupported content type, too large). */
  rejected: number;
  /** Exports forwarded to the user's collector with a 2xx answer. */
  forwarded: number;
  /** Forwards that failed (no answer in time, refused, non-2xx). */
  forwardFailed: number;
  /** Exports not forwarded because the forward queue was full. */
  forwardDropped: number;
}

/**
The run's OTLP/HTTP trace receiver: sidecars export their spans to `POST /v1/traces` (JSON or
protobuf, optionally gzip), the spans land in a TraceStore, and each export is passed on as it
came (same body, same content type) to the user's collector when one is configured. Binds
127.0.0.1 on a port the OS picks.
*/
export class TraceReceiver {
  readonly store: TraceStore;
  private readonly options: TraceReceiverOptions;
  private server: Server | null = null;
  private port = 0;
  private host = '127.0.0.1';
  private readonly counters: ReceiverStats = { exports: 0, spans: 0, rejected: 0, forwarded: 0, forwardFailed: 0, forwardDropped: 0 };
  private readonly forwards = new Set<Promise<void>>();
  /** Why the last export was refused, for error messages and tests. */
  lastRejection: string | null = null;

  constructor(options: TraceReceiverOptions = {}) {
    this.options = options;
    this.store = options.store ?? new TraceStore();
  }

  /** Starts listening; resolves with the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => void this.handle(req, res));
    // Exporters keep their connections alive; the harness must not wait on them at close.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.port = address.port;
    this.host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return this.baseUrl;
  }

  get baseUrl(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** The URL an OTLP/HTTP exporter posts traces to. */
  get tracesUrl(): string {
    return `${this.baseUrl}/v1/traces`;
  }

  stats(): ReceiverStats {
    return { ...this.counters };
  }

  /** Waits (at most `timeoutMs`) for forwards still in flight. */
  async flushForwards(timeoutMs = 3000): Promise<void> {
    if (this.forwards.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.forwards]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Stops listening (after waiting briefly for forwards in flight); the store keeps what it got. */
  async close(): Promise<void> {
    await this.flushForwards();
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/v1/traces') return this.reply(res, 404, `no such endpoint: ${path} (OTLP/HTTP traces go to POST /v1/traces)`);
    if (req.method !== 'POST') return this.reply(res, 405, 'POST only');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const proto = type === 'application/x-protobuf' || type === 'application/protobuf';
    if (!proto && type !== 'application/json') return this.reject(res, 415, `unsupported content type "${type}": send application/json or application/x-protobuf`);
    const max = this.options.maxBodyBytes ?? 16 * 1024 * 1024;
    let raw: Buffer;
    try {
      raw = await readBody(req, max);
    } catch (err) {
      return this.reject(res, 413, (err as Error).message);
    }
    let spans: SpanRecord[];
    try {
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
      const body = encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: max }) : encoding === 'deflate' ? await inflateAsync(raw, { maxOutputLength: max }) : raw;
      spans = proto ? decodeOtlpProto(body) : decodeOtlpJson(JSON.parse(body.toString('utf8')));
    } catch (err) {
      return this.reject(res, 400, `malformed OTLP ${proto ? 'protobuf' : 'JSON'} trace export: ${(err as Error).message}`);
    }
    this.counters.exports++;
    this.counters.spans += spans.length;
    this.store.add(spans);
    if (this.options.forward) this.forward(raw, req.headers['content-type']!, req.headers['content-encoding']);
    // An empty ExportTraceServiceResponse: full success.
    if (proto) {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      res.end();
    } else this.reply(res, 200, '{}', 'application/json');
  }

  private forward(body: Buffer, contentType: string, contentEncoding: string | undefined): void {
    const target = this.options.forward!;
    if (this.forwards.size >= (this.options.maxForwardQueue ?? 64)) {
      this.counters.forwardDropped++;
      return;
    }
    const headers: Record<string, string> = { ...target.headers, 'content-type': contentType };
    if (contentEncoding) headers['content-encoding'] = contentEncoding;
    const p = fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.forwardTimeoutMs ?? 5000) })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) this.counters.forwarded++;
        else this.counters.forwardFailed++;
      })
      .catch(() => void this.counters.forwardFailed++)
      .finally(() => this.forwards.delete(p));
    this.forwards.add(p);
  }

  private reject(res: ServerResponse, status: number, message: string): void {
    this.counters.rejected++;
    this.lastRejection = message;
    this.reply(res, status, message);
  }

  private reply(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Error(`export body over ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/**
The user's collector from the standard OTel environment variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
(used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`), with `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
/ `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,…`, values URL-encoded). null when neither is set.
Throws an Error naming the variable when its URL is not an http(s) URL.
*/
export function forwardTargetFromEnv(env: NodeJS.ProcessEnv = process.env): ForwardTarget | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  let url: string;
  let from: string;
  if (traces) {
    url = traces;
    from = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  } else if (base) {
    url = base.replace(/\/+$/, '') + '/v1/traces';
    from = 'OTEL_EXPORTER_OTLP_ENDPOINT';
  } else return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${from} is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${from} must be an http(s) URL (OTLP/HTTP), got "${url}"`);
  const headers: Record<string, string> = {};
  for (const spec of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS]) {
    if (!spec) continue;
    for (const part of spec.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      headers[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return { url: parsed.toString(), headers };
}
