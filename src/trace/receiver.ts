import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { decodeOtlpJson } from './otlp-json.ts';
import { decodeOtlpProto } from './otlp-proto.ts';
import { decodeOtlpProtoRequest } from './otlp-proto-request.ts';
import type { OtlpTraceRequest } from './otlp-request.ts';
import type { SpanRecord } from './span-model.ts';
import { TraceStore } from './trace-store.ts';
import { OTLP_WRITES } from '../auth/browser-refusal.ts';
import { guardControl } from '../auth/control-guard.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { createServer } = process.getBuiltinModule('node:http');

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface TraceReceiverOptions {
  /**
  Address to listen on. Only a runtime whose sidecars cannot reach the harness's loopback (containers)
  should pass another, and then a host-only one such as its bridge network's gateway. @default 127.0.0.1
  */
  host?: string;
  /** Where decoded spans go. @default a new TraceStore with its defaults */
  store?: TraceStore;
  /**
  Called with every export accepted, in its OTLP/JSON shape with every field (a protobuf body is
  decoded in full for it), for spans that go on to the user's collector. A throw is ignored.
  @default none
  */
  onExport?: ((request: OtlpTraceRequest) => void) | null;
  /** Largest export body accepted (after decompression); a larger one is answered 413. @default 16 MiB */
  maxBodyBytes?: number;
  /**
  The run's credential, which every export must carry as `Authorization: Bearer <credential>`
  (sidecars send it; see docs/security-model.md): spans decide verdicts (`attempts(...)`), so a
  process that forged them could change one. With a credential, the Host header must also name this
  listener, and a browser (`Origin`) is refused.
  @default null: any local process may export (a stand-in for a user's collector)
  */
  credential?: string | null;
}

export interface ReceiverStats {
  /** Export requests accepted. */
  exports: number;
  /** Spans decoded from them. */
  spans: number;
  /** Export requests refused (malformed, unsupported content type, too large). */
  rejected: number;
}

/**
The run's OTLP/HTTP trace receiver: sidecars export their spans to `POST /v1/traces` (JSON or
protobuf, optionally gzip), the spans land in a TraceStore, and each export is handed, whole, to
`onExport` when spans go on to the user's collector (through the OpenTelemetry SDK, see
sdk-trace-export.ts). Binds 127.0.0.1 on a port the OS picks.
*/
export class TraceReceiver {
  readonly store: TraceStore;
  private readonly options: TraceReceiverOptions;
  private server: Server | null = null;
  private port = 0;
  private host = '127.0.0.1';
  private readonly alsoHosts: string[] = [];
  private readonly counters: ReceiverStats = { exports: 0, spans: 0, rejected: 0 };
  /** Why the last export was refused, for error messages and tests. */
  lastRejection: string | null = null;

  constructor(options: TraceReceiverOptions = {}) {
    this.options = options;
    this.store = options.store ?? new TraceStore();
  }

  /** Starts listening; resolves with the base URL (`http://127.0.0.1:<port>`). */
  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const handle = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const credential = this.options.credential ?? null;
    // Requests the guard refuses are not exports: `rejected` does not count them.
    const server = createServer(credential ? guardControl(handle, { token: credential, writeTypes: OTLP_WRITES, alsoHosts: this.alsoHosts }) : handle);
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
    // Bound elsewhere than loopback (see `host`), exporters name that address.
    if (!address.address.startsWith('127.') && address.address !== '::1') this.alsoHosts.push(`${this.host}:${this.port}`);
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

  /** Stops listening; the store keeps what it got. */
  async close(): Promise<void> {
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
    let body: Buffer;
    let json: unknown = null;
    try {
      const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
      body = encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: max }) : encoding === 'deflate' ? await inflateAsync(raw, { maxOutputLength: max }) : raw;
      if (proto) spans = decodeOtlpProto(body);
      else spans = decodeOtlpJson((json = JSON.parse(body.toString('utf8'))));
    } catch (err) {
      return this.reject(res, 400, `malformed OTLP ${proto ? 'protobuf' : 'JSON'} trace export: ${(err as Error).message}`);
    }
    this.counters.exports++;
    this.counters.spans += spans.length;
    this.store.add(spans);
    const onExport = this.options.onExport;
    if (onExport && spans.length > 0) {
      try {
        onExport(proto ? decodeOtlpProtoRequest(body) : (json as OtlpTraceRequest));
      } catch {
        // What goes on to the user's collector never costs the run its own traces.
      }
    }
    // An empty ExportTraceServiceResponse: full success.
    if (proto) {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      res.end();
    } else this.reply(res, 200, '{}', 'application/json');
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
