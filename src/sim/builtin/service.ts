import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sharedDefault } from '../../contract/defaults.ts';
import type { ServiceSpec } from '../../scenario/scenario.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { seededRandom, type Random } from '../../util/random.ts';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';
import { callThroughSidecar, type CallResult } from './downstream-call.ts';
import { latencySampler } from './latency-sampler.ts';

/** The path health checks probe by default: answered at once, without a concurrency slot. */
const HEALTH_PATH = sharedDefault((p) => p.healthCheck.path);

export interface BuiltinServiceOptions {
  spec: ServiceSpec;
  instance: string;
  /** The sidecar's outbound listener; needed when `spec.calls` is not empty. */
  sidecar: { host: string; port: number } | null;
  /** Seed of the latency draws and error rolls. @default 1 */
  seed?: number;
  /** Overrides `seed`. */
  random?: Random;
  /** @default systemClock */
  clock?: Clock;
  /**
  Longest a call to a dependency may stay silent before it counts as failed (502), so that nothing
  hangs forever even without a mesh timeout.
  @default 30000
  */
  callTimeoutMs?: number;
  /**
  Whether a request whose caller left while it waited in the queue is dropped when its turn comes.
  A real server (a worker pool behind an accept queue) cannot tell that the caller left and does the
  work anyway; that wasted work is what makes a retry storm a storm (every timed-out try still costs
  a slot), so it is off by default.
  @default false
  */
  skipAbandoned?: boolean;
}

/**
The default workload: per request, take a concurrency slot (or wait in a bounded FIFO queue; 503
when it is full), work for a sampled latency, fail with `errorStatus` at `errorRate`, otherwise
call each dependency through the sidecar, in sequence or in parallel, and answer 200, or the first
failed dependency's status. The slot is held until the response is sent, so a slow dependency
fills the queue: overload, queueing and cascading failure really happen.
*/
export class BuiltinService {
  readonly spec: ServiceSpec;
  readonly instance: string;
  private readonly sidecar: { host: string; port: number } | null;
  private readonly random: Random;
  private readonly clock: Clock;
  private readonly callTimeoutMs: number;
  private readonly skipAbandoned: boolean;
  private readonly limiter: ConcurrencyLimiter;
  private readonly sample: () => number;
  /**
  The body of a 200, made once: `ok <instance>`, padded with dots to `spec.responseBytes` in all (the
  newline included) when that is larger, so bandwidth and limit_data toxics have real bytes to act on.
  Errors keep their short sentence, as error pages are small.
  */
  private readonly okBody: string;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
  private server: Server | null = null;
  /** Requests answered, by status (for tests and debugging). */
  readonly answered = new Map<number, number>();

  constructor(options: BuiltinServiceOptions) {
    this.spec = options.spec;
    this.instance = options.instance;
    this.sidecar = options.sidecar;
    this.random = options.random ?? seededRandom(options.seed ?? 1);
    this.clock = options.clock ?? systemClock;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.skipAbandoned = options.skipAbandoned ?? false;
    this.limiter = new ConcurrencyLimiter({ limit: options.spec.concurrency, queue: options.spec.queue });
    this.sample = latencySampler(options.spec.latency, this.random);
    const ok = `ok ${options.instance}`;
    const size = options.spec.responseBytes ?? 0;
    this.okBody = size - 1 > ok.length ? ok.padEnd(size - 1, '.') : ok;
    if (options.spec.calls.length > 0 && !options.sidecar) {
      throw new Error(`${options.spec.name} calls ${options.spec.calls.join(', ')} but no sidecar address was given`);
    }
  }

  /** Listens on 127.0.0.1:`port` (0 = any free port) and resolves with the real port. */
  start(port = 0): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    // Longer than the callers' keep-alive idle time, so a pooled connection is never closed under a request.
    server.keepAliveTimeout = 65_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  get active(): number {
    return this.limiter.active;
  }

  get queued(): number {
    return this.limiter.queued;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => {});
    // The request body is not used; reading it keeps the connection reusable.
    req.resume();
    if (req.url === HEALTH_PATH) return this.reply(res, 200, `ok ${this.instance}`);
    let gone = false;
    if (this.skipAbandoned) res.once('close', () => (gone = true));
    const outcome = this.limiter.acquire(() => {
      // Only when asked: a caller that left while queued is not worked for, its slot goes to the next one.
      if (gone) return this.limiter.release();
      this.work(req, res);
    });
    if (outcome === 'rejected') {
      this.reply(res, 503, `${this.instance} overloaded: ${this.limiter.active} requests in progress (concurrency ${this.spec.concurrency}) and the queue of ${this.spec.queue} is full`);
    }
  }

  private work(req: IncomingMessage, res: ServerResponse): void {
    // The slot is held until the answer is sent, even when the caller has already left: like a busy
    // worker thread, the work goes on (calls are bounded by callTimeoutMs, so it always ends).
    const finish = (status: number, body: string) => {
      this.reply(res, status, body);
      this.limiter.release();
    };
    this.clock.setTimeout(() => {
      if (this.spec.errorRate > 0 && this.random() < this.spec.errorRate) {
        return finish(this.spec.errorStatus, `${this.instance} failed on purpose (errorRate ${this.spec.errorRate})`);
      }
      if (this.spec.calls.length === 0) return finish(200, this.okBody);
      this.callDependencies(req).then((failed) => {
        if (failed) finish(failed.status, `${this.instance}: dependency ${failed.reason}`);
        else finish(200, this.okBody);
      });
    }, this.sample());
  }

  /** Resolves with the first failed dependency, or null when every call succeeded. */
  private async callDependencies(req: IncomingMessage): Promise<(CallResult & { ok: false }) | null> {
    const traceparent = header(req, 'traceparent');
    const requestId = header(req, 'x-request-id');
    const call = (service: string) =>
      callThroughSidecar({ agent: this.agent, sidecar: this.sidecar!, service, path: req.url ?? '/', traceparent, requestId, timeoutMs: this.callTimeoutMs });
    if (this.spec.callMode === 'parallel') {
      // Fail fast, like Promise.all: the first failure answers; the other calls still run to their end.
      return new Promise((resolve) => {
        let left = this.spec.calls.length;
        for (const service of this.spec.calls) {
          call(service).then((r) => {
            if (!r.ok) resolve(r);
            else if (--left === 0) resolve(null);
          });
        }
      });
    }
    for (const service of this.spec.calls) {
      const r = await call(service);
      if (!r.ok) return r;
    }
    return null;
  }

  private reply(res: ServerResponse, status: number, body: string): void {
    this.answered.set(status, (this.answered.get(status) ?? 0) + 1);
    if (res.headersSent || res.destroyed) return;
    const text = body + '\n';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-meshproof-instance': this.instance });
    res.end(text);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.agent.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
