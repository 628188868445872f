import { Histogram } from '../contract/histogram.ts';
import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';
import { LOAD_DEFAULTS } from './load-defaults.ts';

/** Latency percentiles of one series, ms; null when no request got a response. */
export type LatencyFigures = { p50: number; p90: number; p99: number; max: number } | null;

/**
How faithfully a run delivered the load its scenario declares: what result.json carries under
`load.honesty`, what the reports and the live view show, and what a verdict needs to know whether
the load fell behind inside its window. Times are ms; rates per second.
*/
export interface LoadHonesty {
  /** open: each request on an absolute schedule, sent whatever the responses do; closed: as fast as the mesh answers (autocannon). */
  model: 'open' | 'closed';
  /** How the schedule spread the requests (open loop); null for closed loop. */
  arrivals: Arrivals | null;
  /** Requests the schedule intended to send (open loop); null for closed loop. */
  intended: number | null;
  sent: number;
  /**
  Intended requests that were not sent (open loop), as k6's dropped_iterations: `cap` found the
  requests in flight at `connections`; `late` came up more than `lateBudgetMs` after their intended
  time (the generator itself fell behind), and were dropped rather than sent in a catch-up burst.
  */
  dropped: { total: number; cap: number; late: number };
  /** The declared mean rate over the load; null for closed loop. */
  targetRate: number | null;
  /** Requests sent per second of the load's duration. */
  achievedRate: number;
  /**
  Requests sent ÷ requests the schedule intended (1 = all of them); null for closed loop. For
  uniform arrivals the schedule intends the declared rate × the duration; for poisson, its seeded
  draw, whose count varies around that by about √n, so it is judged against the draw.
  */
  rateRatio: number | null;
  /** How long after its intended time each request went out (open loop); null for closed loop or when nothing was sent. */
  lateness: { p50: number; p99: number; max: number } | null;
  /** A request later than this after its intended time is dropped, not sent (LOAD_DEFAULTS.lateBudgetMs, 10 ms); null for closed loop. */
  lateBudgetMs: number | null;
  /**
  Coefficient of variation of the gaps between consecutive sends, each gap scaled by the rate in
  force so phases of different rates compare (≈0 evenly spaced, ≈1 Poisson); null when fewer than
  two sends or closed loop.
  */
  interArrivalCv: number | null;
  /** What `interArrivalCv` should be: 0 for uniform arrivals, 1 for poisson; null for closed loop. */
  expectedCv: number | null;
  /**
  The busiest `windowMs` of the load: the most sends inside any window of that length (sliding),
  against the number expected in it at the rate in force (at least 1, so at low rates one request
  in a window counts as expected). ratio 1 = no burst.
  */
  busiestWindow: { windowMs: number; count: number; expected: number; ratio: number } | null;
  /** The cap on requests in flight (`connections`) and the most that were in flight at once. */
  cap: number;
  maxInFlight: number;
  /** Requests still without a response when the load stopped waiting for them at its end. */
  unfinished: number;
  /** Latency from the intended send time (the `client` series; wrk2's corrected latency) and from the actual send (`client:sent`). */
  latency: { intended: LatencyFigures; sent: LatencyFigures };
  /** Per second of the load (index = second from t0): requests sent, intended ones dropped, and the worst lateness (ms, 0 when none was sent). */
  perSecond: { sent: number[]; dropped: number[]; latenessMaxMs: number[] };
}

/**
The promises of an open-loop load (issue 12), measured at the receiving end by a server recording
arrival times; the same figures computed at the sender are what every run reports.
*/
export const LOAD_GOALS = {
  /** Requests sent within this fraction of those the schedule intended (the declared rate × the duration, for uniform arrivals). */
  rateTolerance: 0.01,
  /** Uniform arrivals: inter-arrival CV at most this. */
  uniformMaxCv: 0.1,
  /** Poisson arrivals: inter-arrival CV in this range. */
  poissonCv: [0.9, 1.1] as const,
  /** Uniform arrivals: the busiest window (LOAD_DEFAULTS.burstWindowMs) at most this many times the expected count. */
  maxWindowRatio: 2,
};

/** The figures of `h` that miss a goal, in words; empty when the load was delivered as declared. */
export function loadShortfalls(h: LoadHonesty): string[] {
  if (h.model === 'closed') return [];
  const out: string[] = [];
  if (h.dropped.total > 0) out.push(`${h.dropped.total} dropped (${h.dropped.cap} at the cap of ${h.cap} in flight, ${h.dropped.late} late)`);
  if (h.rateRatio !== null && Math.abs(h.rateRatio - 1) > LOAD_GOALS.rateTolerance) out.push(`sent ${(h.rateRatio * 100).toFixed(1)}% of the ${h.intended} requests the schedule intended`);
  if (h.interArrivalCv !== null) {
    const [lo, hi] = LOAD_GOALS.poissonCv;
    if (h.arrivals === 'uniform' && h.interArrivalCv > LOAD_GOALS.uniformMaxCv) out.push(`inter-arrival CV ${h.interArrivalCv.toFixed(2)} (uniform: at most ${LOAD_GOALS.uniformMaxCv})`);
    if (h.arrivals === 'poisson' && (h.interArrivalCv < lo || h.interArrivalCv > hi)) out.push(`inter-arrival CV ${h.interArrivalCv.toFixed(2)} (poisson: ${lo}–${hi})`);
  }
  if (h.arrivals === 'uniform' && h.busiestWindow && h.busiestWindow.ratio > LOAD_GOALS.maxWindowRatio) {
    out.push(`${h.busiestWindow.count} sends in one ${h.busiestWindow.windowMs} ms window where ${fmt(h.busiestWindow.expected)} were expected`);
  }
  return out;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
Measures an open-loop load as it runs, at the sender: fed each intended request as it is sent or
dropped, it keeps running sums (no list of every send), so a long run costs constant memory.
Times are ms from the start of the load on one monotonic clock.
*/
export class LoadHonestyMeter {
  private readonly phases: readonly LoadPhasePlan[];
  private readonly windowMs: number;
  private intended = 0;
  private sentCount = 0;
  private droppedCap = 0;
  private droppedLate = 0;
  private readonly lateness = new Histogram();
  // Scaled gaps between consecutive sends of one phase: count, sum, sum of squares.
  private gaps = 0;
  private gapSum = 0;
  private gapSq = 0;
  private lastSend = NaN;
  private lastPhase = -1;
  // Sends inside the current sliding window (a ring of times), and the busiest window so far.
  private window: number[] = [];
  private windowHead = 0;
  private busiest: { count: number; expected: number; ratio: number } | null = null;
  private readonly perSecond = { sent: [] as number[], dropped: [] as number[], latenessMaxMs: [] as number[] };
  private maxInFlight = 0;

  constructor(phases: readonly LoadPhasePlan[], options: { windowMs?: number } = {}) {
    this.phases = phases;
    this.windowMs = options.windowMs ?? LOAD_DEFAULTS.burstWindowMs;
  }

  /** A request went out at `actual`, intended for `intended`. */
  sent(intended: number, actual: number): void {
    this.intended++;
    this.sentCount++;
    const late = Math.max(0, actual - intended);
    this.lateness.record(late);
    const sec = this.secondOf(intended);
    this.fill(sec);
    this.perSecond.sent[sec]++;
    if (late > this.perSecond.latenessMaxMs[sec]) this.perSecond.latenessMaxMs[sec] = late;

    const phase = this.phaseOf(intended);
    const rate = phase < 0 ? 0 : this.phases[phase].rate;
    if (phase === this.lastPhase && rate > 0 && !Number.isNaN(this.lastSend)) {
      const g = ((actual - this.lastSend) * rate) / 1000;
      this.gaps++;
      this.gapSum += g;
      this.gapSq += g * g;
    }
    if (phase !== this.lastPhase) {
      this.window = [];
      this.windowHead = 0;
    }
    this.lastSend = actual;
    this.lastPhase = phase;

    this.window.push(actual);
    while (actual - this.window[this.windowHead] >= this.windowMs) this.windowHead++;
    // Compact now and then, so the ring does not grow with the run.
    if (this.windowHead > 1024) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    }
    const count = this.window.length - this.windowHead;
    const expected = Math.max(1, (rate * this.windowMs) / 1000);
    const ratio = count / expected;
    if (!this.busiest || ratio > this.busiest.ratio) this.busiest = { count, expected, ratio };
  }

  /** An intended request was not sent. */
  dropped(intended: number, reason: 'cap' | 'late'): void {
    this.intended++;
    if (reason === 'cap') this.droppedCap++;
    else this.droppedLate++;
    const sec = this.secondOf(intended);
    this.fill(sec);
    this.perSecond.dropped[sec]++;
  }

  /** Requests in flight changed (for the most in flight at once). */
  inFlightNow(n: number): void {
    if (n > this.maxInFlight) this.maxInFlight = n;
  }

  /** Sent, dropped and worst lateness in second `sec` so far (for the live view). */
  second(sec: number): { sent: number; dropped: number; latenessMaxMs: number } {
    return { sent: this.perSecond.sent[sec] ?? 0, dropped: this.perSecond.dropped[sec] ?? 0, latenessMaxMs: this.perSecond.latenessMaxMs[sec] ?? 0 };
  }

  /** The figures so far; `durationMs` is the load's declared length (the achieved rate's denominator). */
  result(o: { durationMs: number; arrivals: Arrivals; cap: number; lateBudgetMs?: number; unfinished: number; latency: LoadHonesty['latency'] }): LoadHonesty {
    const targetRate = (this.phases.reduce((a, p) => a + p.rate * p.durationMs, 0)) / Math.max(1, o.durationMs);
    const achievedRate = (this.sentCount * 1000) / Math.max(1, o.durationMs);
    const mean = this.gaps > 0 ? this.gapSum / this.gaps : NaN;
    const variance = this.gaps > 0 ? Math.max(0, this.gapSq / this.gaps - mean * mean) : NaN;
    const seconds = Math.max(0, Math.ceil(o.durationMs / 1000));
    this.fill(seconds - 1);
    return {
      model: 'open',
      arrivals: o.arrivals,
      intended: this.intended,
      sent: this.sentCount,
      dropped: { total: this.droppedCap + this.droppedLate, cap: this.droppedCap, late: this.droppedLate },
      targetRate,
      achievedRate,
      rateRatio: this.intended > 0 ? this.sentCount / this.intended : null,
      lateness: this.lateness.count > 0 ? { p50: this.lateness.quantile(0.5), p99: this.lateness.quantile(0.99), max: this.lateness.max } : null,
      lateBudgetMs: o.lateBudgetMs ?? LOAD_DEFAULTS.lateBudgetMs,
      interArrivalCv: this.gaps > 1 && mean > 0 ? Math.sqrt(variance) / mean : null,
      expectedCv: o.arrivals === 'uniform' ? 0 : 1,
      busiestWindow: this.busiest ? { windowMs: this.windowMs, ...this.busiest } : null,
      cap: o.cap,
      maxInFlight: this.maxInFlight,
      unfinished: o.unfinished,
      latency: o.latency,
      perSecond: { sent: [...this.perSecond.sent], dropped: [...this.perSecond.dropped], latenessMaxMs: [...this.perSecond.latenessMaxMs] },
    };
  }

  private secondOf(ms: number): number {
    return Math.max(0, Math.floor(ms / 1000));
  }

  /** Keeps the per-second arrays dense up to `sec` (zeros for seconds with nothing). */
  private fill(sec: number): void {
    for (const a of [this.perSecond.sent, this.perSecond.dropped, this.perSecond.latenessMaxMs]) {
      for (let i = a.length; i <= sec; i++) a[i] = 0;
    }
  }

  private phaseOf(ms: number): number {
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i];
      if (ms >= p.startMs && ms < p.startMs + p.durationMs) return i;
    }
    return -1;
  }
}
