import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sharedDefault } from '../../contract/defaults.ts';
import type { ServiceSpec } from '../../scenario/scenario.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { seededRandom, type Random } from '../../util/random.ts';
import type { TimerHandle } from '../../util/clock.ts';
import { EXPECTED_TIMEOUT_HEADER, GIVE_UP_HEADER, parseEpochHeader, parseTimeoutHeader, RequestDeadline, type DeadlineMode } from '../policy/deadline.ts';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';
import { callThroughSidecar, type CallResult } from './downstream-call.ts';
import { latencySampler } from './latency-sampler.ts';
import { WASTE_GRACE_MS, WORK_PATH, WorkLog } from './work-log.ts';

// From the builtin's own exports, not an ESM import: importing node:http builds its namespace, whose
// lazy WebSocket getters load undici (with http2, zlib, worker_threads): ~8 MB of RSS in every process.
const { Agent, createServer } = process.getBuiltinModule('node:http');

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
  /**
  Whether the service honours the deadline a request carries (`deadlines` of its service): with
  `propagate` it does not start, or stops, working on a request whose deadline has passed or whose
  caller has gone (answering 504), and passes what is left of the deadline on its own calls. With
  `off` it works every request to its end, as a service that ignores deadlines does.
  @default 'off'
  */
  deadlines?: DeadlineMode;
  /** Wall-clock epoch ms, for give-up times (which travel between processes). @default Date.now */
  now?: () => number;
}

/** One request in the service: its deadline, when its caller gives up, and when its work began. */
interface Job {
  deadline: RequestDeadline;
  /** Epoch ms at which a caller up the chain stops waiting; Infinity when unknown. */
  giveUp: number;
  /** The caller closed the connection before the answer. */
  gone: boolean;
  /** Called when the caller goes (with deadlines: propagate, it ends the processing at once). */
  onGone: (() => void) | null;
  /** Epoch ms when its work began (it got a slot). */
  startedEpoch: number;
  /** Cancels its calls to dependencies (deadlines: propagate); null before it makes any. */
  cancel: AbortController | null;
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
  private readonly propagate: boolean;
  private readonly now: () => number;
  private readonly workLog: WorkLog;
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
    this.propagate = (options.deadlines ?? 'off') === 'propagate';
    this.now = options.now ?? Date.now;
    this.workLog = new WorkLog({ incarnation: `${options.instance}@${this.now()}.${process.pid}` });
    this.limiter = new ConcurrencyLimiter({ limit: options.spec.concurrency, queue: options.spec.queue });
    this.sample = latencySampler(options.spec.latency, this.random);
    const ok = `ok ${options.instance}`;
    const size = options.spec.responseBytes ?? 0;
    this.okBody = size - 1 > ok.length ? ok.padEnd(size - 1, '.') : ok;
    if (options.spec.calls.length > 0 && !options.sidecar) {
      throw new Error(`${options.spec.name} calls ${options.spec.calls.join(', ')} but no sidecar address was given`);
    }
  }

  /**
  Listens on `host`:`port` (0 = any free port) and resolves with the real port. `host` is 127.0.0.1
  but for an external service's container, which other pods dial on its network address.
  */
  start(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    // Longer than the callers' keep-alive idle time, so a pooled connection is never closed under a request.
    server.keepAliveTimeout = 65_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
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

  /** Work wasted on, and saved from, requests nobody waited for, since start (see work-log.ts). */
  get work(): Readonly<WorkLog['totals']> {
    return this.workLog.totals;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => {});
    // The request body is not used; reading it keeps the connection reusable.
    req.resume();
    if (req.url === HEALTH_PATH) return this.reply(res, 200, `ok ${this.instance}`);
    if (req.method === 'GET' && req.url?.startsWith(WORK_PATH) && (req.url.length === WORK_PATH.length || req.url.charCodeAt(WORK_PATH.length) === 63)) return this.serveWork(req, res);
    const job = this.job(req);
    res.once('close', () => {
      if (res.writableFinished) return;
      // The caller gave up (its sidecar timed out, or its own caller went away): nobody waits from now on.
      job.gone = true;
      job.giveUp = Math.min(job.giveUp, this.now());
      job.onGone?.();
    });
    const outcome = this.limiter.acquire(() => this.begin(job, req, res));
    if (outcome === 'rejected') {
      this.reply(res, 503, `${this.instance} overloaded: ${this.limiter.active} requests in progress (concurrency ${this.spec.concurrency}) and the queue of ${this.spec.queue} is full`);
    }
  }

  /** A request as the service tracks it: its deadline (honoured with deadlines: propagate) and when its caller gives up. */
  private job(req: IncomingMessage): Job {
    const expected = parseTimeoutHeader(header(req, EXPECTED_TIMEOUT_HEADER));
    const arrivedEpoch = this.now();
    const giveUp = parseEpochHeader(header(req, GIVE_UP_HEADER)) ?? (expected === null ? null : arrivedEpoch + expected);
    return {
      deadline: this.propagate ? RequestDeadline.fromHeader(expected, this.clock.now()) : RequestDeadline.none(),
      giveUp: giveUp ?? Infinity,
      gone: false,
      onGone: null,
      startedEpoch: 0,
      cancel: null,
    };
  }

  /** True when the service should stop working on the request: only with deadlines: propagate, once its deadline has passed or its caller has gone. */
  private shouldStop(job: Job): boolean {
    return this.propagate && (job.gone || job.deadline.passed(this.clock.now()));
  }

  private begin(job: Job, req: IncomingMessage, res: ServerResponse): void {
    // Drawn for every request, worked or not, so the draws of the others do not depend on which were skipped.
    const latencyMs = this.sample();
    // Only when asked: a caller that left while queued is not worked for, its slot goes to the next one.
    if (this.skipAbandoned && job.gone && !this.propagate) return this.limiter.release();
    if (this.shouldStop(job)) {
      this.workLog.add('saved', this.now(), latencyMs);
      this.limiter.release();
      return this.reply(res, 504, this.stopWords(job, 'before starting'));
    }
    job.startedEpoch = this.now();
    const startedAt = this.clock.now();
    // With deadlines propagated, the processing ends at the deadline (or when the caller goes) at the latest.
    const wait = Math.min(latencyMs, job.deadline.remaining(startedAt));
    // The timer is the deadline's, not the processing's end (it may fire a fraction of a ms before the deadline reads as passed).
    const cut = wait < latencyMs;
    let timer: TimerHandle | null = null;
    let ended = false;
    const afterLatency = () => {
      if (ended) return;
      ended = true;
      job.onGone = null;
      if (timer !== null) this.clock.clearTimeout(timer);
      if (cut || this.shouldStop(job)) {
        this.workLog.add('saved', this.now(), Math.max(0, latencyMs - (this.clock.now() - startedAt)));
        return this.finish(job, res, 504, this.stopWords(job, 'while processing'));
      }
      this.afterProcessing(job, req, res);
    };
    if (this.propagate) job.onGone = afterLatency;
    timer = this.clock.setTimeout(afterLatency, wait);
  }

  private afterProcessing(job: Job, req: IncomingMessage, res: ServerResponse): void {
    if (this.spec.errorRate > 0 && this.random() < this.spec.errorRate) {
      return this.finish(job, res, this.spec.errorStatus, `${this.instance} failed on purpose (errorRate ${this.spec.errorRate})`);
    }
    if (this.spec.calls.length === 0) return this.finish(job, res, 200, this.okBody);
    let timer: TimerHandle | null = null;
    if (this.propagate) {
      // The calls belong to the request, as a gRPC server's child calls belong to its context: when
      // the deadline passes or the caller goes, they are cancelled.
      const cancel = new AbortController();
      job.cancel = cancel;
      job.onGone = () => cancel.abort();
      if (job.deadline.known) timer = this.clock.setTimeout(() => cancel.abort(), job.deadline.remaining(this.clock.now()));
    }
    this.callDependencies(job, req).then((failed) => {
      if (timer !== null) this.clock.clearTimeout(timer);
      job.onGone = null;
      if (failed === 'stopped' || job.cancel?.signal.aborted) {
        this.workLog.add('saved', this.now(), 0);
        this.finish(job, res, 504, this.stopWords(job, 'before calling its dependencies'));
      } else if (failed) this.finish(job, res, failed.status, `${this.instance}: dependency ${failed.reason}`);
      else this.finish(job, res, 200, this.okBody);
    });
  }

  /**
  The answer, the slot released, and the work accounted for. The slot is held until the answer is
  sent, even when the caller has already left: like a busy worker thread, the work goes on (calls
  are bounded by callTimeoutMs, so it always ends) unless deadlines propagate.
  */
  private finish(job: Job, res: ServerResponse, status: number, body: string): void {
    this.reply(res, status, body);
    this.limiter.release();
    const end = this.now();
    const wasted = end - Math.max(job.startedEpoch, job.giveUp);
    if (wasted > WASTE_GRACE_MS) this.workLog.add('wasted', end, wasted);
  }

  private stopWords(job: Job, when: string): string {
    const why = job.gone ? 'its caller went away' : 'its deadline (x-envoy-expected-rq-timeout-ms) passed';
    return `${this.instance} stopped ${when}: ${why}; nobody waits for the answer`;
  }

  private serveWork(req: IncomingMessage, res: ServerResponse): void {
    const query = new URL(req.url ?? '/', 'http://app').searchParams;
    // A reader that knew an earlier incarnation (this process restarted) starts over.
    const since = query.get('incarnation') === this.workLog.incarnation ? Number(query.get('since') ?? '0') : 0;
    const body = JSON.stringify(this.workLog.since(Number.isFinite(since) ? Math.trunc(since) : 0));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  }

  /** Resolves with the first failed dependency, null when every call succeeded, or 'stopped' when the deadline passed (or the caller went) before a call (deadlines: propagate). */
  private async callDependencies(job: Job, req: IncomingMessage): Promise<(CallResult & { ok: false }) | null | 'stopped'> {
    const traceparent = header(req, 'traceparent');
    const requestId = header(req, 'x-request-id');
    const call = (service: string) =>
      callThroughSidecar({
        agent: this.agent,
        sidecar: this.sidecar!,
        service,
        path: req.url ?? '/',
        traceparent,
        requestId,
        timeoutMs: this.callTimeoutMs,
        deadlineMs: job.deadline.header(this.clock.now()),
        giveUpAt: job.giveUp,
        signal: job.cancel?.signal,
      });
    if (this.shouldStop(job)) return 'stopped';
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
      if (this.shouldStop(job)) return 'stopped';
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
