import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardControl } from '../../auth/control-guard.ts';
import type { RateLimitRequest, RlsConfig } from '../../contract/rate-limit-service.ts';
import type { Recorder, SparseSeries } from '../../contract/series.ts';
import { RateLimiter, type RuleStats } from './rate-limiter.ts';

// From process.getBuiltinModule, not an ESM import: an ESM import of node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { createServer } = process.getBuiltinModule('node:http');

export interface RateLimitServiceOptions {
  /** The run's credential: decisions (`POST /json`) and config pushes must carry it, as they change the run. */
  credential: string;
  /**
  The address it binds.
  @default '127.0.0.1'
  */
  host?: string;
  /**
  Which Host headers it answers (docs/security-model.md): a loopback name on this port, or on any
  port when Docker publishes it under another; and the names in `alsoHosts` (`ratelimit:8081` on a
  run's network).
  @default { hostPort: 'listener', alsoHosts: [] }
  */
  access?: { hostPort?: 'listener' | 'any'; alsoHosts?: readonly string[] };
  /** Wall-clock epoch ms: the windows. @default Date.now */
  now?: () => number;
  /** Where each rule's hits are recorded per second of the run (`quota:<rule>`), on the same clock as `now`; its entry point gives it one. */
  recorder: Recorder;
}

/** What `POST /config` takes: the configuration, and the run's second 0 to bucket its series on. */
export interface RateLimitServiceConfig {
  version: number;
  t0: number;
  config: RlsConfig;
}

/** `GET /stats`. */
export interface RateLimitServiceStats {
  domain: string | null;
  /** By rule key: envoyproxy/ratelimit's `ratelimit.service.rate_limit.<rule key>.*`. */
  rules: Record<string, RuleStats>;
  /** Decisions asked for, and those answered OVER_LIMIT. */
  requests: number;
  overLimit: number;
}

const MAX_BODY = 64 * 1024;

/**
The rate-limit service of a run, in the model of envoyproxy/ratelimit and on its HTTP port's API:
`POST /json` takes a RateLimitRequest as JSON and answers the RateLimitResponse, 200 when every
descriptor is within its limit and 429 when one is over; `GET /healthcheck`, `GET /rlconfig` and
`GET /stats` as its debug port has them. Its configuration comes from the control plane
(`POST /config`), as envoyproxy/ratelimit can take it from an xDS server; counters live in the
process (not Redis), so a restart forgets the current windows. `GET /timeline` gives each rule's
hits per second of the run, like a sidecar's.
*/
export class RateLimitService {
  private readonly options: RateLimitServiceOptions;
  private readonly now: () => number;
  private readonly recorder: Recorder;
  private limiter: RateLimiter | null = null;
  private running: RateLimitServiceConfig | null = null;
  private server: Server | null = null;
  private requests = 0;
  private overLimit = 0;

  constructor(options: RateLimitServiceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.recorder = options.recorder;
  }

  /** Listens on `port` (0 = any) and resolves with the port. */
  start(port = 0): Promise<number> {
    const handler = guardControl((req, res) => this.handle(req, res), { token: this.options.credential, hostPort: this.options.access?.hostPort, alsoHosts: this.options.access?.alsoHosts });
    const server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Applies a configuration: a newer version replaces the rules, and the counters with them only when the rules changed. */
  configure(pushed: RateLimitServiceConfig): { version: number; applied: boolean } {
    const prev = this.running;
    if (prev && pushed.version <= prev.version) return { version: prev.version, applied: false };
    if (!prev || JSON.stringify(prev.config) !== JSON.stringify(pushed.config)) this.limiter = new RateLimiter({ config: pushed.config, now: this.now, recorder: this.recorder });
    if (!prev || prev.t0 !== pushed.t0) {
      this.recorder.t0 = pushed.t0;
      this.recorder.clear();
    }
    this.running = pushed;
    return { version: pushed.version, applied: true };
  }

  stats(): RateLimitServiceStats {
    return { domain: this.limiter?.domain ?? null, rules: this.limiter?.stats() ?? {}, requests: this.requests, overLimit: this.overLimit };
  }

  timeline(since = -Infinity): { t0: number; series: SparseSeries } {
    return { t0: this.recorder.t0, series: this.recorder.toJSON(since) };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    switch (`${req.method} ${path}`) {
      case 'POST /json':
        return void readJson(req, res, (body) => this.decide(body as RateLimitRequest, res));
      case 'POST /config':
        return void readJson(req, res, (body) => {
          const problem = configProblem(body);
          if (problem) return json(res, 400, { error: `invalid config: ${problem}` });
          json(res, 200, this.configure(body as RateLimitServiceConfig));
        });
      case 'GET /healthcheck':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('OK');
      case 'GET /rlconfig':
        return json(res, this.running ? 200 : 503, this.running?.config ?? { error: 'no config pushed yet' });
      case 'GET /stats':
        return json(res, 200, this.stats());
      case 'GET /timeline': {
        const since = Number(new URLSearchParams(q === -1 ? '' : url.slice(q + 1)).get('since') ?? '');
        return json(res, 200, this.timeline(Number.isFinite(since) && url.includes('since=') ? since : -Infinity));
      }
      default:
        return json(res, 404, { error: `no route ${req.method} ${path}; known: POST /json, POST /config, GET /healthcheck, GET /rlconfig, GET /stats, GET /timeline` });
    }
  }

  private decide(body: RateLimitRequest, res: ServerResponse): void {
    if (!body || typeof body.domain !== 'string' || !Array.isArray(body.descriptors) || !body.descriptors.every(validDescriptor)) {
      return json(res, 400, { error: 'expected a RateLimitRequest: {"domain": "…", "descriptors": [{"entries": [{"key": "…", "value": "…"}]}]}' });
    }
    this.requests++;
    // No config yet: nothing is limited (envoyproxy/ratelimit knows no domain before its config loads).
    const answer = this.limiter ? this.limiter.decide(body) : { overallCode: 'OK' as const, statuses: body.descriptors.map(() => ({ code: 'OK' as const })) };
    if (answer.overallCode === 'OVER_LIMIT') this.overLimit++;
    json(res, answer.overallCode === 'OVER_LIMIT' ? 429 : 200, answer);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function validDescriptor(d: unknown): boolean {
  const entries = (d as { entries?: unknown })?.entries;
  return Array.isArray(entries) && entries.every((e) => typeof e?.key === 'string' && typeof e?.value === 'string');
}

function configProblem(v: unknown): string | null {
  const c = v as Partial<RateLimitServiceConfig> | null;
  if (!c || typeof c !== 'object') return 'expected {version, t0, config}';
  if (typeof c.version !== 'number') return 'version: expected a number';
  if (typeof c.t0 !== 'number') return 't0: expected epoch ms';
  if (!c.config || typeof c.config.domain !== 'string' || !Array.isArray(c.config.descriptors)) return 'config: expected {domain, descriptors}';
  return null;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

function readJson(req: IncomingMessage, res: ServerResponse, then: (body: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return json(res, 413, { error: `body over ${MAX_BODY} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      return json(res, 400, { error: `invalid JSON: ${(err as Error).message}` });
    }
    then(body);
  });
}
