import { Histogram } from '../observe/histogram.ts';
import { seriesKey, type SeriesRecorder } from '../observe/timeline.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';
import { errorKind, type DispatchHandler, type HttpTarget } from './http-target.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';
import { lateBudgetMs, LoadHonestyMeter, type LatencyFigures } from './load-honesty.ts';
import type { LoadSummary } from './load-summary.ts';
import { monotonicMs, WorkerPacer, type Pacer } from './pacer.ts';

export interface OpenLoopOptions {
  target: HttpTarget;
  phases: LoadPhasePlan[];
  /** @default 'uniform' */
  arrivals?: Arrivals;
  /** Seed of the poisson gaps. @default 1 */
  seed?: number;
  /** Most requests in flight; one that finds this many is dropped. */
  cap: number;
  /** Where each response is recorded: `client` from the intended send time, `client:sent` from the actual send. */
  recorder: SeriesRecorder;
  /** What wakes the dispatcher at each intended time; give one that is already `ready()`. @default a new WorkerPacer, booted before the schedule starts and closed after */
  pacer?: Pacer;
  /** How long the load waits at its end for responses still in flight, ms. @default LOAD_DEFAULTS.drainMs */
  drainMs?: number;
  /** Monotonic clock, ms (the pacer's clock). @default monotonicMs */
  now?: () => number;
  /** A request reached later than this after its intended time is dropped, ms. @default lateBudgetMs(the highest rate) */
  lateBudgetMs?: number;
}

/**
An open-loop load: every request has an intended send time on an absolute schedule (the pacer
plays it), and goes out at that time whatever earlier requests are doing. It never waits for a
response and never catches up: a request that finds `cap` requests in flight, or that the
generator reaches more than the late budget after its time, is dropped and counted (k6's
dropped_iterations). Latency is measured from the intended send time (what a user arriving on
schedule waits, coordinated omission corrected as wrk2 does) into `client`, and from the moment
the request reached a socket into `client:sent`.
*/
export class OpenLoopLoad {
  private readonly o: OpenLoopOptions;
  private pacer: Pacer | null = null;
  private stopped = false;
  private inFlight = 0;
  private onIdle: (() => void) | null = null;
  private meter: LoadHonestyMeter;
  private readonly intendedLatency = new Histogram();
  private readonly sentLatency = new Histogram();
  private readonly summary: Omit<LoadSummary, 'honesty'> = { requests: 0, errors: 0, status: {}, errorKinds: {}, elapsedMs: 0 };

  constructor(options: OpenLoopOptions) {
    this.o = options;
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
    const now = o.now ?? monotonicMs;
    const arrivals = o.arrivals ?? 'uniform';
    const durationMs = o.phases.reduce((end, p) => Math.max(end, p.startMs + p.durationMs), 0);
    const budget = o.lateBudgetMs ?? lateBudgetMs(Math.max(0, ...o.phases.map((p) => p.rate)));
    const client = seriesKey.client();
    const sent = seriesKey.clientSent();
    const recorder = o.recorder;

    const dispatch = (intended: number) => {
      const actual = now() - startAt;
      if (actual - intended > budget) return this.meter.dropped(intended, 'late');
      if (this.inFlight >= o.cap) return this.meter.dropped(intended, 'cap');
      this.meter.sent(intended, actual);
      this.inFlight++;
      this.meter.inFlightNow(this.inFlight);
      let status = 0;
      // When the request reached a socket (later than `actual` only if a connection had to be opened).
      let wrote = actual;
      const finish = (code: number | 'error', kind: string | null) => {
        const done = now() - startAt;
        this.inFlight--;
        const s = this.summary;
        s.requests++;
        s.status[code] = (s.status[code] ?? 0) + 1;
        if (kind !== null) {
          s.errors++;
          s.errorKinds[kind] = (s.errorKinds[kind] ?? 0) + 1;
          // A request with no response has no latency; it still counts, once in each series.
          recorder.add(client, 'error', NaN, null);
          recorder.add(sent, 'error', NaN, null);
        } else {
          this.intendedLatency.record(done - intended);
          this.sentLatency.record(done - wrote);
          recorder.add(client, code, done - intended, null);
          recorder.add(sent, code, done - wrote, null);
        }
        if (this.inFlight === 0) this.onIdle?.();
      };
      const handler: DispatchHandler = {
        onRequestStart() {
          wrote = now() - startAt;
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          finish(status, null);
        },
        onResponseError(_controller, err) {
          finish('error', errorKind(err));
        },
      };
      o.target.send(handler);
    };

    const own = o.pacer ? null : new WorkerPacer();
    await own?.ready();
    const started = now();
    await new Promise<void>((resolve) => {
      if (this.stopped) return resolve();
      this.pacer = o.pacer ?? own!;
      this.pacer.start({ startAt, phases: o.phases, arrivals, seed: o.seed ?? 1 }, dispatch, resolve);
    });
    await own?.close();
    await this.drain(o.drainMs ?? LOAD_DEFAULTS.drainMs);
    const unfinished = this.inFlight;
    this.summary.elapsedMs = now() - started;
    return {
      ...this.summary,
      honesty: this.meter.result({
        durationMs,
        arrivals,
        cap: o.cap,
        lateBudgetMs: budget,
        unfinished,
        latency: { intended: figures(this.intendedLatency), sent: figures(this.sentLatency) },
      }),
    };
  }

  /** Stops sending now; `run()` then resolves without waiting for the responses still in flight. */
  stop(): void {
    this.stopped = true;
    this.pacer?.stop();
    this.onIdle?.();
  }

  private drain(ms: number): Promise<void> {
    if (this.inFlight === 0 || this.stopped) return Promise.resolve();
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

export function figures(h: Histogram): LatencyFigures {
  return h.count === 0 ? null : { p50: h.quantile(0.5), p90: h.quantile(0.9), p99: h.quantile(0.99), max: h.max };
}
