import type { LoadPhasePlan } from '../plan/plan-scenario.ts';
import type { Arrivals } from '../scenario/scenario.ts';
import { seededRandom } from '../util/random.ts';

/**
The intended send time of every request of an open-loop load, in order, in ms from the start of the
load. The schedule is absolute: it never looks at when a request was actually sent, so a late send
does not shift the ones after it (k6 and vegeta plan the same way; chaining `sleep(1/rate)` would
accumulate every delay).

Both kinds walk the cumulative intensity Λ(t) = ∫ rate, which is piecewise linear over the phases:
uniform puts request i at Λ = i (so request 0 goes at the start, one every 1/rate after, and the
fraction left at a phase boundary carries over, as k6's ramping executor does); poisson puts them at
Λ = E1 + E2 + … with Ei exponential of mean 1 (inter-arrival gaps exponential of mean 1/rate within a
phase, so their coefficient of variation is 1), drawn from `seed`. A phase of rate 0 is a pause.
*/
export class ArrivalSchedule {
  private readonly phases: readonly LoadPhasePlan[];
  private readonly arrivals: Arrivals;
  private readonly random: () => number;
  /** Λ of the next request. */
  private target: number;
  /** Phase the next request falls in, and Λ at that phase's start. */
  private phase = 0;
  private phaseStartIntensity = 0;

  constructor(phases: readonly LoadPhasePlan[], arrivals: Arrivals, seed: number) {
    this.phases = phases;
    this.arrivals = arrivals;
    this.random = seededRandom(seed);
    this.target = arrivals === 'uniform' ? 0 : this.exponential();
  }

  /** The next request's intended send time (ms from the start of the load), or null when the load is over. */
  next(): number | null {
    for (; this.phase < this.phases.length; this.phase++) {
      const p = this.phases[this.phase];
      const span = (p.rate * p.durationMs) / 1000;
      if (p.rate > 0 && this.target < this.phaseStartIntensity + span) {
        const at = p.startMs + ((this.target - this.phaseStartIntensity) * 1000) / p.rate;
        this.target += this.arrivals === 'uniform' ? 1 : this.exponential();
        return at;
      }
      this.phaseStartIntensity += span;
    }
    return null;
  }

  /** Requests the declared load should send in all: the integral of the rate (the schedule's count, ±1 at each phase edge). */
  static expected(phases: readonly LoadPhasePlan[]): number {
    return phases.reduce((a, p) => a + (p.rate * p.durationMs) / 1000, 0);
  }

  /** The rate in force at `ms` from the start of the load (0 outside the phases). */
  static rateAt(phases: readonly LoadPhasePlan[], ms: number): number {
    for (const p of phases) if (ms >= p.startMs && ms < p.startMs + p.durationMs) return p.rate;
    return 0;
  }

  private exponential(): number {
    // 1 - U is in (0, 1], so the log is finite.
    return -Math.log(1 - this.random());
  }
}
