import { Histogram } from '../contract/histogram.ts';
import { seriesKey, type Recorder } from '../contract/series.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';
import { errorKind, type DispatchHandler, type HttpTarget } from './http-target.ts';
import { RunqueueWait } from '../util/runqueue-wait.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import { LoadHonestyMeter, type LatencyFigures } from './load-honesty.ts';
import type { LoadSummary, LoadTrace } from './load-summary.ts';
import { monotonicMs, WorkerPacer, type Pacer, type PacerPlan } from './pacer.ts';
import type { SenderSink, SocketTarget } from './socket-sender.ts';

export interface OpenLoopOptions {
  /**
  Where the requests go: an undici pool, the main thread sending at each wake-up of the pacer; or a
  SocketSender's thread, which paces and writes the requests itself (plaintext only; `pacer` unused).
  */
  target: HttpTarget | SocketTarget;
  phases: LoadPhasePlan[];
  /** @default 'uniform' */
  arrivals?: Arrivals;
  /** Seed of the poisson gaps. @default 1 */
  seed?: number;
  /** Most requests in flight; one that finds this many is dropped. */
  cap: number;
  /** Where each response is recorded: `client` from the intended send time, `client:sent` from the actual send. */
  recorder: Recorder;
  /** What wakes the dispatcher at each intended time; give one that is already `ready()`. @default a new WorkerPacer, booted before the schedule starts and closed after */
  pacer?: Pacer;
  /** How long the load waits at its end for responses still in flight, ms. @default LOAD_DEFAULTS.drainMs */
  drainMs?: number;
  /** Monotonic clock, ms (the pacer's clock). @default monotonicMs */
  now?: () => number;
  /** A request reached later than this after its intended time is dropped, ms. @default LOAD_DEFAULTS.lateBudgetMs */
  lateBudgetMs?: number;
  /** Keep every request's intended time, the pacer's lateness and the send time in the summary's `trace`. @default false */
  trace?: boolean;
}

/**
An open-loop load: every request has an intended send time on an absolute schedule (the pacer
plays it), and goes out at that time whatever earlier requests are doing. It never waits for a
response and never queues: a request that finds `cap` requests in flight, or that the generator
reaches more than the late budget after its time, is dropped and counted (k6's
dropped_iterations). Latency is measured from the intended send time (what a user arriving on
schedule waits, coordinated omission corrected as wrk2 does) into `client`, and from the moment
the request reached a socket into `client:sent`.
*/
export class OpenLoopLoad {
  private readonly o: OpenLoopOptions;
  private pacer: Pacer | null = null;
  private sender: SocketTarget['sender'] | null = null;
  private stopped = false;
  private onIdle: (() => void) | null = null;
  /** What every request's handler shares: counters, histograms, the clock. */
  private readonly tally: Tally;
  private readonly meter: LoadHonestyMeter;

  constructor(options: OpenLoopOptions) {
    this.o = options;
    this.tally = new Tally(options.recorder, options.now ?? monotonicMs, () => this.onIdle?.());
    this.meter = new LoadHonestyMeter(options.phases);
  }

  /** Sent, dropped and worst lateness in second `sec` of the load so far. */
  second(sec: number): { sent: number; dropped: number; latenessMaxMs: number } {
    return this.meter.second(sec);
  }

  /**
  Plays the schedule from `startAt` (on the monotonic clock; default now), waits for the responses
  still in flight (at most drainMs), and resolves with what happened.
  */
  async run(startAt = (this.o.now ?? monotonicMs)()): Promise<LoadSummary> {
    const o = this.o;
    const t = this.tally;
    t.startAt = startAt;
    const arrivals = o.arrivals ?? 'uniform';
    const durationMs = o.phases.reduce((end, p) => Math.max(end, p.startMs + p.durationMs), 0);
    const budget = o.lateBudgetMs ?? LOAD_DEFAULTS.lateBudgetMs;

    const waits = o.trace ? RunqueueWait.open() : null;
    const trace: LoadTrace | undefined = o.trace ? { intendedMs: [], reachedMs: [], waitMs: waits ? [] : null, pacerLateMs: [], sentMs: [] } : undefined;
    const plan: PacerPlan = { startAt, phases: o.phases, arrivals, seed: o.seed ?? 1, record: o.trace };
    /** One request's row of the trace (`sentMs` null: not sent yet, or dropped). */
    const traceRow = (intended: number, reached: number, waitMs: number, sentMs: number | null) => {
      if (!trace) return;
      trace.intendedMs.push(intended);
      trace.reachedMs.push(reached);
      trace.waitMs?.push(waitMs);
      trace.sentMs.push(sentMs);
    };
    let started: number;
    const target = o.target;
    if ('sender' in target) {
      waits?.close();
      started = t.now();
      // The sender's thread reaches, writes and stamps each request itself: no hand-off, so the
      // trace has no pacer's share (0) and the wait for a core is that thread's.
      const sink: SenderSink = {
        sent: (intended, reached, wrote, _inFlight, waitMs) => {
          traceRow(intended, reached, waitMs, wrote);
          this.meter.sent(intended, reached);
          t.inFlight++;
          this.meter.inFlightNow(t.inFlight);
        },
        dropped: (intended, reached, reason, waitMs) => {
          traceRow(intended, reached, waitMs, null);
          this.meter.dropped(intended, reason);
        },
        done: (intended, wrote, doneAt, code, kind) => t.finish(code, kind, intended, wrote, doneAt),
      };
      if (!this.stopped) {
        this.sender = target.sender;
        await target.sender.play(target.target, plan, o.cap, budget, sink);
      }
      if (trace) {
        trace.pacerLateMs = trace.intendedMs.map(() => 0);
        if (trace.waitMs?.some((w) => !Number.isFinite(w))) trace.waitMs = null;
      }
    } else {
      const http = target;
      const dispatch = (intended: number) => {
        const actual = t.now() - startAt;
        if (trace) traceRow(intended, actual, waits!.ms(), null);
        if (actual - intended > budget) return this.meter.dropped(intended, 'late');
        if (t.inFlight >= o.cap) return this.meter.dropped(intended, 'cap');
        if (trace) trace.sentMs[trace.sentMs.length - 1] = actual;
        this.meter.sent(intended, actual);
        t.inFlight++;
        this.meter.inFlightNow(t.inFlight);
        http.send(new RequestHandler(t, intended, actual));
      };
      const own = o.pacer ? null : new WorkerPacer();
      await own?.ready();
      started = t.now();
      await new Promise<void>((resolve) => {
        if (this.stopped) return resolve();
        this.pacer = o.pacer ?? own!;
        this.pacer.start(plan, dispatch, (wakeLateMs) => {
          if (trace) trace.pacerLateMs = wakeLateMs ? wakeLateMs.slice(0, trace.intendedMs.length) : trace.intendedMs.map(() => null);
          resolve();
        });
      });
      await own?.close();
      waits?.close();
    }
    await this.drain(o.drainMs ?? LOAD_DEFAULTS.drainMs);
    const unfinished = t.inFlight;
    return {
      requests: t.requests,
      errors: t.errors,
      status: t.status,
      errorKinds: t.errorKinds,
      elapsedMs: t.now() - started,
      honesty: this.meter.result({
        durationMs,
        arrivals,
        cap: o.cap,
        lateBudgetMs: budget,
        unfinished,
        latency: { intended: figures(t.intendedLatency), sent: figures(t.sentLatency) },
      }),
      ...(trace ? { trace } : {}),
    };
  }

  /** Stops sending now; `run()` then resolves without waiting for the responses still in flight. */
  stop(): void {
    this.stopped = true;
    this.pacer?.stop();
    this.sender?.stop();
    this.onIdle?.();
  }

  private drain(ms: number): Promise<void> {
    if (this.tally.inFlight === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.onIdle = done;
    });
  }
}

/** The counts and histograms of one load, fed by every request as it ends. */
class Tally {
  inFlight = 0;
  requests = 0;
  errors = 0;
  readonly status: Record<string, number> = {};
  readonly errorKinds: Record<string, number> = {};
  readonly intendedLatency = new Histogram();
  readonly sentLatency = new Histogram();
  startAt = 0;
  private readonly client = seriesKey.client();
  private readonly sent = seriesKey.clientSent();
  private readonly recorder: Recorder;
  readonly now: () => number;
  private readonly idle: () => void;

  constructor(recorder: Recorder, now: () => number, idle: () => void) {
    this.recorder = recorder;
    this.now = now;
    this.idle = idle;
  }

  /** A request ended (at `doneAt`, default now): `code` its status (or 'error' with `kind`), times in ms from the start of the load. */
  finish(code: number | 'error', kind: string | null, intended: number, wrote: number, doneAt = this.now() - this.startAt): void {
    const done = doneAt;
    this.inFlight--;
    this.requests++;
    this.status[code] = (this.status[code] ?? 0) + 1;
    if (kind !== null) {
      this.errors++;
      this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
      // A request with no response has no latency; it still counts, once in each series.
      this.recorder.add(this.client, 'error', NaN, null);
      this.recorder.add(this.sent, 'error', NaN, null);
    } else {
      this.intendedLatency.record(done - intended);
      this.sentLatency.record(done - wrote);
      this.recorder.add(this.client, code, done - intended, null);
      this.recorder.add(this.sent, code, done - wrote, null);
    }
    if (this.inFlight === 0) this.idle();
  }
}

/**
One request's undici handler: one object per request, its methods on the prototype (at 2000/s the
handler is the load's main allocation, and garbage collection pauses are what delay sends).
*/
class RequestHandler implements DispatchHandler {
  private status = 0;
  private readonly tally: Tally;
  private readonly intended: number;
  /** When the request reached a socket: later than the dispatch only if a connection had to be opened. */
  private wrote: number;

  constructor(tally: Tally, intended: number, actual: number) {
    this.tally = tally;
    this.intended = intended;
    this.wrote = actual;
  }

  onRequestStart(): void {
    this.wrote = this.tally.now() - this.tally.startAt;
  }

  onResponseStart(_controller: unknown, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.tally.finish(this.status, null, this.intended, this.wrote);
  }

  onResponseError(_controller: unknown, err: Error): void {
    this.tally.finish('error', errorKind(err), this.intended, this.wrote);
  }
}

export function figures(h: Histogram): LatencyFigures {
  return h.count === 0 ? null : { p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), max: h.max };
}
