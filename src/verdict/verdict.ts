import type { Expectation } from '../scenario/scenario.ts';

/** The decision on one expectation, with the evidence that decided it. */
export interface Verdict {
  expectation: Expectation;
  /** held: the comparison is true; failed: false; no_data: nothing was measured in the window (counts as failed). */
  status: 'held' | 'failed' | 'no_data';
  /** The measured value in the expectation's unit (NaN when no data). */
  measured: number;
  /** The window actually evaluated, in ms from the start of the load. */
  window: { fromMs: number; toMs: number };
  /** The numbers behind the measured value, e.g. { requests: 1200, ok: 1195 }. */
  evidence: Record<string, number>;
  /** One sentence a person can read, e.g. "success_rate(client) was 99.58% (1195 of 1200 ok) over 0s–10s; needed >= 99.5%". */
  explanation: string;
}
